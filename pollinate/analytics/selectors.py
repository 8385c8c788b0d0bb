"""Dashboard reads: figures and tables computed from the rollups, never from raw activity.

Every figure carries the number of distinct people behind it; anything with fewer than
``settings.PRIVACY_MIN_GROUP`` people is withheld (see ``metrics.suppress``) in pages and CSV alike.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from pollinate.analytics import metrics
from pollinate.analytics.models import (
    AdoptionFact,
    DailyCount,
    Kind,
    Participant,
    PracticeFact,
    QuestionFact,
    RequestFact,
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


@dataclass
class Table:
    """A table as shown under a chart and exported as CSV; withheld rows are counted, not shown."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    withheld: int = 0
    safe: bool = True


@dataclass
class Figure:
    label: str
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

    def table(self, key: str) -> Table | None:
        return self.tables.get(key)


# ------------------------------------------------------------------------------------ people


def people_in(
    *, site_id: int | None = None, topic_id: int = 0, other_site_id: int | None = None
) -> int:
    """Distinct people behind the counters of a scope (0 = all topics)."""
    rows = Participant.objects.filter(topic_id=topic_id)
    if site_id is not None:
        rows = rows.filter(site_id=site_id)
    if other_site_id is not None:
        rows = rows.filter(other_site_id=other_site_id)
    return rows.values("person_id").distinct().count()


def people_by(column: str, *, topic_id: int = 0, **filters: Any) -> dict[int, int]:
    rows = (
        Participant.objects.filter(topic_id=topic_id, **filters)
        .values(column)
        .annotate(n=Count("person_id", distinct=True))
    )
    return {row[column]: row["n"] for row in rows}


# ------------------------------------------------------------------------------------ counts


def counts_by_kind(**filters: Any) -> dict[str, int]:
    rows = DailyCount.objects.filter(**filters).values("kind").annotate(n=Sum("count"))
    return {row["kind"]: row["n"] or 0 for row in rows}


def adoption_curve(*, topic_id: int = 0, **filters: Any) -> list[tuple[date, int]]:
    """Cumulative adoptions per week (Mondays), from the first adoption to today."""
    rows = (
        DailyCount.objects.filter(kind=Kind.ADOPTED, topic_id=topic_id, **filters)
        .values("day")
        .annotate(n=Sum("count"))
        .order_by("day")
    )
    weekly: dict[date, int] = defaultdict(int)
    for row in rows:
        weekly[row["day"] - timedelta(days=row["day"].weekday())] += row["n"]
    if not weekly:
        return []
    start = min(weekly)
    curve, running, week = [], 0, start
    end = max(weekly)
    while week <= end:
        running += weekly.get(week, 0)
        curve.append((week, running))
        week += timedelta(days=7)
    return curve


def _hours(value: float | None) -> float | None:
    return metrics.rounded(value, 1)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _site_names() -> dict[int, str]:
    return dict(Site.objects.values_list("pk", "name"))


# ------------------------------------------------------------------------------ spread tables


def _flow_table(site_filter: int | None, k: int) -> tuple[Table, list[metrics.Flow]]:
    rows = DailyCount.objects.filter(kind=Kind.ADOPTED, topic_id=0)
    if site_filter is not None:
        rows = rows.filter(Q(site_id=site_filter) | Q(other_site_id=site_filter))
    pairs = rows.values("other_site_id", "site_id").annotate(n=Sum("count"))
    people = {
        (row["other_site_id"], row["site_id"]): row["n"]
        for row in Participant.objects.filter(kind=Kind.ADOPTED, topic_id=0)
        .exclude(other_site_id=0)
        .values("other_site_id", "site_id")
        .annotate(n=Count("person_id", distinct=True))
    }
    flows: list[metrics.Flow] = []
    groups: dict[tuple[int, int], tuple[int, float | None]] = {}
    for row in pairs:
        key = (row["other_site_id"], row["site_id"])
        flows.append(metrics.Flow(origin=key[0], adopter=key[1], count=row["n"]))
        groups[key] = (people.get(key, 0), row["n"])
    shown = metrics.suppress(groups, k)
    names = _site_names()
    table = Table(
        key="flows",
        title=_("Who learns from whom: adoptions by origin and adopting site"),
        columns=[_("Practice from"), _("Adopted at"), _("Adoptions")],
        rows=[
            [names.get(origin, "?"), names.get(adopter, "?"), int(value or 0)]
            for (origin, adopter), value in sorted(shown.items(), key=lambda kv: -(kv[1] or 0))
        ],
        withheld=len(groups) - len(shown),
    )
    return table, flows


def _time_to_adoption(**filters: Any) -> list[float]:
    rows = PracticeFact.objects.filter(
        shared_at__isnull=False, first_adopted_elsewhere_at__isnull=False, **filters
    ).values_list("shared_at", "first_adopted_elsewhere_at")
    return metrics.durations_hours((start, end) for start, end in rows if start is not None)


