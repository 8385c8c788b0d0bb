"""Reads for coaching, and the adapter between database rows and the pure matching engine."""

from __future__ import annotations

import datetime as dt
import functools
import json
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone

from pollinate.coaching.matching import (
    Candidate,
    Mode,
    Need,
    Reason,
    Suggestion,
    hours_mask,
    score_candidates,
    window_hours,
)
from pollinate.coaching.models import (
    CoachingRequest,
    CoachingSession,
    CoachLevel,
    CoachOffer,
    CoachTopic,
    Feedback,
    Match,
    MatchStatus,
    OfferStatus,
    RequestStatus,
    SessionStatus,
    TimeSlot,
)
from pollinate.core.compiled import compiled_models
from pollinate.people.models import Person, Site, Topic

LIVE = [MatchStatus.PROPOSED, MatchStatus.ACCEPTED]

# Local (weekdays, start hour, end hour) of each coarse time slot.
_SLOT_WINDOWS: dict[str, tuple[range, int, int]] = {
    TimeSlot.WEEKDAY_EARLY: (range(5), 6, 9),
    TimeSlot.WEEKDAY_MORNING: (range(5), 9, 12),
    TimeSlot.WEEKDAY_AFTERNOON: (range(5), 12, 17),
    TimeSlot.WEEKDAY_EVENING: (range(5), 17, 21),
    TimeSlot.WEEKDAY_NIGHT: (range(5), 21, 24),
    TimeSlot.WEEKEND: (range(5, 7), 9, 17),
}


def slots_to_mask(slots: Iterable[str], time_zone: str, *, at: dt.datetime | None = None) -> int:
    """UTC hour-of-week mask of local time slots, using the zone's offset at ``at`` (now)."""
    return _slots_mask(tuple(slots), _offset_hours(time_zone, at or timezone.now()))


# ZoneInfo keeps only the last few zones strongly: a list of coaches across a hundred sites'
# zones reloaded a zone file for most of them.
_zone = functools.lru_cache(maxsize=1024)(zoneinfo.ZoneInfo)


def _offset_hours(time_zone: str, moment: dt.datetime) -> int:
    offset = moment.astimezone(_zone(time_zone)).utcoffset() or dt.timedelta()
    return round(offset.total_seconds() / 3600)


@functools.lru_cache(maxsize=4096)
def _slots_mask(slots: tuple[str, ...], offset_hours: int) -> int:
    """The mask for slots at a UTC offset: a handful of combinations shared by every coach."""
    hours: list[int] = []
    for slot in slots:
        if slot in _SLOT_WINDOWS:
            days, start, end = _SLOT_WINDOWS[slot]
            for day in days:
                hours += window_hours(day, start, end, offset_hours)
    return hours_mask(hours)


@dataclass(frozen=True)
class RequestSurroundings:
    """What the engine needs around a request besides its row: its matches (live or past), the
    learner's reporting line (manager and reports) and the topic's neighbours (parent, children)."""

    matches: tuple[tuple[int, int, str], ...]  # (match id, coach id, status)
    line_ids: frozenset[int]
    related_topic_ids: frozenset[int]

    @property
    def live_match_id(self) -> int | None:
        return next((pk for pk, _coach, status in self.matches if status in LIVE), None)

    @property
    def past_coach_ids(self) -> frozenset[int]:
        """Coaches who declined, let it expire or were cancelled: never suggested again."""
        return frozenset(coach for _pk, coach, status in self.matches if status not in LIVE)


