"""Digest jobs: the worker runs them daily at 06:00 UTC and weekly on Monday at 06:00 UTC."""

from __future__ import annotations

from pollinate.core.tasks import task_periodic
from pollinate.digests.models import Frequency
from pollinate.digests.services import digest_run


def digests_send(*, frequency: str = Frequency.WEEKLY, period_start: str | None = None) -> None:
    digest_run(frequency=frequency, period_start=period_start)


def digests_daily() -> None:
    digest_run(frequency=Frequency.DAILY)


def digests_weekly() -> None:
    digest_run(frequency=Frequency.WEEKLY)


task_periodic("pollinate.digests.tasks.digests_daily", minute="0", hour="6")
task_periodic("pollinate.digests.tasks.digests_weekly", minute="0", hour="6", day_of_week="1")
