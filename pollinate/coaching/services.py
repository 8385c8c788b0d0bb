"""Coaching writes: offers, requests, proposals, sessions, feedback, certification.

Every service is keyword-only, runs in one transaction, records Activity (private to the people
involved unless said otherwise) and schedules emails on commit through the task door.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pollinate.activity.services import activity_record
from pollinate.coaching import conf
from pollinate.coaching.access import is_mentor_for
from pollinate.coaching.matching import Suggestion, assign, score_candidates
from pollinate.coaching.models import (
    CERTIFICATION_CHECKLIST,
    Certification,
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
)
from pollinate.coaching.selectors import (
    LIVE,
    candidates_for,
    needs_for,
    request_suggestions,
)
from pollinate.core.tasks import task_enqueue
from pollinate.people.models import Person, Topic


class CoachingError(ValidationError):
    """A request the rules refuse; ``code`` is stable for the API."""


# ------------------------------------------------------------------------------------- offers


def offer_save(
    *,
    actor: Person,
    pitch: str,
    languages: Sequence[str],
    capacity: int,
    modes: Sequence[str],
    time_slots: Sequence[str],
    topics: Sequence[tuple[Topic, int]],
) -> CoachOffer:
    """Creates or updates the actor's offer; coach levels already earned are kept."""
    if not topics:
        raise CoachingError(_("Choose at least one topic you can coach."), code="no_topics")
    with transaction.atomic():
        offer, created = CoachOffer.objects.select_for_update().get_or_create(person=actor)
        offer.pitch = pitch
        offer.languages = list(languages)
        offer.capacity = capacity
        offer.modes = list(modes)
        offer.time_slots = list(time_slots)
        if offer.status == OfferStatus.STEPPED_DOWN:
            offer.status = OfferStatus.ACTIVE
        offer.full_clean()
        offer.save()
        wanted = {topic.pk: level for topic, level in topics}
        offer.topics.exclude(topic_id__in=wanted).delete()
        for topic_id, level in wanted.items():
            CoachTopic.objects.update_or_create(
                offer=offer, topic_id=topic_id, defaults={"level": level}
            )
        activity_record(
            actor=actor,
            verb="coaching.offer_created" if created else "coaching.offer_updated",
            target=offer,
            payload={"topics": sorted(wanted)},
        )
    return offer


def offer_set_status(*, actor: Person, offer: CoachOffer, status: str) -> CoachOffer:
    """Pause, resume or step down. Pausing or stepping down hands waiting proposals to the next
    best coach; learners already being coached keep their coach."""
    if offer.person_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        offer = CoachOffer.objects.select_for_update().get(pk=offer.pk)
        if offer.status == status:
            return offer
        offer.status = status
        offer.save(update_fields=["status", "updated_at"])
        waiting: list[Match] = []
        if status != OfferStatus.ACTIVE:
            waiting = list(
                Match.objects.filter(coach=actor, status=MatchStatus.PROPOSED).select_related(
                    "request"
                )
            )
            for match in waiting:
                match.status = MatchStatus.CANCELLED
                match.responded_at = timezone.now()
                match.save(update_fields=["status", "responded_at"])
        activity_record(
            actor=actor, verb=f"coaching.offer_{status}", target=offer, payload={"status": status}
        )
        for match in waiting:
            _propose_next(match.request)
    return offer


# ----------------------------------------------------------------------------------- requests


def linked_practice(actor: Person, practice_id: int) -> Any:
    """The practice a request links to, when it exists and the actor may see it (else None).

    Practices live in another domain app; the link is loose (an id) and resolved through that
    app's own access door, so a practice hidden from someone never leaks through a request.
    """
    from django.http import Http404

    from pollinate.practices.access import access_practice

    try:
        return access_practice(actor, practice_id)
    except Http404:
        return None


def request_create(
    *,
    actor: Person,
    topic: Topic,
    goal: str,
    languages: Sequence[str],
    mode: str,
    time_slots: Sequence[str],
    urgency: int,
    practice_id: int | None = None,
) -> CoachingRequest:
    """Creates the request; with no coach in reach it is marked "no match yet" and site leads
    are told, rather than failing."""
    if practice_id is not None and linked_practice(actor, practice_id) is None:
        raise CoachingError(_("There is no practice with this number."), code="no_practice")
    with transaction.atomic():
        request = CoachingRequest(
            learner=actor,
            site=actor.site,
            topic=topic,
            goal=goal,
            languages=list(languages) or list(actor.languages),
            mode=mode,
            time_slots=list(time_slots),
            urgency=urgency,
            practice_id=practice_id,
        )
        request.full_clean()
        request.save()
        if not request_suggestions(request, k=1):
            request.status = RequestStatus.NO_MATCH
            request.save(update_fields=["status"])
            task_enqueue("pollinate.coaching.tasks.notify_no_match", request_id=request.pk)
        activity_record(
            actor=actor,
            verb="coaching.requested",
            target=request,
            payload={"topic_id": topic.pk},
            is_public=False,
        )
    return request