def request_surroundings(request: CoachingRequest) -> RequestSurroundings:
    """One statement for the three small reads (each an index lookup): three ORM queries cost a
    coaching request's page several times what the database spent answering them."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 0, id, coach_id, status FROM {_table(Match)} WHERE request_id = %s"  # noqa: S608 -- names
            f" UNION ALL SELECT 1, id, NULL, NULL FROM {_table(Person)} WHERE manager_id = %s"
            f" UNION ALL SELECT 2, id, NULL, NULL FROM {_table(Topic)} WHERE parent_id = %s",
            [request.pk, request.learner_id, request.topic_id],
        )
        rows = cursor.fetchall()
    line = {pk for kind, pk, _coach, _status in rows if kind == 1}
    if request.learner.manager_id:
        line.add(request.learner.manager_id)
    related = {pk for kind, pk, _coach, _status in rows if kind == 2}
    if request.topic.parent_id:
        related.add(request.topic.parent_id)
    return RequestSurroundings(
        matches=tuple((pk, coach, status) for kind, pk, coach, status in rows if kind == 0),
        line_ids=frozenset(line),
        related_topic_ids=frozenset(related - {request.topic_id}),
    )


def need_for(request: CoachingRequest, *, surroundings: RequestSurroundings | None = None) -> Need:
    """The engine's view of a request (``surroundings`` when the caller read them already)."""
    around = surroundings or request_surroundings(request)
    return Need(
        request_id=request.pk,
        person_id=request.learner_id,
        site_id=request.site_id,
        topic_id=request.topic_id,
        languages=frozenset(request.languages),
        mode=Mode(request.mode),
        hours=slots_to_mask(request.time_slots, request.learner.time_zone),
        urgency=request.urgency,
        related_topic_ids=around.related_topic_ids,
        excluded_coach_ids=around.past_coach_ids | around.line_ids,
    )


def needs_for(requests: list[CoachingRequest]) -> list[Need]:
    """``need_for`` for many requests in a constant number of queries (batch matching)."""
    if not requests:
        return []
    request_ids = [r.pk for r in requests]
    excluded: dict[int, set[int]] = defaultdict(set)
    past = Match.objects.filter(request_id__in=request_ids).exclude(status__in=LIVE)
    for request_id, coach_id in past.values_list("request_id", "coach_id"):
        excluded[request_id].add(coach_id)
    learner_ids = {r.learner_id for r in requests}
    line: dict[int, set[int]] = defaultdict(set)
    for person_id, manager_id in Person.objects.filter(
        Q(pk__in=learner_ids) | Q(manager_id__in=learner_ids)
    ).values_list("pk", "manager_id"):
        if manager_id is not None:
            line[person_id].add(manager_id)  # my manager
            line[manager_id].add(person_id)  # my reports
    topic_ids = {r.topic_id for r in requests}
    related: dict[int, set[int]] = defaultdict(set)
    for child_id, parent_id in Topic.objects.filter(
        Q(parent_id__in=topic_ids) | Q(pk__in=topic_ids)
    ).values_list("pk", "parent_id"):
        if parent_id is None:
            continue
        if parent_id in topic_ids:
            related[parent_id].add(child_id)
        if child_id in topic_ids:
            related[child_id].add(parent_id)
    zones = dict(Person.objects.filter(pk__in=learner_ids).values_list("pk", "time_zone"))
    return [
        Need(
            request_id=r.pk,
            person_id=r.learner_id,
            site_id=r.site_id,
            topic_id=r.topic_id,
            languages=frozenset(r.languages),
            mode=Mode(r.mode),
            hours=slots_to_mask(r.time_slots, zones[r.learner_id]),
            urgency=r.urgency,
            related_topic_ids=frozenset(related[r.topic_id] - {r.topic_id}),
            excluded_coach_ids=frozenset(excluded[r.pk] | line[r.learner_id]),
        )
        for r in requests
    ]


def _live_matches() -> QuerySet[Match]:
    return Match.objects.filter(status__in=LIVE).exclude(request__status=RequestStatus.CLOSED)


