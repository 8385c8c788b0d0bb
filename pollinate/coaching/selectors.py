"""Reads for coaching, and the adapter between database rows and the pure matching engine."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from pollinate.coaching.matching import (
    Candidate,
    Mode,
    Need,
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


def related_topic_ids(topic: Topic) -> frozenset[int]:
    """Parent and children: a coach of a neighbouring topic can still help."""
    ids = set(Topic.objects.filter(parent_id=topic.pk).order_by().values_list("pk", flat=True))
    if topic.parent_id:
        ids.add(topic.parent_id)
    return frozenset(ids - {topic.pk})


def reporting_line_ids(person: Person) -> set[int]:
    ids = set(Person.objects.filter(manager_id=person.pk).order_by().values_list("pk", flat=True))
    if person.manager_id:
        ids.add(person.manager_id)
    return ids


def need_for(request: CoachingRequest) -> Need:
    declined = Match.objects.filter(request=request).exclude(status__in=LIVE).order_by()
    excluded = set(declined.values_list("coach_id", flat=True)) | reporting_line_ids(
        request.learner
    )
    return Need(
        request_id=request.pk,
        person_id=request.learner_id,
        site_id=request.site_id,
        topic_id=request.topic_id,
        languages=frozenset(request.languages),
        mode=Mode(request.mode),
        hours=slots_to_mask(request.time_slots, request.learner.time_zone),
        urgency=request.urgency,
        related_topic_ids=related_topic_ids(request.topic),
        excluded_coach_ids=frozenset(excluded),
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


def candidates_for(topic_ids: Iterable[int] | None = None) -> list[Candidate]:
    """Engine candidates for the active offers (optionally only those covering ``topic_ids``).

    Read as plain rows in two queries (each offer with its coach's live load): building model
    instances for every offer and its topics cost more than scoring them (a coaching request's
    page at 20k members spent most of its time here).
    """
    offers = CoachOffer.objects.filter(status=OfferStatus.ACTIVE, person__user__is_active=True)
    if topic_ids is not None:
        covering = CoachTopic.objects.filter(topic_id__in=list(topic_ids)).values("offer_id")
        offers = offers.filter(pk__in=covering)
    # As ``coach_loads``, per offer: no third query and no list of coach ids.
    live = (
        _live_matches()
        .filter(coach_id=OuterRef("person_id"))
        .order_by()
        .values("coach_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = list(
        offers.annotate(load=Coalesce(Subquery(live), 0)).values_list(
            "pk",
            "person_id",
            "person__site_id",
            "person__time_zone",
            "languages",
            "modes",
            "capacity",
            "time_slots",
            "load",
        )
    )
    topics: dict[int, dict[int, int]] = defaultdict(dict)
    certified: dict[int, set[int]] = defaultdict(set)
    # No order: the default one (by topic name) joined every row to its topic for nothing.
    for offer_id, topic_id, level, coach_level in (
        # A request's few offers by id; every offer (batch matching) by subquery, not thousands
        # of parameters.
        CoachTopic.objects.filter(
            offer_id__in=[row[0] for row in rows] if topic_ids is not None else offers.values("pk")
        )
        .order_by()
        .values_list("offer_id", "topic_id", "level", "coach_level")
    ):
        topics[offer_id][topic_id] = level
        if coach_level != CoachLevel.APPRENTICE:
            certified[offer_id].add(topic_id)
    now = timezone.now()
    # One offset per zone, not per coach: coaches share a handful of zones.
    offsets: dict[str, int] = {}
    for zone in {row[3] for row in rows}:
        offsets[zone] = _offset_hours(zone, now)
    return [
        Candidate(
            coach_id=person_id,
            site_id=site_id,
            topics=topics[offer_id],
            languages=frozenset(languages),
            modes=frozenset(Mode(m) for m in modes),
            capacity=capacity,
            load=load,
            hours=_slots_mask(tuple(time_slots), offsets[time_zone]),
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


def request_suggestions(request: CoachingRequest, *, k: int = 5) -> list[Suggestion]:
    """The engine's top ``k`` coaches for a request, each with its explanation."""
    from pollinate.coaching import conf

    need = need_for(request)
    candidates = candidates_for({need.topic_id, *need.related_topic_ids})
    return score_candidates(need, candidates, weights=conf.weights(), limit=k)


def request_list_for_learner(person: Person) -> QuerySet[CoachingRequest]:
    return CoachingRequest.objects.filter(learner=person).select_related("topic", "site")


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


def session_list_upcoming(person: Person) -> QuerySet[CoachingSession]:
    return (
        CoachingSession.objects.filter(
            Q(match__coach=person) | Q(match__request__learner=person) | Q(co_coach=person),
            status=SessionStatus.SCHEDULED,
            starts_at__gte=timezone.now() - dt.timedelta(hours=12),
        )
        .select_related("match__request__topic", "match__coach", "match__request__learner")
        .order_by("starts_at")
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


def reason_text(reason: dict[str, object], topic_names: dict[int, str] | None = None) -> str:
    """One translated line of an engine explanation (``Reason`` as a dict)."""
    from django.utils.translation import gettext as _

    from pollinate.people.models import LANGUAGE_NAMES

    code = reason.get("code")
    params = reason.get("params") or {}
    assert isinstance(params, dict)
    if code == "language":
        return _("speaks %(language)s") % {
            "language": LANGUAGE_NAMES.get(str(params.get("language")), params.get("language"))
        }
    if code in ("topic", "related_topic", "certified"):
        name = (topic_names or {}).get(int(params.get("topic_id") or 0), "")
        return {
            "topic": _("coaches %(topic)s"),
            "related_topic": _("coaches a related topic: %(topic)s"),
            "certified": _("certified in %(topic)s"),
        }[str(code)] % {"topic": name}
    simple = {
        "level": _("level %(level)s of 4"),
        "hours": _("%(hours)s shared hours a week"),
        "flexible": _("your timing is flexible"),
        "cross_site": _("another site"),
        "same_site": _("same site"),
        "spare": _("%(free)s of %(capacity)s slots free"),
        "urgent": _("urgent request"),
    }
    if code == "hours" and not params.get("hours"):
        return _("no shared hours yet")
    if code == "mode":
        return _("meets on site") if params.get("mode") == "on_site" else _("meets remotely")
    template = simple.get(str(code))
    return template % params if template else str(code)


def explanation(reasons: list[dict[str, object]], topic_names: dict[int, str]) -> list[str]:
    return [reason_text(r, topic_names) for r in reasons]
