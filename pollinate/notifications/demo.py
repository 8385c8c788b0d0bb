"""Notifications are derived from the activity spine only; demo data creates none directly."""

from __future__ import annotations

import random
from typing import Any


def populate(*, org: Any, rng: random.Random) -> None:
    return None