def coach_loads(person_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Live matches per coach: proposals waiting plus learners being coached."""
    matches = _live_matches()
    if person_ids is not None:
        matches = matches.filter(coach_id__in=list(person_ids))
    rows = matches.values("coach_id").annotate(n=Count("id"))
    return {row["coach_id"]: row["n"] for row in rows}


@functools.lru_cache(maxsize=1024)
def _json_strings(text: str) -> tuple[str, ...]:
    """A JSON list of strings as stored (``["en", "fr"]``): offers share a few dozen of them."""
    return tuple(str(item) for item in json.loads(text))


def _strings(value: object) -> tuple[str, ...]:
    # Both backends hand raw JSON columns over as text (Django registers a text loader for jsonb);
    # a decoded list is accepted too.
    if isinstance(value, str):
        return _json_strings(value)
    return tuple(str(item) for item in value or ())  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=64)
def _modes(modes: tuple[str, ...]) -> frozenset[Mode]:
    return frozenset(Mode(mode) for mode in modes)


@functools.lru_cache(maxsize=256)
def _languages(languages: tuple[str, ...]) -> frozenset[str]:
    return frozenset(languages)


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _active_offers_sql(covering: int | None) -> str:
    """``FROM … WHERE`` of the active offers of active members (those offering one of
    ``covering`` topics when given): parameters are the offer status, ``True`` and the topics."""
    from pollinate.people.models import User

    sql = (
        f"FROM {_table(CoachOffer)} o INNER JOIN {_table(Person)} p ON o.person_id = p.id"
        f" INNER JOIN {_table(User)} u ON p.user_id = u.id WHERE o.status = %s AND u.is_active = %s"
    )
    if covering is not None:
        sql += (
            f" AND o.id IN (SELECT offer_id FROM {_table(CoachTopic)}"  # noqa: S608 -- names
            f" WHERE topic_id IN ({', '.join(['%s'] * covering)}))"
        )
    return sql


_OFFER_IDS_INLINE = 500


def candidates_for(topic_ids: Iterable[int] | None = None) -> list[Candidate]:
    """Engine candidates for the active offers (optionally only those covering ``topic_ids``).

    Read as plain rows in two statements: each offer with its coach's live load (as
    ``coach_loads`` counts), then the offers' topics. Raw SQL because building and compiling the
    ORM queries (a subquery annotation, JSON columns decoded row by row) cost several times what
    the database spent running them on a coaching request's page at 20k members. Only quoted
    table names are interpolated; every value is a parameter.
    """
    wanted = sorted(set(topic_ids)) if topic_ids is not None else None
    if wanted == []:
        return []
    offers = _active_offers_sql(len(wanted) if wanted is not None else None)
    offer_params: list[str | int] = [OfferStatus.ACTIVE, True, *(wanted or [])]
    load = (
        f"SELECT COUNT(*) FROM {_table(Match)} m INNER JOIN {_table(CoachingRequest)} r"  # noqa: S608
        " ON m.request_id = r.id WHERE m.coach_id = o.person_id AND m.status IN (%s, %s)"
        " AND r.status <> %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.id, o.person_id, p.site_id, p.time_zone, o.languages, o.modes, o.capacity,"
            f" o.time_slots, ({load}) {offers}",
            [*LIVE, RequestStatus.CLOSED, *offer_params],
        )
        rows = cursor.fetchall()
        if not rows:
            return []
        topics_sql = f"SELECT offer_id, topic_id, level, coach_level FROM {_table(CoachTopic)}"  # noqa: S608
        if wanted is not None and len(rows) <= _OFFER_IDS_INLINE:
            # A request's offers by id: cheaper than running their filter again.
            ids = [row[0] for row in rows]
            cursor.execute(f"{topics_sql} WHERE offer_id IN ({', '.join(['%s'] * len(ids))})", ids)
        else:
            # Batch matching: by the same filter (a subquery), not thousands of parameters.
            cursor.execute(f"{topics_sql} WHERE offer_id IN (SELECT o.id {offers})", offer_params)
        topic_rows = cursor.fetchall()
    topics: dict[int, dict[int, int]] = defaultdict(dict)
    certified: dict[int, set[int]] = defaultdict(set)
    for offer_id, topic_id, level, coach_level in topic_rows:
        topics[offer_id][topic_id] = level
        if coach_level != CoachLevel.APPRENTICE:
            certified[offer_id].add(topic_id)
    now = timezone.now()
    # One offset per zone, not per coach: coaches share a handful of zones.
    offsets = {zone: _offset_hours(zone, now) for zone in {row[3] for row in rows}}
    return [
        Candidate(
            coach_id=person_id,
            site_id=site_id,
            topics=topics[offer_id],
            languages=_languages(_strings(languages)),
            modes=_modes(_strings(modes)),
            capacity=capacity,
            load=load,
            hours=_slots_mask(_strings(time_slots), offsets[time_zone]),
            certified_topic_ids=frozenset(certified[offer_id]),
        )
        for (
            offer_id,
            person_id,
            site_id,
            time_zone,
            languages,
            modes,
            capacity,
            time_slots,
            load,
        ) in rows
    ]


def request_suggestions(
    request: CoachingRequest, *, k: int = 5, surroundings: RequestSurroundings | None = None
) -> list[Suggestion]:
    """The engine's top ``k`` coaches for a request, each with its explanation."""
    from pollinate.coaching import conf

    need = need_for(request, surroundings=surroundings)
    candidates = candidates_for({need.topic_id, *need.related_topic_ids})
    return score_candidates(need, candidates, weights=conf.weights(), limit=k)


