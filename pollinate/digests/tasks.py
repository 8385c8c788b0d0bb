"""Digest jobs: the worker runs them daily at 06:00 UTC and weekly on Monday at 06:00 UTC.

Each period is fanned out into ``DIGESTS_SHARDS`` tasks (members split by primary key) so worker
processes share the work; the period is fixed when the job is enqueued, so a retry after midnight
still finishes the same period.
"""

from __future__ import annotations

from django.conf import settings

from pollinate.core.tasks import task_enqueue, task_periodic
from pollinate.digests.models import Frequency
from pollinate.digests.services import digest_run, period_bounds


def digests_send(
    *,
    frequency: str = Frequency.WEEKLY,
    period_start: str | None = None,
    shard: int = 0,
    shards: int = 1,
) -> None:
    digest_run(frequency=frequency, period_start=period_start, shard=shard, shards=shards)


def digests_fan_out(*, frequency: str) -> None:
    start, _end = period_bounds(frequency)
    shards = settings.DIGESTS_SHARDS
    for shard in range(shards):
        task_enqueue(
            "pollinate.digests.tasks.digests_send",
            frequency=frequency,
            period_start=start.isoformat(),
            shard=shard,
            shards=shards,
        )


def digests_daily() -> None:
    digests_fan_out(frequency=Frequency.DAILY)


def digests_weekly() -> None:
    digests_fan_out(frequency=Frequency.WEEKLY)


task_periodic("pollinate.digests.tasks.digests_daily", minute="0", hour="6")
task_periodic("pollinate.digests.tasks.digests_weekly", minute="0", hour="6", day_of_week="1")
