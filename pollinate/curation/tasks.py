"""Scheduled publication: episodes whose time came are announced to followers by the worker."""

from __future__ import annotations

from pollinate.core.tasks import task_periodic
from pollinate.curation.services import episodes_announce


def curation_announce_due() -> None:
    episodes_announce()


task_periodic("pollinate.curation.tasks.curation_announce_due", minute="*/5")