def topic_names(topic_ids: Iterable[int], *, known: Iterable[Topic] = ()) -> dict[int, str]:
    """Display names of the topics an explanation mentions; ``known`` topics (loaded already)
    are not read again."""
    names = {topic.pk: topic.display_name for topic in known}
    missing = set(topic_ids) - names.keys()
    if missing:
        names.update((t.pk, t.display_name) for t in Topic.objects.filter(pk__in=missing))
    return names


def request_list_for_learner(person: Person) -> QuerySet[CoachingRequest]:
    return CoachingRequest.objects.filter(learner=person).select_related("topic", "site")


# The coaching pages' short lookups run on every view: each is compiled to SQL once per process
# (``pollinate.core.compiled``), as the ORM spent longer building them than the database running
# them.


def requests_shown_to_learner(person: Person, *, limit: int = 20) -> list[CoachingRequest]:
    """The learner's latest requests, with their topics (the coaching home lists them)."""
    found = compiled_models(
        ("coaching-learner-requests", limit),
        lambda person_id: CoachingRequest.objects.filter(learner_id=person_id).select_related(
            "topic"
        )[:limit],
        person_id=person.pk,
    )
    return [r for r in found if isinstance(r, CoachingRequest)]


def offer_of(person: Person) -> CoachOffer | None:
    """The person's coaching offer, if they ever volunteered."""
    found = compiled_models(
        "coaching-offer-of",
        lambda person_id: CoachOffer.objects.filter(person_id=person_id).order_by()[:1],
        person_id=person.pk,
    )
    return found[0] if found and isinstance(found[0], CoachOffer) else None


def sites_led_by(person: Person) -> list[Site]:
    """The sites the person leads (not an organisation-wide lead role)."""
    from pollinate.people.models import Role, RoleName

    found = compiled_models(
        "coaching-sites-led",
        lambda person_id, role: (
            Role.objects.filter(person_id=person_id, role=role)
            .exclude(site=None)
            .select_related("site")
            .order_by()
        ),
        person_id=person.pk,
        role=str(RoleName.SITE_LEAD),
    )
    return [role.site for role in found if isinstance(role, Role) and role.site is not None]