def _positive_share(**filters: Any) -> float | None:
    adopted = AdoptionFact.objects.filter(adopted_at__isnull=False, **filters)
    totals = adopted.aggregate(n=Count("id"), positive=Count("id", filter=Q(positive=True)))
    return metrics.share(totals["positive"], totals["n"])


# --------------------------------------------------------------------------- responsiveness


def _responsiveness(questions: list[tuple[int, Any, Any, bool | None]]) -> dict[str, Any]:
    asked = len(questions)
    answered = [q for q in questions if q[2] is not None]
    hours = metrics.durations_hours((q[1], q[2]) for q in answered)
    cross = sum(1 for q in answered if q[3])
    return {
        "asked": asked,
        "answered_share": _percent(metrics.share(len(answered), asked)),
        "median": _hours(metrics.median(hours)),
        "p90": _hours(metrics.p90(hours)),
        "cross_share": _percent(metrics.share(cross, len(answered))),
    }


def _questions(**filters: Any) -> list[tuple[int, Any, Any, bool | None, list[int]]]:
    return list(
        QuestionFact.objects.filter(**filters).values_list(
            "site_id", "asked_at", "first_answer_at", "first_answer_cross_site", "topic_ids"
        )
    )


def _responsiveness_tables(
    questions: list[tuple[int, Any, Any, bool | None, list[int]]], k: int, *, by_site: bool
) -> list[Table]:
    columns = [
        _("Questions"),
        _("Answered (%)"),
        _("Median hours to first answer"),
        _("90th percentile (hours)"),
        _("First answered from another site (%)"),
    ]
    tables = []
    groupings: list[tuple[str, str, str, dict[int, int]]] = [
        ("topics", _("Responsiveness by topic"), _("Topic"), people_by("topic_id", kind=Kind.ASKED))
    ]
    if by_site:
        site_people = people_by("site_id", kind=Kind.ASKED)
        groupings.append(("sites", _("Responsiveness by site"), _("Site"), site_people))
    topic_names = dict(Topic.objects.values_list("pk", "name"))
    site_names = _site_names()
    for key, title, label, people in groupings:
        grouped: dict[int, list[tuple[int, Any, Any, bool | None]]] = defaultdict(list)
        for site_id, asked_at, first_at, cross, topic_ids in questions:
            for group in topic_ids if key == "topics" else [site_id]:
                grouped[group].append((site_id, asked_at, first_at, cross))
        groups = {g: (people.get(g, 0), float(len(rows))) for g, rows in grouped.items()}
        shown = metrics.suppress(groups, k)
        names = topic_names if key == "topics" else site_names
        rows = []
        for group in sorted(shown, key=lambda g: -len(grouped[g])):
            figures = _responsiveness(grouped[group])
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
            )
        )
    return tables


# --------------------------------------------------------------------------------- coaching


def _coaching(requests: list[tuple[int, Any, Any, int, int, int, bool, int]]) -> dict[str, Any]:
    matched = [r for r in requests if r[2] is not None]
    hours = metrics.durations_hours((r[1], r[2]) for r in matched)
    with_sessions = [r for r in matched if r[5] > 0]
    loads: dict[int, int] = defaultdict(int)
    for r in matched:
        loads[r[3]] += 1
    return {
        "requests": len(requests),
        "served_share": _percent(metrics.share(len(matched), len(requests))),
        "median_match": _hours(metrics.median(hours)),
        "sessions": sum(r[5] for r in requests),
        "helped": sum(1 for r in requests if r[6]),
        "helped_share": _percent(
            metrics.share(sum(1 for r in with_sessions if r[6]), len(with_sessions))
        ),
        "cross_share": _percent(
            metrics.share(sum(1 for r in matched if r[4] and r[4] != r[0]), len(matched))
        ),
        "load_gini": metrics.rounded(metrics.gini(loads.values()), 2),
        "loads": loads,
    }


def _requests(**filters: Any) -> list[tuple[int, Any, Any, int, int, int, bool, int]]:
    return list(
        RequestFact.objects.filter(**filters).values_list(
            "site_id",
            "requested_at",
            "matched_at",
            "coach_id",
            "coach_site_id",
            "sessions",
            "helped",
            "topic_id",
        )
    )


def coach_capacity() -> dict[int, int]:
    """Monthly capacity per active coach, read from the coaching app when it is installed."""
    try:
        offer = apps.get_model("coaching", "CoachOffer")
    except LookupError:
        return {}
    return dict(offer.objects.filter(status="active").values_list("person_id", "capacity"))


def _coverage_table(
    requests: list[tuple[int, Any, Any, int, int, int, bool, int]], k: int
) -> Table:
    by_topic: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for r in requests:
        by_topic[r[7]][0] += 1
        if r[2] is not None:
            by_topic[r[7]][1] += 1
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


