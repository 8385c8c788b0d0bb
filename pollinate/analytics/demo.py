"""Demo data for analytics: nothing of its own, the rollups are rebuilt from the spine.

``generate_org`` calls ``populate`` in ``INSTALLED_APPS`` order and analytics comes last, so every
other app's demo activity is already on the spine. Demo data is written with ``bulk_create``,
which bypasses the spine subscribers, so without this rebuild the dashboards would be empty.
"""

from __future__ import annotations

import random
from typing import Any

from pollinate.analytics.rollups import rollups_rebuild


def populate(*, org: Any, rng: random.Random) -> None:
    rollups_rebuild()
