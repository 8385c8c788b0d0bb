# No `from __future__ import annotations`: django-ninja reads annotations at import time.
"""Coaching API at /api/coaching/: the same access doors and services as the pages."""

from dataclasses import asdict

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Router
from ninja.errors import HttpError

from pollinate.coaching import selectors, services
from pollinate.coaching.access import access_match, access_request, access_session
from pollinate.coaching.models import (
    CoachingRequest,
    CoachingSession,
    CoachOffer,
    Match,
)
from pollinate.coaching.schemas import (
    CoachOut,
    CoachTopicOut,
    DeclineIn,
    FeedbackIn,
    FeedbackOut,
    GapOut,
    MatchOut,
    OfferIn,
    OfferOut,
    OfferStatusIn,
    ProposeIn,
    RequestIn,
    RequestOut,
    SessionIn,
    SessionOut,
    SuggestionOut,
)
from pollinate.people.access import access_person, access_site, access_topic, api_member
from pollinate.people.models import Person, Topic

router = Router(tags=["coaching"])


def _offer_out(offer: CoachOffer) -> OfferOut:
    return OfferOut(
        person_id=offer.person_id,
        status=offer.status,
        capacity=offer.capacity,
        load=selectors.coach_loads([offer.person_id]).get(offer.person_id, 0),
        languages=offer.languages,
        modes=offer.modes,
        time_slots=offer.time_slots,
        pitch=offer.pitch,
        topics=[
            CoachTopicOut(
                topic_id=t.topic_id,
                topic=t.topic.display_name,
                level=t.level,
                coach_level=t.coach_level,
            )
            for t in offer.topics.select_related("topic")
        ],
    )


def _request_out(r: CoachingRequest) -> RequestOut:
    return RequestOut(
        id=r.pk,
        learner_id=r.learner_id,
        site=r.site.code,
        topic_id=r.topic_id,
        topic=r.topic.display_name,
        goal=r.goal,
        languages=r.languages,
        mode=r.mode,
        urgency=r.urgency,
        status=r.status,
        created_at=r.created_at,
    )


def _match_out(m: Match) -> MatchOut:
    names = {m.request.topic_id: m.request.topic.display_name}
    return MatchOut(
        id=m.pk,
        request_id=m.request_id,
        coach_id=m.coach_id,
        status=m.status,
        score=m.score,
        explanation=selectors.explanation(m.reasons, names),
        expires_at=m.expires_at,
    )


def _session_out(s: CoachingSession) -> SessionOut:
    return SessionOut(
        id=s.pk,
        match_id=s.match_id,
        starts_at=s.starts_at,
        duration_minutes=s.duration_minutes,
        where=s.where,
        status=s.status,
        notes=s.notes,
        ics_url=reverse("coaching:session_ics", args=[s.pk]),
    )


@router.get("/offer", response=OfferOut)
def offer_get(request: HttpRequest) -> OfferOut:
    offer = CoachOffer.objects.filter(person=api_member(request)).first()
    if offer is None:
        raise HttpError(404, "You have not volunteered as a coach.")
    return _offer_out(offer)


@router.put("/offer", response=OfferOut)
def offer_put(request: HttpRequest, payload: OfferIn) -> OfferOut:
    person = api_member(request)
    topics = [access_topic(person, topic_id) for topic_id in payload.topic_ids]
    offer = services.offer_save(
        actor=person,
        pitch=payload.pitch,
        languages=payload.languages,
        capacity=payload.capacity,
        modes=payload.modes,
        time_slots=payload.time_slots,
        topics=[(t, 3) for t in topics],
    )
    return _offer_out(offer)


@router.post("/offer/status", response=OfferOut)
def offer_status(request: HttpRequest, payload: OfferStatusIn) -> OfferOut:
    person = api_member(request)
    offer = CoachOffer.objects.filter(person=person).first()
    if offer is None:
        raise HttpError(404, "You have not volunteered as a coach.")
    if payload.status not in ("active", "paused", "stepped_down"):
        raise HttpError(400, "Status must be active, paused or stepped_down.")
    return _offer_out(services.offer_set_status(actor=person, offer=offer, status=payload.status))


@router.get("/requests", response=list[RequestOut])
def request_list(request: HttpRequest) -> list[RequestOut]:
    return [_request_out(r) for r in selectors.request_list_for_learner(api_member(request))]


@router.post("/requests", response={201: RequestOut})
def request_create(request: HttpRequest, payload: RequestIn) -> tuple[int, RequestOut]:
    person = api_member(request)
    created = services.request_create(
        actor=person,
        topic=access_topic(person, payload.topic_id),
        goal=payload.goal,
        languages=payload.languages,
        mode=payload.mode,
        time_slots=payload.time_slots,
        urgency=payload.urgency,
        practice_id=payload.practice_id,
    )
    return 201, _request_out(created)


@router.get("/requests/{request_id}", response=RequestOut)
def request_get(request: HttpRequest, request_id: int) -> RequestOut:
    return _request_out(access_request(api_member(request), request_id))


@router.get("/requests/{request_id}/suggestions", response=list[SuggestionOut])
def request_suggestions(request: HttpRequest, request_id: int) -> list[SuggestionOut]:
    coaching_request = access_request(api_member(request), request_id, for_write=True)
    found = selectors.request_suggestions(coaching_request, k=5)
    people = Person.objects.select_related("site").in_bulk([s.coach_id for s in found])
    topic_ids = {
        int(str(r.params["topic_id"])) for s in found for r in s.reasons if "topic_id" in r.params
    }
    names = {t.pk: t.display_name for t in Topic.objects.filter(pk__in=topic_ids)}
    return [
        SuggestionOut(
            coach_id=s.coach_id,
            display_name=people[s.coach_id].display_name,
            site=people[s.coach_id].site.name,
            score=round(s.score, 3),
            explanation=selectors.explanation([asdict(r) for r in s.reasons], names),
        )
        for s in found
    ]