def coach_cards(person_ids: list[int]) -> dict[int, Person]:
    """Suggested coaches with what their cards show (name, job, photo, site), by id."""
    values = {f"id{index}": pk for index, pk in enumerate(person_ids)}
    if not values:
        return {}
    found = compiled_models(
        ("coaching-coach-cards", len(values)),
        lambda **ids: (
            Person.objects.select_related("site")
            .only("pk", "display_name", "job_title", "photo", "site__name")
            .filter(pk__in=list(ids.values()))
            .order_by()
        ),
        **values,
    )
    return {person.pk: person for person in found if isinstance(person, Person)}


def request_list_for_site(site: Site) -> QuerySet[CoachingRequest]:
    return (
        CoachingRequest.objects.filter(site=site)
        .exclude(status=RequestStatus.CLOSED)
        .select_related("topic", "learner__user", "learner__site")
    )


def match_list_for_coach(person: Person) -> QuerySet[Match]:
    return (
        Match.objects.filter(coach=person, status__in=LIVE)
        .exclude(request__status=RequestStatus.CLOSED)
        .select_related("request__topic", "request__learner__site", "request__learner__user")
    )


def matches_coached(person: Person) -> list[Match]:
    """``match_list_for_coach`` as the coaching home shows it (topic, learner and their site)."""
    found = compiled_models(
        "coaching-matches-coached",
        lambda coach_id, proposed, accepted, closed: (
            Match.objects.filter(coach_id=coach_id, status__in=[proposed, accepted])
            .exclude(request__status=closed)
            .select_related("request__topic", "request__learner__site")
        ),
        coach_id=person.pk,
        proposed=str(MatchStatus.PROPOSED),
        accepted=str(MatchStatus.ACCEPTED),
        closed=str(RequestStatus.CLOSED),
    )
    return [match for match in found if isinstance(match, Match)]


def feedback_recent(person: Person, *, limit: int = 5) -> list[Feedback]:
    """The latest feedback a coach received, with each session's topic."""
    found = compiled_models(
        ("coaching-feedback-recent", limit),
        lambda coach_id: feedback_for_coach(Person(pk=coach_id))[:limit],
        coach_id=person.pk,
    )
    return [feedback for feedback in found if isinstance(feedback, Feedback)]


def session_list_upcoming(person: Person, *, limit: int = 10) -> list[CoachingSession]:
    """The next ``limit`` scheduled sessions (from 12 hours ago) where the person coaches, learns
    or co-leads, with their topic, coach and learner.

    The ids come first from one raw statement where each side is a subquery on an indexed session
    column: ``coach OR learner`` across the joined tables made the database scan every session,
    and building that ORM query cost more than running it. Most members have none, and then
    nothing more is read.
    """
    sessions, matches = _table(CoachingSession), _table(Match)
    since = connection.ops.adapt_datetimefield_value(timezone.now() - dt.timedelta(hours=12))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.id FROM {sessions} s WHERE s.status = %s AND s.starts_at >= %s"  # noqa: S608 -- names
            f" AND (s.match_id IN (SELECT id FROM {matches} WHERE coach_id = %s)"
            f" OR s.match_id IN (SELECT m.id FROM {matches} m INNER JOIN"
            f" {_table(CoachingRequest)} r ON m.request_id = r.id WHERE r.learner_id = %s)"
            " OR s.co_coach_id = %s) ORDER BY s.starts_at, s.id LIMIT %s",
            [SessionStatus.SCHEDULED, since, person.pk, person.pk, person.pk, limit],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return list(
        CoachingSession.objects.filter(pk__in=ids)
        .select_related("match__request__topic", "match__coach", "match__request__learner")
        .order_by("starts_at", "pk")
    )


def feedback_for_coach(person: Person) -> QuerySet[Feedback]:
    return (
        Feedback.objects.filter(session__match__coach=person)
        .select_related("session__match__request__topic")
        .order_by("-created_at")
    )


def confirmed_help(person: Person) -> QuerySet[Feedback]:
    """What learners confirmed a coach helped them do (shown on the coach page, without names)."""
    return feedback_for_coach(person).filter(helped=True)