def request_close(*, actor: Person, request: CoachingRequest) -> CoachingRequest:
    with transaction.atomic():
        request = CoachingRequest.objects.select_for_update().get(pk=request.pk)
        if request.status == RequestStatus.CLOSED:
            return request
        request.status = RequestStatus.CLOSED
        request.closed_at = timezone.now()
        request.save(update_fields=["status", "closed_at"])
        request.matches.filter(status=MatchStatus.PROPOSED).update(
            status=MatchStatus.CANCELLED, responded_at=timezone.now()
        )
        activity_record(actor=actor, verb="coaching.closed", target=request, is_public=False)
    return request


# ------------------------------------------------------------------------------------ matches


def _create_match(request: CoachingRequest, suggestion: Suggestion, *, by_learner: bool) -> Match:
    now = timezone.now()
    match = Match.objects.create(
        request=request,
        coach_id=suggestion.coach_id,
        score=suggestion.score,
        reasons=[asdict(reason) for reason in suggestion.reasons],
        expires_at=now + dt.timedelta(hours=conf.proposal_hours()),
        learner_confirmed_at=now if by_learner else None,
    )
    request.status = RequestStatus.PROPOSED
    request.save(update_fields=["status"])
    task_enqueue("pollinate.coaching.tasks.notify_proposal", match_id=match.pk)
    return match


def _propose_next(request: CoachingRequest) -> Match | None:
    """Proposes the next best coach (declined and expired ones are excluded by ``need_for``)."""
    if request.status == RequestStatus.CLOSED:
        return None
    best = request_suggestions(request, k=1)
    if not best:
        request.status = RequestStatus.NO_MATCH
        request.save(update_fields=["status"])
        task_enqueue("pollinate.coaching.tasks.notify_no_match", request_id=request.pk)
        return None
    return _create_match(request, best[0], by_learner=False)


def match_propose(*, actor: Person, request: CoachingRequest, coach_id: int) -> Match:
    """The learner asks one of the suggested coaches. The engine re-checks every hard
    constraint now (capacity may have filled since the page was shown)."""
    if request.learner_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        request = CoachingRequest.objects.select_for_update().get(pk=request.pk)
        live = request.matches.filter(status__in=LIVE).first()
        if live is not None:
            if live.coach_id == coach_id:
                return live  # asking the same coach twice is harmless
            raise CoachingError(
                _("This request already has a coach or is waiting for one."), code="has_match"
            )
        if request.status == RequestStatus.CLOSED:
            raise CoachingError(_("This request is closed."), code="closed")
        chosen = [s for s in request_suggestions(request, k=1000) if s.coach_id == coach_id]
        if not chosen:
            raise CoachingError(
                _("This coach cannot take this request right now."), code="not_available"
            )
        match = _create_match(request, chosen[0], by_learner=True)
        activity_record(actor=actor, verb="coaching.proposed", target=match, is_public=False)
    return match


def match_accept(*, actor: Person, match: Match) -> Match:
    """The coach accepts; accepting twice is harmless."""
    if match.coach_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        match = Match.objects.select_for_update().select_related("request").get(pk=match.pk)
        if match.status == MatchStatus.ACCEPTED:
            return match
        if match.status != MatchStatus.PROPOSED:
            raise CoachingError(_("This proposal is no longer open."), code="not_open")
        match.status = MatchStatus.ACCEPTED
        match.responded_at = timezone.now()
        match.save(update_fields=["status", "responded_at"])
        match.request.status = RequestStatus.MATCHED
        match.request.save(update_fields=["status"])
        activity_record(actor=actor, verb="coaching.accepted", target=match, is_public=False)
        task_enqueue("pollinate.coaching.tasks.notify_accepted", match_id=match.pk)
    return match


def match_decline(*, actor: Person, match: Match, reason: str) -> Match:
    """The coach declines with a reason; the next best coach is asked straight away."""
    if match.coach_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        match = Match.objects.select_for_update().select_related("request").get(pk=match.pk)
        if match.status == MatchStatus.DECLINED:
            return match
        if match.status != MatchStatus.PROPOSED:
            raise CoachingError(_("This proposal is no longer open."), code="not_open")
        match.status = MatchStatus.DECLINED
        match.decline_reason = reason[:300]
        match.responded_at = timezone.now()
        match.save(update_fields=["status", "decline_reason", "responded_at"])
        activity_record(actor=actor, verb="coaching.declined", target=match, is_public=False)
        _propose_next(match.request)
    return match


