"""Background work of the analytics app."""

from __future__ import annotations

from pollinate.core.tasks import task_periodic


def xapi_flush() -> None:
    """Delivers queued xAPI statements; raising makes the task door retry with backoff."""
    from pollinate.analytics.xapi import xapi_flush as flush

    flush()


def rollups_fold() -> None:
    """Folds the activities recorded since the last fold into the rollups (idempotent)."""
    from pollinate.analytics.rollups import rollups_fold as fold
    from pollinate.analytics.selectors import org_dashboard_refresh

    if fold():
        org_dashboard_refresh()


# Picks up statements whose task ran out of retries while the LRS was down.
task_periodic("pollinate.analytics.tasks.xapi_flush", minute="*/10")
# The subscriber enqueues a fold after writes; this catches anything a lost task left behind.
task_periodic("pollinate.analytics.tasks.rollups_fold", minute="*")