@dataclass(frozen=True)
class CoverageGap:
    topic: Topic
    open_requests: int
    coaches_in_reach: int


def coverage_gaps(site: Site) -> list[CoverageGap]:
    """Topics with open demand at the site and no active coach who could take it.

    "Within reach" means an active coach with a free slot who offers the topic and either coaches
    remotely or works at this site.
    """
    demand = (
        CoachingRequest.objects.filter(
            site=site, status__in=[RequestStatus.OPEN, RequestStatus.NO_MATCH]
        )
        .values("topic_id")
        .annotate(n=Count("id"))
    )
    counts = {row["topic_id"]: row["n"] for row in demand}
    if not counts:
        return []
    rows = CoachTopic.objects.filter(
        topic_id__in=counts, offer__status=OfferStatus.ACTIVE
    ).values_list(
        "topic_id", "offer__person_id", "offer__capacity", "offer__modes", "offer__person__site_id"
    )
    coach_rows = [
        (topic_id, person_id, capacity)
        for topic_id, person_id, capacity, modes, site_id in rows
        if Mode.REMOTE in modes or site_id == site.pk
    ]
    loads = coach_loads({person for _, person, _ in coach_rows})
    in_reach: dict[int, int] = {}
    for topic_id, person_id, capacity in coach_rows:
        if loads.get(person_id, 0) < capacity:
            in_reach[topic_id] = in_reach.get(topic_id, 0) + 1
    topics = Topic.objects.in_bulk(list(counts))
    gaps = [CoverageGap(topics[t], n, in_reach.get(t, 0)) for t, n in counts.items() if t in topics]
    gaps.sort(key=lambda g: (g.coaches_in_reach, -g.open_requests, g.topic.name))
    return gaps


def reason_text(reason: Mapping[str, object], topic_names: dict[int, str] | None = None) -> str:
    """One translated line of an engine explanation (``Reason`` as a dict, or the ``Reason``'s
    ``code`` and ``params`` through ``explanation``)."""
    params = reason.get("params") or {}
    assert isinstance(params, Mapping)
    return _reason_line(str(reason.get("code")), params, topic_names or {})


def _reason_line(code: str, params: Mapping[str, object], topic_names: dict[int, str]) -> str:
    # Only the line's own phrase is translated: a suggestion list has some forty lines.
    from django.utils.translation import gettext as _

    from pollinate.people.models import LANGUAGE_NAMES

    if code == "language":
        return _("speaks %(language)s") % {
            "language": LANGUAGE_NAMES.get(str(params.get("language")), params.get("language"))
        }
    if code in ("topic", "related_topic", "certified"):
        name = topic_names.get(int(str(params.get("topic_id") or 0)), "")
        if code == "topic":
            return _("coaches %(topic)s") % {"topic": name}
        if code == "related_topic":
            return _("coaches a related topic: %(topic)s") % {"topic": name}
        return _("certified in %(topic)s") % {"topic": name}
    if code == "hours" and not params.get("hours"):
        return _("no shared hours yet")
    if code == "mode":
        return _("meets on site") if params.get("mode") == "on_site" else _("meets remotely")
    if code == "level":
        return _("level %(level)s of 4") % params
    if code == "hours":
        return _("%(hours)s shared hours a week") % params
    if code == "flexible":
        return _("your timing is flexible")
    if code == "cross_site":
        return _("another site")
    if code == "same_site":
        return _("same site")
    if code == "spare":
        return _("%(free)s of %(capacity)s slots free") % params
    if code == "urgent":
        return _("urgent request")
    return code


def explanation(
    reasons: Iterable[Mapping[str, object] | Reason], topic_names: dict[int, str]
) -> list[str]:
    """The translated lines of an explanation: stored reasons (dicts) or the engine's."""
    return [
        _reason_line(r.code, r.params, topic_names)
        if isinstance(r, Reason)
        else reason_text(r, topic_names)
        for r in reasons
    ]