def _cached(key: str, build: Any) -> Dashboard:
    seconds = int(settings.ANALYTICS_CACHE_SECONDS)
    if seconds <= 0:
        result: Dashboard = build()
        return result
    full_key = f"analytics:{key}:k{k_min()}"
    hit = cache.get(full_key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    result = build()
    cache.set(full_key, result, seconds)
    return result


def _unsafe(scope: str, people: int) -> Dashboard:
    return Dashboard(scope=scope, people=people, safe=False)


def org_dashboard() -> Dashboard:
    return _cached("org", _org_dashboard)


def _org_dashboard() -> Dashboard:
    k = k_min()
    people = people_in()
    if not metrics.is_safe(people, k):
        return _unsafe("org", people)
    counts = counts_by_kind(topic_id=0)
    flows_table, flows = _flow_table(None, k)
    sites = list(Site.objects.values_list("pk", "is_central"))
    central = {pk for pk, is_central in sites if is_central}
    by_origin: dict[int, int] = defaultdict(int)
    for flow in flows:
        by_origin[flow.origin] += flow.count
    ttfa = _time_to_adoption()
    questions = _questions()
    responsiveness = _responsiveness([q[:4] for q in questions])
    requests = _requests()
    coaching = _coaching(requests)
    capacity = coach_capacity()
    over = sum(1 for coach, load in coaching["loads"].items() if load > capacity.get(coach, 10**9))
    board = Dashboard(scope="org", people=people, safe=True, curve=adoption_curve())
    board.figures = [
        Figure(_("Practices shared"), counts.get(Kind.PRACTICE_SHARED, 0)),
        Figure(_("Adoptions at other sites"), counts.get(Kind.ADOPTED, 0)),
        Figure(_("Adaptations"), counts.get(Kind.ADAPTED, 0)),
        Figure(_("Adoptions with a positive outcome"), _percent(_positive_share()), "%"),
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
            metrics.rounded(_days(metrics.median(ttfa)), 1),
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
    for table in _responsiveness_tables(questions, k, by_site=True):
        board.tables[table.key] = table
    board.tables["coverage"] = _coverage_table(requests, k)
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
        row["other_site_id"]: row["n"]
        for row in DailyCount.objects.filter(kind=Kind.ADOPTED, topic_id=0)
        .values("other_site_id")
        .annotate(n=Sum("count"))
    }
    taken = {
        row["site_id"]: row["n"]
        for row in DailyCount.objects.filter(kind=Kind.ADOPTED, topic_id=0)
        .values("site_id")
        .annotate(n=Sum("count"))
    }
    shared = {
        row["site_id"]: row["n"]
        for row in DailyCount.objects.filter(kind=Kind.PRACTICE_SHARED, topic_id=0)
        .values("site_id")
        .annotate(n=Sum("count"))
    }
    people = people_by("site_id", other_site_id=0)
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


def site_dashboard(site: Site) -> Dashboard:
    return _cached(f"site:{site.pk}", lambda: _site_dashboard(site))


def _site_dashboard(site: Site) -> Dashboard:
    k = k_min()
    people = people_in(site_id=site.pk)
    if not metrics.is_safe(people, k):
        return _unsafe(f"site:{site.code}", people)
    gave = counts_by_kind(topic_id=0, other_site_id=site.pk)
    took = counts_by_kind(topic_id=0, site_id=site.pk)
    flows_table, _flows = _flow_table(site.pk, k)
    questions = _questions(site_id=site.pk)
    responsiveness = _responsiveness([q[:4] for q in questions])
    coaching = _coaching(_requests(site_id=site.pk))
    answered_for_others = (
        DailyCount.objects.filter(
            kind=Kind.ANSWERED_CROSS_SITE, topic_id=0, site_id=site.pk
        ).aggregate(n=Sum("count"))["n"]
        or 0
    )
    board = Dashboard(
        scope=f"site:{site.code}", people=people, safe=True, curve=adoption_curve(site_id=site.pk)
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
    for table in _responsiveness_tables(questions, k, by_site=False):
        board.tables[table.key] = table
    board.tables["curve"] = _curve_table(board.curve)
    return board


def topic_dashboard(topic: Topic) -> Dashboard:
    return _cached(f"topic:{topic.pk}", lambda: _topic_dashboard(topic))


def _topic_dashboard(topic: Topic) -> Dashboard:
    k = k_min()
    people = people_in(topic_id=topic.pk)
    if not metrics.is_safe(people, k):
        return _unsafe(f"topic:{topic.pk}", people)
    counts = counts_by_kind(topic_id=topic.pk)
    questions = [q for q in _questions() if topic.pk in (q[4] or [])]
    responsiveness = _responsiveness([q[:4] for q in questions])
    coaching = _coaching(_requests(topic_id=topic.pk))
    by_site = {
        row["site_id"]: row["n"]
        for row in DailyCount.objects.filter(kind=Kind.ADOPTED, topic_id=topic.pk)
        .values("site_id")
        .annotate(n=Sum("count"))
    }
    people_site = people_by("site_id", topic_id=topic.pk, kind=Kind.ADOPTED, other_site_id=0)
    groups = {pk: (people_site.get(pk, 0), float(n)) for pk, n in by_site.items()}
    shown = metrics.suppress(groups, k)
    names = _site_names()
    board = Dashboard(
        scope=f"topic:{topic.pk}",
        people=people,
        safe=True,
        curve=adoption_curve(topic_id=topic.pk),
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
