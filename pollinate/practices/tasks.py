"""Periodic practice maintenance, run by the worker (``manage.py run_worker``)."""

from __future__ import annotations

from pollinate.core.tasks import task_periodic


def practices_review_due() -> int:
    """Flags live practices past their review date to their owner (once per review period)."""
    from pollinate.practices.services import practices_flag_stale

    return practices_flag_stale()


task_periodic("pollinate.practices.tasks.practices_review_due", minute="41", hour="5")
