"""Diffusion and responsiveness metrics: plain Python and numpy, no Django.

Every function takes plain values (ids, datetimes, numbers) so it can be tested on hand-made data
and benchmarked on its own. Definitions are written out in ``docs/analytics.md``; the docstrings
here state the exact rule each function applies.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Flow:
    """Adoptions seen as movements of practices from an origin site to an adopting site.

    ``count`` lets a dashboard pass one flow per (origin, adopter) cell instead of one per adoption.
    """

    origin: int
    adopter: int
    count: int = 1


def flow_matrix(flows: Iterable[Flow], sites: Sequence[int]) -> np.ndarray:
    """Counts adoptions per (origin row, adopter column), in the order of ``sites``.

    Flows touching a site that is not listed are ignored; the diagonal stays zero because a site
    cannot adopt its own practice.
    """
    index = {site: i for i, site in enumerate(sites)}
    matrix = np.zeros((len(sites), len(sites)), dtype=np.int64)
    for flow in flows:
        row, column = index.get(flow.origin), index.get(flow.adopter)
        if row is None or column is None or row == column:
            continue
        matrix[row, column] += flow.count
    return matrix


def horizontality(flows: Iterable[Flow], central_sites: set[int]) -> float | None:
    """Share of cross-site adoptions whose origin is a peer site rather than a central one.

    1.0 means every adopted practice came from another operational site; 0.0 means everything
    came from headquarters or central functions. ``None`` when there is no cross-site adoption.
    """
    total = peer = 0
    for flow in flows:
        if flow.origin == flow.adopter:
            continue
        total += flow.count
        if flow.origin not in central_sites:
            peer += flow.count
    return peer / total if total else None


def contribution_breadth(flows: Iterable[Flow], sites: Iterable[int]) -> float | None:
    """Share of ``sites`` with at least one practice adopted at another site."""
    site_set = set(sites)
    if not site_set:
        return None
    contributors = {
        f.origin for f in flows if f.origin != f.adopter and f.count > 0 and f.origin in site_set
    }
    return len(contributors) / len(site_set)


def gini(values: Iterable[float]) -> float | None:
    """Gini coefficient of non-negative contributions: 0 = evenly spread, → 1 = one contributor.

    Uses the sorted-rank formula ``G = Σ(2i − n − 1)·x_i / (n·Σx)``. ``None`` for an empty input;
    0.0 when everything is zero (nobody contributed more than anybody else).
    """
    data = np.sort(np.asarray(list(values), dtype=np.float64))
    if data.size == 0:
        return None
    if np.any(data < 0):
        raise ValueError("Gini is defined for non-negative values only.")
    total = float(data.sum())
    if total == 0:
        return 0.0
    n = data.size
    ranks = np.arange(1, n + 1, dtype=np.float64)
    value = float(np.sum((2 * ranks - n - 1) * data) / (n * total))
    return min(max(value, 0.0), 1.0)


def diffusion_curve(events: Iterable[date], *, start: date, end: date) -> list[tuple[date, int]]:
    """Cumulative number of events on each day from ``start`` to ``end`` inclusive."""
    per_day: dict[date, int] = defaultdict(int)
    for day in events:
        per_day[day] += 1
    curve: list[tuple[date, int]] = []
    running = sum(count for day, count in per_day.items() if day < start)
    day = start
    while day <= end:
        running += per_day.get(day, 0)
        curve.append((day, running))
        day += timedelta(days=1)
    return curve


def durations_hours(pairs: Iterable[tuple[datetime, datetime | None]]) -> list[float]:
    """Hours from each start to its end, skipping pairs without an end or with a negative gap."""
    hours: list[float] = []
    for start, end in pairs:
        if end is None or end < start:
            continue
        hours.append((end - start).total_seconds() / 3600)
    return hours


def time_to_first_adoption(
    shared_at: Mapping[int, datetime], adoptions: Iterable[tuple[int, datetime]]
) -> dict[int, float]:
    """Hours from sharing each practice to its first adoption at another site.

    ``adoptions`` are (practice id, when) pairs already restricted to other sites; a practice
    adopted before it was shared (imported history) counts as zero.
    """
    first: dict[int, datetime] = {}
    for practice, when in adoptions:
        if practice in shared_at and (practice not in first or when < first[practice]):
            first[practice] = when
    return {
        practice: max((when - shared_at[practice]).total_seconds() / 3600, 0.0)
        for practice, when in first.items()
    }


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0–1) with linear interpolation; ``None`` for no values."""
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    if len(values) == 0:
        return None
    return float(np.quantile(np.asarray(values, dtype=np.float64), q))


