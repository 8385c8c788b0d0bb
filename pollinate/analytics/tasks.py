"""Background work of the analytics app."""

from __future__ import annotations

from pollinate.core.tasks import task_periodic


def xapi_flush() -> None:
    """Delivers queued xAPI statements; raising makes the task door retry with backoff."""
    from pollinate.analytics.xapi import xapi_flush as flush

    flush()


# Picks up statements whose task ran out of retries while the LRS was down.
task_periodic("pollinate.analytics.tasks.xapi_flush", minute="*/10")
