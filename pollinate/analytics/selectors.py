"""Dashboard reads: figures and tables computed from the rollups, never from raw activity.

Every figure carries the number of distinct people behind it; anything with fewer than
``settings.PRIVACY_MIN_GROUP`` people is withheld (see ``metrics.suppress``) in pages and CSV alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.functional import Promise
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from pollinate.analytics import metrics, rollups
from pollinate.analytics.models import (
    ALL,
    ANY_KIND,
    AdoptionFact,
    DurationBucket,
    FoldCursor,
    GroupSize,
    Kind,
    PracticeFact,
    RecognitionSetting,
    RequestFact,
    Tally,
    WeeklyCount,
)
from pollinate.people.models import Site, Topic

HEADLINE_KINDS = (
    Kind.PRACTICE_SHARED,
    Kind.ADOPTED,
    Kind.ADAPTED,
    Kind.ASKED,
    Kind.ANSWERED_CROSS_SITE,
    Kind.HELPED,
)


def k_min() -> int:
    return int(settings.PRIVACY_MIN_GROUP)


Label = str | Promise


@dataclass
class Table:
    """A table as shown under a chart and exported as CSV; withheld rows are counted, not shown."""

    key: str
    title: Label
    columns: list[Label]
    rows: list[list[Any]] = field(default_factory=list)
    withheld: int = 0
    safe: bool = True
    # Rows left off a page (the largest are shown); the CSV has them all.
    hidden: int = 0


@dataclass
class Figure:
    label: Label
    value: Any
    unit: str = ""


@dataclass
class Dashboard:
    scope: str
    people: int
    safe: bool
    figures: list[Figure] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    curve: list[tuple[date, int]] = field(default_factory=list)
    # When the rollups last caught up with the spine (the fold runs seconds after a write).
    updated_at: datetime | None = None
    # An administrator turned named recognition on: the page says so and lists who helped.
    named_recognition: bool = False

    def table(self, key: str) -> Table | None:
        return self.tables.get(key)


# ------------------------------------------------------------------------------------ people


def people_in(*, site_id: int | None = None, topic_id: int = 0) -> int:
    """Distinct people behind the counters of a scope (0 = all topics)."""
    row = GroupSize.objects.filter(
        kind=ANY_KIND,
        site_id=ALL if site_id is None else site_id,
        other_site_id=0,
        topic_id=topic_id,
    ).values_list("people", flat=True)
    return int(row.first() or 0)


def people_by(column: str, *, kind: str = ANY_KIND, **fixed: int) -> dict[int, int]:
    """Distinct people per value of ``column`` (``site_id``, ``topic_id``…), the others fixed.

    Unnamed dimensions are summed over: every site (``ALL``), any other site (0), all topics (0).
    """
    where = {"site_id": ALL, "other_site_id": 0, "topic_id": 0, **fixed}
    where.pop(column)
    rows = GroupSize.objects.filter(kind=kind, **where).values_list(column, "people")
    return {key: n for key, n in rows if key != ALL}


# ------------------------------------------------------------------------------------ counts

_TALLY_KINDS = [
    *Kind.values,
    rollups.FIRST_ANSWER,
    rollups.FIRST_ANSWER_CROSS,
    rollups.MATCHED_CROSS,
    rollups.SESSIONED,
    rollups.HELPED_SESSIONED,
    rollups.ADOPTED_POSITIVE,
]


def tallies(column: str | None = None, *, kinds: Iterable[str], **fixed: int) -> dict[Any, int]:
    """All-time counters by kind (and by ``column``); unnamed dimensions are over everything."""
    where = {"site_id": ALL, "other_site_id": ALL, "topic_id": 0, **fixed}
    if column is not None:
        where.pop(column)
    rows = Tally.objects.filter(kind__in=list(kinds), **where)
    if column is None:
        return dict(rows.values_list("kind", "count"))
    return {
        (kind, key): n for kind, key, n in rows.values_list("kind", column, "count") if key != ALL
    }


def counts_by_kind(
    *, site_id: int = ALL, other_site_id: int = ALL, topic_id: int = 0
) -> dict[str, int]:
    # Naming the kinds lets the key index answer (a handful of rows instead of a scan).
    rows = Tally.objects.filter(
        kind__in=_TALLY_KINDS, site_id=site_id, other_site_id=other_site_id, topic_id=topic_id
    )
    return dict(rows.values_list("kind", "count"))


def adoption_curve(*, topic_id: int = 0, site_id: int = ALL) -> list[tuple[date, int]]:
    """Cumulative adoptions per week (Mondays), from the first adoption to the last."""
    weekly = dict(
        WeeklyCount.objects.filter(kind=Kind.ADOPTED, site_id=site_id, topic_id=topic_id)
        .order_by("week")
        .values_list("week", "count")
    )
    if not weekly:
        return []
    curve, running, week = [], 0, min(weekly)
    end = max(weekly)
    while week <= end:
        running += weekly.get(week, 0)
        curve.append((week, running))
        week += timedelta(days=7)
    return curve


def distributions(
    kind: str, column: str, *, only: Iterable[int] | None = None, **fixed: int
) -> dict[int, list[metrics.Cell]]:
    """Duration histograms, one per value of ``column`` (those in ``only`` when given): (bucket,
    count, sum in ms) cells."""
    where = {"site_id": ALL, "topic_id": 0, **fixed}
    where.pop(column)
    found: dict[int, list[metrics.Cell]] = defaultdict(list)
    rows = DurationBucket.objects.filter(kind=kind, **where)
    if only is not None:
        rows = rows.filter(**{f"{column}__in": list(only)})
    for key, bucket, n, total_ms in rows.values_list(column, "bucket", "count", "total_ms"):
        if key != ALL:
            found[key].append((bucket, n, total_ms))
    return found


def _distribution(kind: str, **fixed: int) -> list[metrics.Cell]:
    where = {"site_id": ALL, "topic_id": 0, **fixed}
    rows = DurationBucket.objects.filter(kind=kind, **where)
    return list(rows.values_list("bucket", "count", "total_ms"))


def _hours(value: float | None) -> float | None:
    return metrics.rounded(value, 1)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _site_names() -> dict[int, str]:
    return dict(Site.objects.values_list("pk", "name"))


# ------------------------------------------------------------------------------ spread tables


def _flow_table(
    site_filter: int | None, k: int, *, limit: int | None = None
) -> tuple[Table, list[metrics.Flow]]:
    """Site pairs with at least k people, read through their group sizes (up to sites²); the
    others are only counted. ``metrics.suppress`` decides, given the shown candidates and up to
    two stand-ins for the withheld (all its rule needs to know).

    With ``limit`` only the largest ``limit`` shown pairs are built (the page; ``hidden`` counts
    the rest): at 100 sites nearly every pair passes k, and joining ten thousand pairs to their
    group sizes cost more than the rest of the dashboard. The suppression is the same: the one
    pair complementary suppression would withhold is found first and left off the page too.
    """
    pairs = Tally.objects.filter(
        kind=Kind.ADOPTED, topic_id=0, other_site_id__gte=0, site_id__gte=0
    )
    # People behind a pair are counted under its non-zero origin only (0 is "unknown").
    sizes = GroupSize.objects.filter(
        kind=Kind.ADOPTED, topic_id=0, other_site_id__gt=0, site_id__gte=0, people__gte=k
    )
    if site_filter is not None:
        pairs = pairs.filter(Q(site_id=site_filter) | Q(other_site_id=site_filter))
        sizes = sizes.filter(Q(site_id=site_filter) | Q(other_site_id=site_filter))
    if limit is None:
        counts = dict(
            ((o, a), n) for o, a, n in pairs.values_list("other_site_id", "site_id", "count")
        )
        candidates = [
            (key, people, counts[key])
            for *pair, people in sizes.values_list("other_site_id", "site_id", "people")
            if (key := (pair[0], pair[1])) in counts
        ]
        total = len(candidates)
    else:
        # Every adoption's people are recorded with its counter on the same key
        # (``rollups._counted``) and an adoption counter never goes down: each group size has its
        # pair, so the group sizes alone count the pairs shown.
        total = sizes.count()
        candidates = []
    withheld = pairs.count() - total
    stand_ins = min(withheld, 2)
    if limit is not None and stand_ins == 1 and total:
        # Complementary suppression would take out the smallest group: hand suppress just the
        # smallest ones with the stand-in (the others are kept whatever they are).
        smallest = Subquery(sizes.order_by("people").values("people")[:1])
        candidates = [
            ((o, a), people, 0)
            for o, a, people in sizes.filter(people=smallest).values_list(
                "other_site_id", "site_id", "people"
            )
        ]
    groups: dict[tuple[int, int], tuple[int, float | None]] = {
        key: (people, n) for key, people, n in candidates
    }
    for stand_in in range(stand_ins):
        groups[(ALL, -2 - stand_in)] = (0, None)
    shown = metrics.suppress(groups, k)
    dropped = {key for key in groups if key not in shown and key[0] != ALL}
    if limit is None:
        # Largest first, then by site pair: the page's rows are the CSV's first rows.
        largest = sorted(shown.items(), key=lambda kv: (-(kv[1] or 0), kv[0]))
    else:
        largest = _largest_pairs(pairs, k, limit=limit, dropped=dropped)
    flows = [
        metrics.Flow(origin=origin, adopter=ALL, count=n)
        for (_kind, origin), n in tallies("other_site_id", kinds=[Kind.ADOPTED]).items()
    ]
    names = _site_names()
    table = Table(
        key="flows",
        title=_("Who learns from whom: adoptions by origin and adopting site"),
        columns=[_("Practice from"), _("Adopted at"), _("Adoptions")],
        rows=[
            [names.get(origin, "?"), names.get(adopter, "?"), int(value or 0)]
            for (origin, adopter), value in largest
        ],
        withheld=withheld + len(dropped),
        hidden=total - len(dropped) - len(largest),
    )
    return table, flows


def _largest_pairs(
    pairs: Any, k: int, *, limit: int, dropped: set[tuple[int, int]]
) -> list[tuple[tuple[int, int], float | None]]:
    """The ``limit`` largest pairs with at least k people, in the CSV's order: the counters are
    read largest first a batch at a time (one batch when most pairs pass k), each with its group
    size (looked up for the batch's rows only, after the sort)."""
    people = GroupSize.objects.filter(
        kind=OuterRef("kind"),
        topic_id=OuterRef("topic_id"),
        other_site_id=OuterRef("other_site_id"),
        site_id=OuterRef("site_id"),
    ).values("people")[:1]
    ordered = (
        pairs.filter(other_site_id__gt=0)
        .order_by("-count", "other_site_id", "site_id")
        .annotate(people=Subquery(people))
        .values_list("other_site_id", "site_id", "count", "people")
    )
    found: list[tuple[tuple[int, int], float | None]] = []
    start, step = 0, limit + len(dropped) + 1
    while len(found) < limit:
        batch = list(ordered[start : start + step])
        found += [
            ((o, a), n) for o, a, n, size in batch if (size or 0) >= k and (o, a) not in dropped
        ]
        if len(batch) < step:
            break
        start, step = start + step, step * 4
    return found[:limit]


# --------------------------------------------------------------------------- responsiveness

_QUESTION_KINDS = (Kind.ASKED, rollups.FIRST_ANSWER, rollups.FIRST_ANSWER_CROSS)


def _responsiveness(counts: dict[str, int], hours: list[metrics.Cell]) -> dict[str, Any]:
    asked = counts.get(Kind.ASKED, 0)
    answered = counts.get(rollups.FIRST_ANSWER, 0)
    return {
        "asked": asked,
        "answered_share": _percent(metrics.share(answered, asked)),
        "median": _hours(metrics.histogram_quantile(hours, 0.5)),
        "p90": _hours(metrics.histogram_quantile(hours, 0.9)),
        "cross_share": _percent(metrics.share(counts.get(rollups.FIRST_ANSWER_CROSS, 0), answered)),
    }


def _responsiveness_tables(
    k: int, *, site_id: int = ALL, by_site: bool, limit: int | None = None
) -> list[Table]:
    """Questions answered and how fast, per topic (and per site); with ``limit`` only the groups
    with the most questions get their figures and histograms read (the page), ``hidden`` counting
    the rest. Suppression is decided over every group either way."""
    columns = [
        _("Questions"),
        _("Answered (%)"),
        _("Median hours to first answer"),
        _("90th percentile (hours)"),
        _("First answered from another site (%)"),
    ]
    tables = []
    groupings: list[tuple[str, Label, Label, str, dict[str, int], dict[int, int]]] = [
        (
            "topics",
            _("Responsiveness by topic"),
            _("Topic"),
            "topic_id",
            {"site_id": site_id},
            people_by("topic_id", kind=Kind.ASKED),
        )
    ]
    if by_site:
        site_people = people_by("site_id", kind=Kind.ASKED)
        groupings.append(
            ("sites", _("Responsiveness by site"), _("Site"), "site_id", {}, site_people)
        )
    topic_names = dict(Topic.objects.values_list("pk", "name"))
    site_names = _site_names()
    for key, title, label, column, fixed, people in groupings:
        counts: dict[int, dict[str, int]] = defaultdict(dict)
        for (kind, group), n in tallies(column, kinds=_QUESTION_KINDS, **fixed).items():
            if group != 0 or column == "site_id":
                counts[group][kind] = n
        asked = {g: c.get(Kind.ASKED, 0) for g, c in counts.items() if c.get(Kind.ASKED, 0)}
        groups = {g: (people.get(g, 0), float(n)) for g, n in asked.items()}
        shown = metrics.suppress(groups, k)
        # Most questions first, then by id: the page's rows are the CSV's first rows.
        ordered = sorted(shown, key=lambda g: (-asked[g], g))
        listed = ordered if limit is None else ordered[:limit]
        hours = distributions(
            rollups.HOURS_TO_FIRST_ANSWER,
            column,
            only=None if limit is None else listed,
            **fixed,
        )
        names = topic_names if key == "topics" else site_names
        rows = []
        for group in listed:
            figures = _responsiveness(counts[group], hours.get(group, []))
            rows.append(
                [
                    names.get(group, "?"),
                    figures["asked"],
                    figures["answered_share"],
                    figures["median"],
                    figures["p90"],
                    figures["cross_share"],
                ]
            )
        tables.append(
            Table(
                key=f"responsiveness_{key}",
                title=title,
                columns=[label, *columns],
                rows=rows,
                withheld=len(groups) - len(shown),
                hidden=len(ordered) - len(listed),
            )
        )
    return tables


# --------------------------------------------------------------------------------- coaching

_COACHING_KINDS = (
    Kind.REQUESTED,
    Kind.MATCHED,
    Kind.SESSION,
    Kind.HELPED,
    rollups.MATCHED_CROSS,
    rollups.SESSIONED,
    rollups.HELPED_SESSIONED,
)


def _coaching(*, site_id: int = ALL, topic_id: int = 0, loads: bool = False) -> dict[str, Any]:
    counts = tallies(kinds=_COACHING_KINDS, site_id=site_id, topic_id=topic_id)
    requests, matched = counts.get(Kind.REQUESTED, 0), counts.get(Kind.MATCHED, 0)
    hours = _distribution(rollups.HOURS_TO_MATCH, site_id=site_id, topic_id=topic_id)
    per_coach: dict[int, int] = {}
    if loads:
        # One row per coach: a GROUP BY over the request facts, never a Python scan.
        per_coach = dict(
            RequestFact.objects.filter(matched_at__isnull=False)
            .values("coach_id")
            .annotate(n=Count("id"))
            .values_list("coach_id", "n")
        )
    return {
        "requests": requests,
        "served_share": _percent(metrics.share(matched, requests)),
        "median_match": _hours(metrics.histogram_quantile(hours, 0.5)),
        "sessions": counts.get(Kind.SESSION, 0),
        "helped": counts.get(Kind.HELPED, 0),
        "helped_share": _percent(
            metrics.share(counts.get(rollups.HELPED_SESSIONED, 0), counts.get(rollups.SESSIONED, 0))
        ),
        "cross_share": _percent(metrics.share(counts.get(rollups.MATCHED_CROSS, 0), matched)),
        "load_gini": metrics.rounded(metrics.gini(per_coach.values()), 2),
        "loads": per_coach,
    }


def coach_capacity() -> dict[int, int]:
    """Monthly capacity per active coach, read from the coaching app when it is installed."""
    try:
        offer = apps.get_model("coaching", "CoachOffer")
    except LookupError:
        return {}
    return dict(offer.objects.filter(status="active").values_list("person_id", "capacity"))


def _coverage_table(k: int) -> Table:
    by_topic: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (kind, topic), n in tallies("topic_id", kinds=(Kind.REQUESTED, Kind.MATCHED)).items():
        by_topic[topic][0 if kind == Kind.REQUESTED else 1] = n
    people = people_by("topic_id", kind=Kind.REQUESTED)
    groups = {
        t: (people.get(t, 0), float(asked - served))
        for t, (asked, served) in by_topic.items()
        if t and asked > served
    }
    shown = metrics.suppress(groups, k)
    names = dict(Topic.objects.values_list("pk", "name"))
    return Table(
        key="coverage",
        title=_("Coverage gaps: coaching requests still waiting for a coach, by topic"),
        columns=[_("Topic"), _("Requests"), _("Waiting")],
        rows=[
            [names.get(t, "?"), by_topic[t][0], by_topic[t][0] - by_topic[t][1]]
            for t in sorted(shown, key=lambda t: -(shown[t] or 0))
        ],
        withheld=len(groups) - len(shown),
    )


# ------------------------------------------------------------------------------- dashboards


def dashboard_cache_key(key: str) -> str:
    # Per language: a board's titles and labels are translated as it is built (plain strings
    # unpickle in microseconds; lazy ones cost the dashboard page 4 ms on every read).
    return f"analytics:{key}:k{k_min()}:{get_language() or settings.LANGUAGE_CODE}"


def _cached(key: str, build: Any) -> Any:
    seconds = int(settings.ANALYTICS_CACHE_SECONDS)
    if seconds <= 0:
        return build()
    full_key = dashboard_cache_key(key)
    hit = cache.get(full_key)
    if hit is not None:
        return hit
    result = build()
    cache.set(full_key, result, seconds)
    return result


# The rows of a table a dashboard page shows (the largest; the curve shows every n-th week). The
# flows and responsiveness tables are built to this length for the page, and whole only for the
# CSV and the API.
PAGE_ROWS = 25


def _whole_tables(site_filter: int | None) -> dict[str, Table]:
    k = k_min()
    tables = {"flows": _flow_table(site_filter, k)[0]}
    site_id = ALL if site_filter is None else site_filter
    for table in _responsiveness_tables(k, site_id=site_id, by_site=site_filter is None):
        tables[table.key] = table
    return tables


def _complete(board: Dashboard, key: str, site_filter: int | None) -> Dashboard:
    """The dashboard with the tables the page cuts made whole, for the CSV and the API."""
    if not board.safe:
        return board
    whole: dict[str, Table] = _cached(f"{key}:whole", lambda: _whole_tables(site_filter))
    return replace(board, tables={**board.tables, **whole})


def _updated_at() -> datetime | None:
    folded: datetime | None = (
        FoldCursor.objects.filter(pk=1).values_list("folded_at", flat=True).first()
    )
    return folded


def _unsafe(scope: str, people: int) -> Dashboard:
    return Dashboard(scope=scope, people=people, safe=False)


def org_dashboard(*, complete: bool = False) -> Dashboard:
    """The organisation's dashboard as the page shows it; ``complete`` for every row (CSV, API)."""
    board: Dashboard = _cached("org", _org_dashboard)
    if complete:
        board = _complete(board, "org", None)
    return with_recognition(board)


def org_dashboard_refresh() -> None:
    """Recomputes the organisation dashboard into the cache (the worker calls it after a fold),
    so the page everyone opens is never computed on a request while the worker keeps up."""
    seconds = int(settings.ANALYTICS_CACHE_SECONDS)
    if seconds > 0:
        for language, _name in settings.LANGUAGES:
            with override(language):
                cache.set(dashboard_cache_key("org"), _org_dashboard(), seconds)
                # The whole tables (CSV, API) are rebuilt when next asked for, from the new rollups.
                cache.delete(dashboard_cache_key("org:whole"))


def _org_dashboard() -> Dashboard:
    k = k_min()
    people = people_in()
    if not metrics.is_safe(people, k):
        return _unsafe("org", people)
    counts = counts_by_kind()
    flows_table, flows = _flow_table(None, k, limit=PAGE_ROWS)
    sites = list(Site.objects.values_list("pk", "is_central"))
    central = {pk for pk, is_central in sites if is_central}
    by_origin: dict[int, int] = defaultdict(int)
    for flow in flows:
        by_origin[flow.origin] += flow.count
    ttfa = _distribution(rollups.HOURS_TO_ADOPTION)
    responsiveness = _responsiveness(
        tallies(kinds=_QUESTION_KINDS), _distribution(rollups.HOURS_TO_FIRST_ANSWER)
    )
    coaching = _coaching(loads=True)
    capacity = coach_capacity()
    over = sum(1 for coach, load in coaching["loads"].items() if load > capacity.get(coach, 10**9))
    board = Dashboard(
        scope="org", people=people, safe=True, curve=adoption_curve(), updated_at=_updated_at()
    )
    board.figures = [
        Figure(_("Practices shared"), counts.get(Kind.PRACTICE_SHARED, 0)),
        Figure(_("Adoptions at other sites"), counts.get(Kind.ADOPTED, 0)),
        Figure(_("Adaptations"), counts.get(Kind.ADAPTED, 0)),
        Figure(
            _("Adoptions with a positive outcome"),
            _percent(
                metrics.share(counts.get(rollups.ADOPTED_POSITIVE, 0), counts.get(Kind.ADOPTED, 0))
            ),
            "%",
        ),
        Figure(
            _("Horizontality (adoptions between peer sites)"),
            _percent(metrics.horizontality(flows, central)),
            "%",
        ),
        Figure(
            _("Contribution breadth (sites whose practices were adopted elsewhere)"),
            _percent(metrics.contribution_breadth(flows, [pk for pk, _c in sites])),
            "%",
        ),
        Figure(
            _("Concentration of contributions (Gini, 0 = even)"),
            metrics.rounded(metrics.gini([by_origin.get(pk, 0) for pk, _c in sites]), 2),
        ),
        Figure(
            _("Median days to first adoption at another site"),
            metrics.rounded(_days(metrics.histogram_quantile(ttfa, 0.5)), 1),
        ),
        Figure(_("Median hours to first answer"), responsiveness["median"]),
        Figure(_("Questions answered"), responsiveness["answered_share"], "%"),
        Figure(_("Questions first answered from another site"), responsiveness["cross_share"], "%"),
        Figure(_("Coaching requests served"), coaching["served_share"], "%"),
        Figure(_("Median hours to a coach"), coaching["median_match"]),
        Figure(_("Sessions scheduled"), coaching["sessions"]),
        Figure(_("Learners who confirmed a coach helped"), coaching["helped"]),
        Figure(_("Coaching across sites"), coaching["cross_share"], "%"),
        Figure(_("Coach load spread (Gini, 0 = even)"), coaching["load_gini"]),
        Figure(_("Coaches above their monthly capacity"), over),
    ]
    board.tables["flows"] = flows_table
    board.tables["contributions"] = _site_table(k)
    for table in _responsiveness_tables(k, by_site=True, limit=PAGE_ROWS):
        board.tables[table.key] = table
    board.tables["coverage"] = _coverage_table(k)
    board.tables["curve"] = _curve_table(board.curve)
    return board


def _days(hours: float | None) -> float | None:
    return None if hours is None else hours / 24


def _curve_table(curve: list[tuple[date, int]]) -> Table:
    return Table(
        key="curve",
        title=_("Diffusion curve: adoptions at other sites, cumulative by week"),
        columns=[_("Week starting"), _("Adoptions so far")],
        rows=[[week.isoformat(), total] for week, total in curve],
    )


def _site_table(k: int) -> Table:
    """What each site gave and took: no individual, and no site with fewer than k people."""
    given = {
        origin: n
        for (_kind, origin), n in tallies(
            "other_site_id", kinds=[Kind.ADOPTED], site_id=ALL
        ).items()
    }
    taken = {site: n for (_kind, site), n in tallies("site_id", kinds=[Kind.ADOPTED]).items()}
    shared = {
        site: n for (_kind, site), n in tallies("site_id", kinds=[Kind.PRACTICE_SHARED]).items()
    }
    people = people_by("site_id")
    names = _site_names()
    groups = {
        pk: (people.get(pk, 0), float(given.get(pk, 0)))
        for pk in names
        if pk in given or pk in taken or pk in shared
    }
    shown = metrics.suppress(groups, k)
    return Table(
        key="contributions",
        title=_("What each site gave and took"),
        columns=[_("Site"), _("Practices shared"), _("Adopted elsewhere"), _("Adopted here")],
        rows=[
            [names[pk], shared.get(pk, 0), given.get(pk, 0), taken.get(pk, 0)]
            for pk in sorted(shown, key=lambda pk: names[pk])
        ],
        withheld=len(groups) - len(shown),
    )


def site_dashboard(site: Site, *, complete: bool = False) -> Dashboard:
    board: Dashboard = _cached(f"site:{site.pk}", lambda: _site_dashboard(site))
    if complete:
        board = _complete(board, f"site:{site.pk}", site.pk)
    return with_recognition(board, site_id=site.pk)


def _site_dashboard(site: Site) -> Dashboard:
    k = k_min()
    people = people_in(site_id=site.pk)
    if not metrics.is_safe(people, k):
        return _unsafe(f"site:{site.code}", people)
    gave = counts_by_kind(other_site_id=site.pk)
    took = counts_by_kind(site_id=site.pk)
    flows_table, _flows = _flow_table(site.pk, k, limit=PAGE_ROWS)
    responsiveness = _responsiveness(
        tallies(kinds=_QUESTION_KINDS, site_id=site.pk),
        _distribution(rollups.HOURS_TO_FIRST_ANSWER, site_id=site.pk),
    )
    coaching = _coaching(site_id=site.pk)
    answered_for_others = took.get(Kind.ANSWERED_CROSS_SITE, 0)
    board = Dashboard(
        scope=f"site:{site.code}",
        people=people,
        safe=True,
        curve=adoption_curve(site_id=site.pk),
        updated_at=_updated_at(),
    )
    board.figures = [
        Figure(_("Practices we shared"), took.get(Kind.PRACTICE_SHARED, 0)),
        Figure(_("Our practices adopted at other sites"), gave.get(Kind.ADOPTED, 0)),
        Figure(_("Practices we adopted from other sites"), took.get(Kind.ADOPTED, 0)),
        Figure(_("Practices we adapted"), took.get(Kind.ADAPTED, 0)),
        Figure(_("Answers we gave to other sites"), answered_for_others),
        Figure(_("Our questions answered"), responsiveness["answered_share"], "%"),
        Figure(_("Median hours to a first answer for us"), responsiveness["median"]),
        Figure(_("Our coaching requests served"), coaching["served_share"], "%"),
        Figure(_("Our learners who confirmed a coach helped"), coaching["helped"]),
        Figure(_("Reflections written here"), took.get(Kind.REFLECTED, 0)),
    ]
    board.tables["flows"] = flows_table
    for table in _responsiveness_tables(k, site_id=site.pk, by_site=False, limit=PAGE_ROWS):
        board.tables[table.key] = table
    board.tables["curve"] = _curve_table(board.curve)
    return board


def topic_dashboard(topic: Topic) -> Dashboard:
    board: Dashboard = _cached(f"topic:{topic.pk}", lambda: _topic_dashboard(topic))
    return with_recognition(board, topic_id=topic.pk)


def _topic_dashboard(topic: Topic) -> Dashboard:
    k = k_min()
    people = people_in(topic_id=topic.pk)
    if not metrics.is_safe(people, k):
        return _unsafe(f"topic:{topic.pk}", people)
    counts = counts_by_kind(topic_id=topic.pk)
    responsiveness = _responsiveness(
        tallies(kinds=_QUESTION_KINDS, topic_id=topic.pk),
        _distribution(rollups.HOURS_TO_FIRST_ANSWER, topic_id=topic.pk),
    )
    coaching = _coaching(topic_id=topic.pk)
    by_site = {
        site: n
        for (_kind, site), n in tallies("site_id", kinds=[Kind.ADOPTED], topic_id=topic.pk).items()
    }
    people_site = people_by("site_id", topic_id=topic.pk, kind=Kind.ADOPTED)
    groups = {pk: (people_site.get(pk, 0), float(n)) for pk, n in by_site.items()}
    shown = metrics.suppress(groups, k)
    names = _site_names()
    board = Dashboard(
        scope=f"topic:{topic.pk}",
        people=people,
        safe=True,
        curve=adoption_curve(topic_id=topic.pk),
        updated_at=_updated_at(),
    )
    board.figures = [
        Figure(_("Practices shared"), counts.get(Kind.PRACTICE_SHARED, 0)),
        Figure(_("Adoptions at other sites"), counts.get(Kind.ADOPTED, 0)),
        Figure(_("Adaptations"), counts.get(Kind.ADAPTED, 0)),
        Figure(_("Questions asked"), responsiveness["asked"]),
        Figure(_("Questions answered"), responsiveness["answered_share"], "%"),
        Figure(_("Median hours to first answer"), responsiveness["median"]),
        Figure(_("90th percentile hours to first answer"), responsiveness["p90"]),
        Figure(_("Coaching requests"), coaching["requests"]),
        Figure(_("Coaching requests served"), coaching["served_share"], "%"),
    ]
    board.tables["adopters"] = Table(
        key="adopters",
        title=_("Sites adopting practices on this topic"),
        columns=[_("Site"), _("Adoptions")],
        rows=[
            [names.get(pk, "?"), int(v or 0)]
            for pk, v in sorted(shown.items(), key=lambda kv: -(kv[1] or 0))
        ],
        withheld=len(groups) - len(shown),
    )
    return board


# -------------------------------------------------------------------------- named recognition


def named_recognition_on() -> bool:
    """The administrator's switch; before anyone touched it, ``ANALYTICS_NAMED_RECOGNITION``."""
    stored: bool | None = (
        RecognitionSetting.objects.filter(pk=1).values_list("named_recognition", flat=True).first()
    )
    return bool(settings.ANALYTICS_NAMED_RECOGNITION) if stored is None else stored


def recognition_setting() -> RecognitionSetting | None:
    return RecognitionSetting.objects.select_related("changed_by").filter(pk=1).first()


def with_recognition(
    board: Dashboard, *, site_id: int | None = None, topic_id: int | None = None
) -> Dashboard:
    """Adds the "Help taken up elsewhere" table when named recognition is on and the dashboard
    is shown at all (the threshold still decides that). Kept out of the cached dashboard, so
    turning the switch off hides every name at once."""
    if not board.safe or not named_recognition_on():
        return board
    table = recognition_table(site_id=site_id, topic_id=topic_id)
    return replace(board, named_recognition=True, tables={**board.tables, "recognition": table})


def recognition_table(*, site_id: int | None = None, topic_id: int | None = None) -> Table:
    """People whose help was taken up by others, alphabetically, with what kind of help: an
    answer accepted at another site, a coaching session the learner confirmed helped, a practice
    adopted or adapted at another site. Deliberately no counts and no order by volume: this
    thanks people, it does not rank them. ``site_id`` keeps the site's own people (what the site
    gave); ``topic_id`` keeps help on that topic."""
    from django.db.models import F

    helped: dict[int, set[str]] = defaultdict(set)
    answer = _model("questions.Answer")
    if answer is not None:
        rows = answer.objects.filter(is_accepted=True).exclude(
            author__site_id=F("question__site_id")
        )
        if site_id is not None:
            rows = rows.filter(author__site_id=site_id)
        if topic_id is not None:
            rows = rows.filter(question__topic_links__topic_id=topic_id)
        for pk in rows.values_list("author_id", flat=True).distinct():
            helped[pk].add(_("an answer accepted at another site"))
    feedback = _model("coaching.Feedback")
    if feedback is not None:
        rows = feedback.objects.filter(helped=True)
        if site_id is not None:
            rows = rows.filter(session__match__coach__site_id=site_id)
        if topic_id is not None:
            rows = rows.filter(session__match__request__topic_id=topic_id)
        for pk in rows.values_list("session__match__coach_id", flat=True).distinct():
            helped[pk].add(_("coaching a learner confirmed helped"))
    adoption = _model("practices.Adoption")
    if adoption is not None:
        rows = adoption.objects.filter(status__in=sorted(rollups.ADOPTED)).exclude(
            site_id=F("practice__site_id")
        )
        if site_id is not None:
            rows = rows.filter(practice__site_id=site_id)
        if topic_id is not None:
            rows = rows.filter(practice__topics__id=topic_id)
        for pk in rows.values_list("practice__owner_id", flat=True).distinct():
            helped[pk].add(_("a practice adopted at another site"))
    from pollinate.people.models import Person

    people = Person.objects.filter(pk__in=helped).select_related("site").order_by("display_name")
    return Table(
        key="recognition",
        title=_("Help taken up elsewhere (named recognition is on)"),
        columns=[_("Person"), _("Site"), _("Help")],
        rows=[
            [p.display_name, p.site.name if p.site_id else "", "; ".join(sorted(helped[p.pk]))]
            for p in people
        ],
    )


def _model(label: str) -> Any:
    try:
        return apps.get_model(label)
    except LookupError:
        return None


# --------------------------------------------------------------------------------- my figures


def my_figures(person_id: int) -> list[Figure]:
    """A person's own figures; shown only to that person, so no threshold applies."""
    from pollinate.activity.models import Activity

    counts = dict(
        Activity.objects.filter(actor_id=person_id)
        .values("verb")
        .annotate(n=Count("id"))
        .values_list("verb", "n")
    )
    adopted_elsewhere = AdoptionFact.objects.filter(
        practice_id__in=Activity.objects.filter(actor_id=person_id, verb="practice.shared").values(
            "object_id"
        ),
        adopted_at__isnull=False,
    ).count()
    return [
        Figure(_("Practices I shared"), counts.get("practice.shared", 0)),
        Figure(_("Sites that adopted practices I shared"), adopted_elsewhere),
        Figure(
            _("Adoptions and adaptations I recorded for my site"),
            counts.get("practice.adopted", 0) + counts.get("practice.adapted", 0),
        ),
        Figure(_("Questions I asked"), counts.get("question.asked", 0)),
        Figure(_("Answers I gave"), counts.get("question.answered", 0)),
        Figure(_("Coaching sessions I scheduled or held"), counts.get("coaching.scheduled", 0)),
        Figure(_("Times I confirmed a coach helped me"), counts.get("coaching.helped", 0)),
        Figure(_("Reflections I wrote"), counts.get("reflection.written", 0)),
    ]


# ------------------------------------------------------------------------------ one practice


@dataclass
class ProvenanceNode:
    practice_id: int
    title: str
    site: str
    depth: int
    current: bool


@dataclass
class PracticeSpread:
    """How far one practice travelled: sites, countries, speed, adaptations, outcomes, lineage."""

    origin: str
    sites_reached: int
    countries_reached: int
    hours_to_first_adoption: float | None
    adaptation_share: float | None
    positive_share: float | None
    adopters: list[tuple[str, str, str]]
    tree: list[ProvenanceNode]


def practice_spread(practice: Any) -> PracticeSpread:
    """Site-level facts only (a site's relation to a practice is already public on its page)."""
    facts = list(
        AdoptionFact.objects.filter(practice_id=practice.pk, adopted_at__isnull=False).order_by(
            "adopted_at"
        )
    )
    sites = Site.objects.in_bulk({f.site_id for f in facts})
    fact = PracticeFact.objects.filter(practice_id=practice.pk).first()
    hours = None
    if fact and fact.shared_at and fact.first_adopted_elsewhere_at:
        hours = metrics.durations_hours([(fact.shared_at, fact.first_adopted_elsewhere_at)])
    return PracticeSpread(
        origin=f"{practice.site.name} ({practice.site.country_name})",
        sites_reached=len(sites),
        countries_reached=len({s.country for s in sites.values()}),
        hours_to_first_adoption=metrics.rounded(hours[0], 1) if hours else None,
        adaptation_share=_percent(metrics.share(sum(f.adapted for f in facts), len(facts))),
        positive_share=_percent(metrics.share(sum(1 for f in facts if f.positive), len(facts))),
        adopters=[
            (
                sites[f.site_id].name if f.site_id in sites else "?",
                sites[f.site_id].country_name if f.site_id in sites else "",
                f.status,
            )
            for f in facts
        ],
        tree=provenance_tree(practice),
    )


def provenance_tree(practice: Any, *, limit: int = 200) -> list[ProvenanceNode]:
    """The lineage as a depth-first list: the root original, then its shared adaptations."""
    model = type(practice)
    live = ("shared", "verified", "superseded")
    root, seen = practice, {practice.pk}
    while root.adapted_from_id and root.adapted_from_id not in seen:
        parent = model.objects.select_related("site").filter(pk=root.adapted_from_id).first()
        if parent is None or parent.status not in live:
            break
        seen.add(parent.pk)
        root = parent
    nodes: list[ProvenanceNode] = []
    stack = [(root, 0)]
    visited: set[int] = set()
    while stack and len(nodes) < limit:
        node, depth = stack.pop()
        if node.pk in visited:
            continue
        visited.add(node.pk)
        nodes.append(
            ProvenanceNode(node.pk, node.title, node.site.name, depth, node.pk == practice.pk)
        )
        children = (
            model.objects.select_related("site")
            .filter(adapted_from_id=node.pk, status__in=live)
            .order_by("-pk")
        )
        stack += [(child, depth + 1) for child in children]
    return nodes