@router.post("/requests/{request_id}/propose", response={201: MatchOut})
def request_propose(
    request: HttpRequest, request_id: int, payload: ProposeIn
) -> tuple[int, MatchOut]:
    person = api_member(request)
    coaching_request = access_request(person, request_id, for_write=True)
    match = services.match_propose(
        actor=person, request=coaching_request, coach_id=payload.coach_id
    )
    return 201, _match_out(match)


@router.post("/requests/{request_id}/close", response=RequestOut)
def request_close(request: HttpRequest, request_id: int) -> RequestOut:
    person = api_member(request)
    coaching_request = access_request(person, request_id, for_write=True)
    return _request_out(services.request_close(actor=person, request=coaching_request))


@router.get("/matches", response=list[MatchOut])
def match_list(request: HttpRequest) -> list[MatchOut]:
    return [_match_out(m) for m in selectors.match_list_for_coach(api_member(request))]


@router.post("/matches/{match_id}/accept", response=MatchOut)
def match_accept(request: HttpRequest, match_id: int) -> MatchOut:
    person = api_member(request)
    return _match_out(
        services.match_accept(actor=person, match=access_match(person, match_id, for_write=True))
    )


@router.post("/matches/{match_id}/decline", response=MatchOut)
def match_decline(request: HttpRequest, match_id: int, payload: DeclineIn) -> MatchOut:
    person = api_member(request)
    match = access_match(person, match_id, for_write=True)
    return _match_out(services.match_decline(actor=person, match=match, reason=payload.reason))


@router.post("/matches/{match_id}/sessions", response={201: SessionOut})
def session_create(
    request: HttpRequest, match_id: int, payload: SessionIn
) -> tuple[int, SessionOut]:
    person = api_member(request)
    match = access_match(person, match_id)
    co_coach = access_person(person, payload.co_coach_id) if payload.co_coach_id else None
    if timezone.is_naive(payload.starts_at):
        raise HttpError(400, "starts_at needs a time zone offset.")
    session = services.session_schedule(
        actor=person,
        match=match,
        starts_at=payload.starts_at,
        duration_minutes=payload.duration_minutes,
        where=payload.where,
        co_coach=co_coach,
    )
    return 201, _session_out(session)


@router.get("/sessions/{session_id}", response=SessionOut)
def session_get(request: HttpRequest, session_id: int) -> SessionOut:
    return _session_out(access_session(api_member(request), session_id))


@router.post("/sessions/{session_id}/move", response=SessionOut)
def session_move(request: HttpRequest, session_id: int, payload: SessionIn) -> SessionOut:
    person = api_member(request)
    session = access_session(person, session_id)
    if timezone.is_naive(payload.starts_at):
        raise HttpError(400, "starts_at needs a time zone offset.")
    moved = services.session_reschedule(
        actor=person,
        session=session,
        starts_at=payload.starts_at,
        duration_minutes=payload.duration_minutes,
        where=payload.where,
    )
    return _session_out(moved)


@router.post("/sessions/{session_id}/cancel", response=SessionOut)
def session_cancel(request: HttpRequest, session_id: int) -> SessionOut:
    person = api_member(request)
    session = access_session(person, session_id)
    return _session_out(services.session_cancel(actor=person, session=session))


@router.post("/sessions/{session_id}/feedback", response=FeedbackOut)
def session_feedback(request: HttpRequest, session_id: int, payload: FeedbackIn) -> FeedbackOut:
    person = api_member(request)
    session = access_session(person, session_id)
    if session.match.request.learner_id != person.pk:
        raise PermissionDenied("Only the learner gives feedback.")
    if not 1 <= payload.rating <= 5:
        raise HttpError(400, "rating must be between 1 and 5.")
    feedback = services.feedback_give(
        actor=person,
        session=session,
        can_now_do=payload.can_now_do,
        rating=payload.rating,
        helped=payload.helped,
        helped_with=payload.helped_with,
    )
    return FeedbackOut(
        session_id=session.pk,
        can_now_do=feedback.can_now_do,
        rating=feedback.rating,
        helped=feedback.helped,
        helped_with=feedback.helped_with,
    )


@router.get("/coaches/{person_id}", response=CoachOut)
def coach_get(request: HttpRequest, person_id: int) -> CoachOut:
    coach = access_person(api_member(request), person_id)
    offer = CoachOffer.objects.filter(person=coach).first()
    return CoachOut(
        person_id=coach.pk,
        display_name=coach.display_name,
        status=offer.status if offer else None,
        topics=_offer_out(offer).topics if offer else [],
        confirmed_help=[f.helped_with for f in selectors.confirmed_help(coach)[:50]],
    )


@router.get("/sites/{code}/gaps", response=list[GapOut])
def site_gaps(request: HttpRequest, code: str) -> list[GapOut]:
    site = access_site(api_member(request), code, for_write=True)
    return [
        GapOut(
            topic_id=g.topic.pk,
            topic=g.topic.display_name,
            open_requests=g.open_requests,
            coaches_in_reach=g.coaches_in_reach,
        )
        for g in selectors.coverage_gaps(site)
    ]
