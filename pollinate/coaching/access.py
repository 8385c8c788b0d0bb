"""Who may see and change coaching objects: one door per resource.

A request is private: the learner, the coach of its live or past match, the site lead of the
learner's site (to help find a coach) and administrators see it. Session notes and feedback are
narrower still: learner, coach and co-leading apprentice only — never a site lead.
Not visible → 404; visible but not changeable → 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from pollinate.coaching.models import (
    CoachingRequest,
    CoachingSession,
    CoachLevel,
    CoachTopic,
    Match,
    MatchStatus,
)
from pollinate.core.compiled import compiled_first
from pollinate.people.models import Person, RoleName


def _coaches_request(actor: Person, request: CoachingRequest) -> bool:
    return (
        request.matches.filter(
            coach=actor, status__in=[MatchStatus.PROPOSED, MatchStatus.ACCEPTED]
        ).exists()
        or CoachingSession.objects.filter(match__request=request, co_coach=actor).exists()
    )


def access_request(actor: Person, request_id: int, *, for_write: bool = False) -> CoachingRequest:
    # Compiled once per process: the ORM spent longer building this SQL than running it.
    request = compiled_first(
        "coaching-access-request",
        lambda pk: CoachingRequest.objects.select_related("learner", "site", "topic").filter(pk=pk),
        pk=request_id,
    )
    if request is None:
        raise Http404
    if request.learner.site_id == request.site_id:
        # The learner's card shows their site: usually the request's, already read.
        Person.site.field.set_cached_value(request.learner, request.site)
    is_learner = request.learner_id == actor.pk
    if not (
        is_learner
        or actor.has_role(RoleName.SITE_LEAD, request.site)
        or _coaches_request(actor, request)
    ):
        raise Http404
    if for_write and not (is_learner or actor.is_administrator):
        raise PermissionDenied
    return request


def can_see_private(actor: Person, request: CoachingRequest) -> bool:
    """Sessions, notes and feedback: learner, coach and co-coach only."""
    return request.learner_id == actor.pk or _coaches_request(actor, request)


def access_match(actor: Person, match_id: int, *, for_write: bool = False) -> Match:
    """``for_write`` means answering as the coach (accept / decline)."""
    match = (
        Match.objects.select_related("request__learner__user", "request__topic", "coach__user")
        .filter(pk=match_id)
        .first()
    )
    if match is None or actor.pk not in (match.coach_id, match.request.learner_id):
        raise Http404
    if for_write and actor.pk != match.coach_id:
        raise PermissionDenied
    return match


def access_session(actor: Person, session_id: int, *, for_write: bool = False) -> CoachingSession:
    """``for_write`` means writing notes as the coach or co-coach."""
    session = (
        CoachingSession.objects.select_related(
            "match__request__learner__user",
            "match__request__topic",
            "match__coach__user",
            "co_coach__user",
        )
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise Http404
    coaches = {session.match.coach_id, session.co_coach_id}
    if actor.pk not in coaches and actor.pk != session.match.request.learner_id:
        raise Http404
    if for_write and actor.pk not in coaches:
        raise PermissionDenied
    return session


def is_mentor_for(actor: Person, topic_id: int) -> bool:
    return (
        actor.is_administrator
        or CoachTopic.objects.filter(
            Q(offer__person=actor), topic_id=topic_id, coach_level=CoachLevel.MENTOR
        ).exists()
    )