def median(values: Sequence[float]) -> float | None:
    return quantile(values, 0.5)


def p90(values: Sequence[float]) -> float | None:
    return quantile(values, 0.9)


def share(part: int, whole: int) -> float | None:
    """``part / whole``, or ``None`` when there is nothing to divide (never a fake 0 %)."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Suppressed:
    """A figure withheld because fewer than k people stand behind it."""

    people: int

    def __str__(self) -> str:
        return "suppressed"


def is_safe(people: int, k: int) -> bool:
    """A group may be shown when at least ``k`` distinct people stand behind it."""
    return people >= k


def suppress(groups: Mapping[K, tuple[int, float | None]], k: int) -> dict[K, float | None]:
    """Keeps the value of every group with at least ``k`` people; withholds the others.

    Withheld groups are dropped from the result entirely (not zeroed), and when exactly one group
    would be withheld while a total over all groups could be published, the smallest shown group
    is withheld too, so the missing one cannot be recovered by subtraction (complementary
    suppression).
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    hidden = {key for key, (people, _value) in groups.items() if not is_safe(people, k)}
    shown = {key: value for key, (people, value) in groups.items() if key not in hidden}
    if len(hidden) == 1 and shown:
        smallest = min(shown, key=lambda key: (groups[key][0], str(key)))
        shown.pop(smallest)
    return shown


def adoption_probability(exposed: int, adopted: int) -> float | None:
    """Maximum-likelihood estimate of a per-exposure adoption probability (adopted / exposed)."""
    return share(adopted, exposed)


def rounded(value: float | None, digits: int = 1) -> float | None:
    if value is None or math.isnan(value):
        return None
    return round(value, digits)


# Log-spaced duration buckets: 12 per decade (each ~21 % wide) above one minute; bucket 0 holds
# everything under a minute. A year spans ~70 buckets, so a distribution is a few dozen rows.
BUCKETS_PER_DECADE = 12
BUCKET_FLOOR_MS = 60_000


def duration_bucket(ms: int) -> int:
    """The histogram bucket of a duration in milliseconds (non-negative)."""
    if ms < BUCKET_FLOOR_MS:
        return 0
    return math.floor(math.log10(ms / BUCKET_FLOOR_MS) * BUCKETS_PER_DECADE) + 1


Cell = tuple[int, int, int]  # bucket, count, sum of the durations in milliseconds


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """The [low, high) milliseconds a bucket covers."""
    if bucket <= 0:
        return 0.0, float(BUCKET_FLOOR_MS)
    return (
        BUCKET_FLOOR_MS * 10 ** ((bucket - 1) / BUCKETS_PER_DECADE),
        BUCKET_FLOOR_MS * 10 ** (bucket / BUCKETS_PER_DECADE),
    )


def histogram_quantile(cells: Iterable[Cell], q: float) -> float | None:
    """The ``q`` quantile, in hours, of durations kept as log-spaced buckets with their sums.

    Same linear interpolation between ranks as ``numpy.quantile``. A bucket's members are taken
    as spread evenly around their mean, as widely as the bucket allows on both sides of it: a
    bucket holding one value gives that value exactly; a crowded one is not collapsed onto a
    single point, so a percentile falling inside it moves with its rank.
    """
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    ordered = sorted(cell for cell in cells if cell[1] > 0)
    total = sum(count for _bucket, count, _ms in ordered)
    if total == 0:
        return None
    position = (total - 1) * q
    low = math.floor(position)

    def at(rank: int) -> float:
        seen = 0
        for bucket, count, total_ms in ordered:
            if rank < seen + count:
                mean = total_ms / count
                if count == 1:
                    return mean / 3_600_000
                start, end = bucket_bounds(bucket)
                width = max(min(end - start, 2 * (mean - start), 2 * (end - mean)), 0.0)
                offset = ((rank - seen) + 0.5) / count - 0.5
                return (mean + width * offset) / 3_600_000
            seen += count
        bucket, count, total_ms = ordered[-1]
        return total_ms / count / 3_600_000

    below = at(low)
    if position == low:
        return below
    return below + (position - low) * (at(low + 1) - below)