def match_confirm(*, actor: Person, match: Match) -> Match:
    """The learner confirms a coach the organisation proposed (learner-chosen ones are already)."""
    if match.request.learner_id != actor.pk:
        raise PermissionDenied
    if match.status not in LIVE:
        raise CoachingError(_("This proposal is no longer open."), code="not_open")
    if match.learner_confirmed_at is None:
        match.learner_confirmed_at = timezone.now()
        match.save(update_fields=["learner_confirmed_at"])
    return match


def matches_expire(*, now: dt.datetime | None = None) -> int:
    """Expires proposals nobody answered in time and asks the next best coach. Idempotent."""
    moment = now or timezone.now()
    expired = 0
    overdue = Match.objects.filter(status=MatchStatus.PROPOSED, expires_at__lt=moment)
    for match_id in overdue.values_list("pk", flat=True):
        with transaction.atomic():
            match = Match.objects.select_for_update().select_related("request").get(pk=match_id)
            if match.status != MatchStatus.PROPOSED:
                continue
            match.status = MatchStatus.EXPIRED
            match.responded_at = moment
            match.save(update_fields=["status", "responded_at"])
            _propose_next(match.request)
            expired += 1
    return expired


def matches_assign_batch(*, actor: Person | None, requests: Sequence[CoachingRequest]) -> int:
    """Proposes coaches for many open requests at once with the global assignment
    (serving as many learners as possible first). Returns the number of proposals made."""
    open_requests = [
        r for r in requests if r.status in (RequestStatus.OPEN, RequestStatus.NO_MATCH)
    ]
    if not open_requests:
        return 0
    needs = needs_for(open_requests)
    candidates = candidates_for()
    result = assign(needs, candidates, weights=conf.weights(), serve_most_first=True)
    by_id = {r.pk: r for r in open_requests}
    by_need = {n.request_id: n for n in needs}
    by_coach = {c.coach_id: c for c in candidates}
    made = 0
    with transaction.atomic():
        for request_id, coach_id in result.pairs.items():
            request = by_id[request_id]
            suggestion = score_candidates(
                by_need[request_id], [by_coach[coach_id]], weights=conf.weights()
            )
            if not suggestion or request.matches.filter(status__in=LIVE).exists():
                continue
            _create_match(request, suggestion[0], by_learner=False)
            made += 1
        for request_id in result.unserved:
            request = by_id[request_id]
            if request.status != RequestStatus.NO_MATCH:
                request.status = RequestStatus.NO_MATCH
                request.save(update_fields=["status"])
    return made


# ----------------------------------------------------------------------------------- sessions


def session_schedule(
    *,
    actor: Person,
    match: Match,
    starts_at: dt.datetime,
    duration_minutes: int,
    where: str,
    co_coach: Person | None = None,
) -> CoachingSession:
    """Schedules a session of an accepted match; the invite (.ics) goes to everyone by email."""
    if actor.pk not in (match.coach_id, match.request.learner_id):
        raise PermissionDenied
    if match.status != MatchStatus.ACCEPTED:
        raise CoachingError(_("The coach has not accepted yet."), code="not_accepted")
    if timezone.is_naive(starts_at):
        raise CoachingError(_("A start time needs a time zone."), code="naive_time")
    is_learner = actor.pk == match.request.learner_id
    if match.learner_confirmed_at is None and not is_learner:
        # A coach the organisation proposed waits for the learner to say yes.
        raise CoachingError(
            _("The learner has not confirmed this coach yet."), code="not_confirmed"
        )
    if co_coach is not None and (
        co_coach.pk in (match.coach_id, match.request.learner_id)
        or not CoachTopic.objects.filter(
            offer__person=co_coach,
            offer__status=OfferStatus.ACTIVE,
            topic_id=match.request.topic_id,
            coach_level=CoachLevel.APPRENTICE,
        ).exists()
    ):
        raise CoachingError(
            _("A co-leader must be an apprentice coach of this topic."), code="bad_co_coach"
        )
    with transaction.atomic():
        session = CoachingSession(
            match=match,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            where=where,
            co_coach=co_coach,
        )
        session.full_clean()
        session.save()
        if match.learner_confirmed_at is None:
            match.learner_confirmed_at = timezone.now()  # the learner scheduling is a yes
            match.save(update_fields=["learner_confirmed_at"])
        activity_record(actor=actor, verb="coaching.scheduled", target=session, is_public=False)
        task_enqueue("pollinate.coaching.tasks.send_invite", session_id=session.pk)
    return session


