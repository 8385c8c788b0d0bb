"""Digest jobs: every hour the worker sends the digests that fell due, each at
``DIGESTS_SEND_HOUR`` in the member's own time zone (daily: the day after; weekly: on Monday).

Each run is fanned out into ``DIGESTS_SHARDS`` tasks (members split by primary key) so worker
processes share the work; the reference time is fixed when the job is enqueued, so a retry an hour
later still finishes the same periods.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from pollinate.core.tasks import task_enqueue, task_periodic
from pollinate.digests.models import Frequency
from pollinate.digests.services import digest_run


def digests_send(
    *,
    frequency: str = Frequency.WEEKLY,
    period_start: str | None = None,
    as_of: str | None = None,
    shard: int = 0,
    shards: int = 1,
) -> None:
    digest_run(
        frequency=frequency, period_start=period_start, as_of=as_of, shard=shard, shards=shards
    )


def digests_fan_out(*, frequency: str, period_start: str | None = None) -> None:
    """One task per shard; ``period_start`` names a local day or week for everybody instead."""
    as_of = timezone.now().isoformat()
    shards = settings.DIGESTS_SHARDS
    for shard in range(shards):
        task_enqueue(
            "pollinate.digests.tasks.digests_send",
            frequency=frequency,
            period_start=period_start,
            as_of=as_of,
            shard=shard,
            shards=shards,
        )


def digests_hourly() -> None:
    """Local 07:00 comes every hour somewhere; each run sends what fell due since the last."""
    digests_fan_out(frequency=Frequency.DAILY)
    digests_fan_out(frequency=Frequency.WEEKLY)


def digests_daily() -> None:
    digests_fan_out(frequency=Frequency.DAILY)


def digests_weekly() -> None:
    digests_fan_out(frequency=Frequency.WEEKLY)


# A few minutes past the hour, so zones with half- and quarter-hour offsets (India, Nepal) are due
# by the next run at the latest.
task_periodic("pollinate.digests.tasks.digests_hourly", minute="5")