def session_reschedule(
    *,
    actor: Person,
    session: CoachingSession,
    starts_at: dt.datetime,
    duration_minutes: int,
    where: str,
) -> CoachingSession:
    """Moves a scheduled session; everyone gets the updated invite (same UID, next SEQUENCE)."""
    if actor.pk not in (session.match.coach_id, session.match.request.learner_id):
        raise PermissionDenied
    if session.status != SessionStatus.SCHEDULED:
        raise CoachingError(_("Only a scheduled session can be moved."), code="not_scheduled")
    with transaction.atomic():
        session.starts_at = starts_at
        session.duration_minutes = duration_minutes
        session.where = where
        session.sequence += 1
        session.full_clean()
        session.save(update_fields=["starts_at", "duration_minutes", "where", "sequence"])
        activity_record(actor=actor, verb="coaching.rescheduled", target=session, is_public=False)
        task_enqueue("pollinate.coaching.tasks.send_invite", session_id=session.pk)
    return session


def session_cancel(*, actor: Person, session: CoachingSession) -> CoachingSession:
    """Cancels a scheduled session and sends a cancellation (METHOD:CANCEL); twice is harmless."""
    if actor.pk not in (session.match.coach_id, session.match.request.learner_id):
        raise PermissionDenied
    if session.status == SessionStatus.CANCELLED:
        return session
    if session.status != SessionStatus.SCHEDULED:
        raise CoachingError(_("This session already took place."), code="not_scheduled")
    with transaction.atomic():
        session.status = SessionStatus.CANCELLED
        session.sequence += 1
        session.save(update_fields=["status", "sequence"])
        activity_record(actor=actor, verb="coaching.cancelled", target=session, is_public=False)
        task_enqueue("pollinate.coaching.tasks.send_invite", session_id=session.pk)
    return session


def session_notes_save(
    *, actor: Person, session: CoachingSession, notes: str, done: bool
) -> CoachingSession:
    if actor.pk not in (session.match.coach_id, session.co_coach_id):
        raise PermissionDenied
    with transaction.atomic():
        session.notes = notes
        if done and session.status == SessionStatus.SCHEDULED:
            session.status = SessionStatus.DONE
        session.save(update_fields=["notes", "status"])
        activity_record(actor=actor, verb="coaching.noted", target=session, is_public=False)
    return session


def feedback_give(
    *,
    actor: Person,
    session: CoachingSession,
    can_now_do: str,
    rating: int,
    helped: bool,
    helped_with: str,
) -> Feedback:
    """The learner's feedback; giving it again updates it rather than failing."""
    if actor.pk != session.match.request.learner_id:
        raise PermissionDenied
    if helped and not helped_with.strip():
        raise CoachingError(_("Say what it helped you do."), code="helped_with_missing")
    with transaction.atomic():
        feedback, _created = Feedback.objects.update_or_create(
            session=session,
            defaults={
                "can_now_do": can_now_do,
                "rating": rating,
                "helped": helped,
                "helped_with": helped_with if helped else "",
            },
        )
        if session.status == SessionStatus.SCHEDULED:
            session.status = SessionStatus.DONE
            session.save(update_fields=["status"])
        activity_record(
            actor=actor,
            verb="coaching.helped" if helped else "coaching.feedback",
            target=feedback,
            payload={
                "coach_id": session.match.coach_id,
                "topic_id": session.match.request.topic_id,
            },
            is_public=False,
        )
    return feedback


# ------------------------------------------------------------------------------ certification


def certification_sign(
    *, actor: Person, coach: Person, topic: Topic, checklist: Sequence[str], note: str = ""
) -> Certification:
    """A mentor-coach of the topic signs a coach off once every checklist item is ticked."""
    if coach.pk == actor.pk or not is_mentor_for(actor, topic.pk):
        raise PermissionDenied
    required = {code for code, _label in CERTIFICATION_CHECKLIST}
    if set(checklist) != required:
        raise CoachingError(_("Tick every item of the checklist."), code="checklist_incomplete")
    with transaction.atomic():
        coach_topic = CoachTopic.objects.filter(offer__person=coach, topic=topic).first()
        if coach_topic is None:
            raise CoachingError(_("This person does not coach this topic."), code="not_coach")
        certification, _created = Certification.objects.get_or_create(
            coach=coach,
            topic=topic,
            defaults={"signed_by": actor, "checklist": sorted(checklist), "note": note},
        )
        if coach_topic.coach_level == CoachLevel.APPRENTICE:
            coach_topic.coach_level = CoachLevel.CERTIFIED
            coach_topic.save(update_fields=["coach_level"])
        activity_record(
            actor=actor,
            verb="coaching.certified",
            target=certification,
            payload={"topic_id": topic.pk},
        )
    return certification
