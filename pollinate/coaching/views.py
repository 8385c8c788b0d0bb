from __future__ import annotations

import zoneinfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pollinate.coaching import selectors, services
from pollinate.coaching.access import (
    access_match,
    access_request,
    access_session,
    can_see_private,
    is_mentor_for,
)
from pollinate.coaching.forms import (
    CertificationForm,
    DeclineForm,
    FeedbackForm,
    NotesForm,
    OfferForm,
    OfferStatusForm,
    ProposeForm,
    RequestForm,
    SessionForm,
)
from pollinate.coaching.models import (
    CoachingRequest,
    CoachOffer,
    CoachTopic,
    Feedback,
    Match,
    MatchStatus,
    RequestStatus,
)
from pollinate.coaching.tasks import session_ics
from pollinate.core.ratelimit import rate_limit
from pollinate.people.access import (
    MemberRequest,
    access_person,
    access_site,
    access_topic,
    member_required,
)
from pollinate.people.models import Skill


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@require_GET
@member_required
def home(request: MemberRequest) -> HttpResponse:
    person = request.person
    # The page shows the offer's status and capacity, not its topics.
    offer = selectors.offer_of(person)
    # Only a coach's part of the page lists matches; their count is the load (the same live
    # matches ``coach_loads`` counts).
    matches = selectors.matches_coached(person) if offer else []
    load = len(matches)
    return render(
        request,
        "coaching/home.html",
        {
            "offer": offer,
            "load": load,
            "proposals": [m for m in matches if m.status == MatchStatus.PROPOSED],
            "coaching": [m for m in matches if m.status == MatchStatus.ACCEPTED],
            "my_requests": selectors.requests_shown_to_learner(person),
            "sessions": selectors.session_list_upcoming(person, limit=10),
            "feedback": selectors.feedback_recent(person) if offer else [],
            "lead_sites": selectors.sites_led_by(person),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def offer_edit(request: MemberRequest) -> HttpResponse:
    person = request.person
    offer = CoachOffer.objects.filter(person=person).first()
    initial = (
        {
            "topics": [t.topic_id for t in offer.topics.all()],
            "languages": offer.languages,
            "capacity": offer.capacity,
            "modes": offer.modes,
            "time_slots": offer.time_slots,
            "pitch": offer.pitch,
        }
        if offer
        else {"languages": person.languages, "modes": ["remote"]}
    )
    form = OfferForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        levels = dict(Skill.objects.filter(person=person).values_list("topic_id", "level"))
        try:
            services.offer_save(
                actor=person,
                pitch=data["pitch"],
                languages=data["languages"],
                capacity=data["capacity"],
                modes=data["modes"],
                time_slots=data["time_slots"],
                topics=[(t, max(levels.get(t.pk, 3), 1)) for t in data["topics"]],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you for coaching. Your offer is saved."))
            return redirect("coaching:home")
    return render(
        request,
        "coaching/offer_form.html",
        {"form": form, "offer": offer},
        status=400 if form.errors else 200,
    )


@require_POST
@member_required
def offer_status(request: MemberRequest) -> HttpResponse:
    offer = CoachOffer.objects.filter(person=request.person).first()
    form = OfferStatusForm(request.POST)
    if offer is None or not form.is_valid():
        return HttpResponse(_("Choose pause, resume or step down."), status=400)
    services.offer_set_status(actor=request.person, offer=offer, status=form.cleaned_data["status"])
    messages.success(
        request,
        _("Your coaching status is now: %(status)s.") % {"status": offer.get_status_display()},
    )
    return redirect("coaching:home")


@require_http_methods(["GET", "POST"])
@member_required
@rate_limit("coaching.request", limit=20, window=3600)
def request_create(request: MemberRequest) -> HttpResponse:
    initial = {
        "languages": request.person.languages,
        "topic": request.GET.get("topic"),
        "practice_id": request.GET.get("practice"),
    }
    form = RequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.request_create(
                actor=request.person,
                topic=data["topic"],
                goal=data["goal"],
                languages=data["languages"],
                mode=data["mode"],
                time_slots=data["time_slots"],
                urgency=data["urgency"],
                practice_id=data["practice_id"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect(created)
    return render(
        request, "coaching/request_form.html", {"form": form}, status=400 if form.errors else 200
    )


@require_GET
@member_required
def request_detail(request: MemberRequest, request_id: int) -> HttpResponse:
    coaching_request = access_request(request.person, request_id)
    is_learner = coaching_request.learner_id == request.person.pk
    private = can_see_private(request.person, coaching_request)
    # The request's matches, the learner's reporting line and the topic's neighbours in one read:
    # the live match is shown, and the rest is what suggestions need.
    around = selectors.request_surroundings(coaching_request)
    live = (
        Match.objects.select_related("coach__site").filter(pk=around.live_match_id).first()
        if around.live_match_id is not None
        else None
    )
    suggestions = []
    if is_learner and live is None and coaching_request.status != RequestStatus.CLOSED:
        found = selectors.request_suggestions(coaching_request, k=5, surroundings=around)
        people = selectors.coach_cards([s.coach_id for s in found])
        names = selectors.topic_names(
            {
                int(str(r.params["topic_id"]))
                for s in found
                for r in s.reasons
                if "topic_id" in r.params
            },
            known=[coaching_request.topic],
        )
        suggestions = [
            {
                "person": people[s.coach_id],
                "score": s.score,
                "why": selectors.explanation(s.reasons, names),
            }
            for s in found
        ]
    live_why: list[str] = []
    if live is not None:
        live_why = selectors.explanation(
            live.reasons, {coaching_request.topic_id: coaching_request.topic.display_name}
        )
    sessions = (
        list(live.sessions.select_related("feedback").order_by("starts_at"))
        if live and private
        else []
    )
    practice = (
        services.linked_practice(request.person, coaching_request.practice_id)
        if coaching_request.practice_id
        else None
    )
    return render(
        request,
        "coaching/request_detail.html",
        {
            "req": coaching_request,
            "practice": practice,
            "is_learner": is_learner,
            "is_coach": live is not None and live.coach_id == request.person.pk,
            "private": private,
            "live": live,
            "live_why": live_why,
            "suggestions": suggestions,
            "sessions": sessions,
            "session_form": SessionForm(
                time_zone=request.person.time_zone, topic_id=coaching_request.topic_id
            )
            if live
            else None,
        },
    )


@require_POST
@member_required
def request_propose(request: MemberRequest, request_id: int) -> HttpResponse:
    coaching_request = access_request(request.person, request_id, for_write=True)
    form = ProposeForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose a coach."), status=400)
    try:
        services.match_propose(
            actor=request.person, request=coaching_request, coach_id=form.cleaned_data["coach"]
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("We asked the coach. You will hear back by email."))
    return redirect(coaching_request)


@require_POST
@member_required
def request_close(request: MemberRequest, request_id: int) -> HttpResponse:
    coaching_request = access_request(request.person, request_id, for_write=True)
    services.request_close(actor=request.person, request=coaching_request)
    messages.success(request, _("The request is closed. Thank you for learning with a colleague."))
    return redirect(coaching_request)


@require_POST
@member_required
def match_accept(request: MemberRequest, match_id: int) -> HttpResponse:
    match = access_match(request.person, match_id, for_write=True)
    try:
        services.match_accept(actor=request.person, match=match)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("coaching:home")
    messages.success(request, _("Thank you. Agree a time with the learner."))
    return redirect(match.request)


@require_http_methods(["GET", "POST"])
@member_required
def match_decline(request: MemberRequest, match_id: int) -> HttpResponse:
    match = access_match(request.person, match_id, for_write=True)
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.match_decline(
                actor=request.person, match=match, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Declined. We will ask the next best coach."))
        return redirect("coaching:home")
    return render(
        request,
        "coaching/decline.html",
        {"form": form, "match": match},
        status=400 if form.errors else 200,
    )


@require_POST
@member_required
def match_confirm(request: MemberRequest, match_id: int) -> HttpResponse:
    match = access_match(request.person, match_id)
    try:
        services.match_confirm(actor=request.person, match=match)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect(match.request)


@require_POST
@member_required
def session_create(request: MemberRequest, match_id: int) -> HttpResponse:
    match = access_match(request.person, match_id)
    form = SessionForm(
        request.POST, time_zone=request.person.time_zone, topic_id=match.request.topic_id
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            session = services.session_schedule(
                actor=request.person,
                match=match,
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                where=data["where"],
                co_coach=data["co_coach"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Scheduled. Everyone gets an invite by email."))
            return redirect(session)
    return render(request, "coaching/session_form.html", {"form": form, "match": match}, status=400)


@require_GET
@member_required
def session_detail(request: MemberRequest, session_id: int) -> HttpResponse:
    session = access_session(request.person, session_id)
    feedback = Feedback.objects.filter(session=session).first()
    is_learner = session.match.request.learner_id == request.person.pk
    is_coach = not is_learner
    people = [session.match.request.learner, session.match.coach] + (
        [session.co_coach] if session.co_coach else []
    )
    return render(
        request,
        "coaching/session_detail.html",
        {
            "session": session,
            "feedback": feedback,
            "is_learner": is_learner,
            "is_coach": is_coach,
            "people": people,
            "move_form": SessionForm(
                time_zone=request.person.time_zone,
                topic_id=session.match.request.topic_id,
                initial={
                    "starts_at": timezone.localtime(
                        session.starts_at, zoneinfo.ZoneInfo(request.person.time_zone)
                    ).replace(tzinfo=None),
                    "duration_minutes": session.duration_minutes,
                    "where": session.where,
                },
            ),
            "notes_form": NotesForm(initial={"notes": session.notes}) if is_coach else None,
            "feedback_form": FeedbackForm(
                initial={
                    "can_now_do": feedback.can_now_do,
                    "rating": feedback.rating,
                    "helped": feedback.helped,
                    "helped_with": feedback.helped_with,
                }
                if feedback
                else None
            )
            if is_learner
            else None,
        },
    )


@require_POST
@member_required
def session_reschedule(request: MemberRequest, session_id: int) -> HttpResponse:
    session = access_session(request.person, session_id)
    form = SessionForm(
        request.POST, time_zone=request.person.time_zone, topic_id=session.match.request.topic_id
    )
    if not form.is_valid():
        messages.error(request, _("Give a valid start time and duration."))
        return redirect(session)
    try:
        services.session_reschedule(
            actor=request.person,
            session=session,
            starts_at=form.cleaned_data["starts_at"],
            duration_minutes=form.cleaned_data["duration_minutes"],
            where=form.cleaned_data["where"],
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Moved. Everyone gets the updated invite."))
    return redirect(session)


@require_POST
@member_required
def session_cancel(request: MemberRequest, session_id: int) -> HttpResponse:
    session = access_session(request.person, session_id)
    try:
        services.session_cancel(actor=request.person, session=session)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Cancelled. Everyone's calendar is updated."))
    return redirect(session)


@require_GET
@member_required
def session_ics_download(request: MemberRequest, session_id: int) -> HttpResponse:
    session = access_session(request.person, session_id)
    response = HttpResponse(session_ics(session), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="coaching-session-{session.pk}.ics"'
    return response


@require_POST
@member_required
def session_notes(request: MemberRequest, session_id: int) -> HttpResponse:
    session = access_session(request.person, session_id, for_write=True)
    form = NotesForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Notes are too long."), status=400)
    services.session_notes_save(
        actor=request.person,
        session=session,
        notes=form.cleaned_data["notes"],
        done=form.cleaned_data["done"],
    )
    messages.success(request, _("Notes saved."))
    return redirect(session)


@require_POST
@member_required
def session_feedback(request: MemberRequest, session_id: int) -> HttpResponse:
    session = access_session(request.person, session_id)
    if session.match.request.learner_id != request.person.pk:
        raise PermissionDenied
    form = FeedbackForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        services.feedback_give(
            actor=request.person,
            session=session,
            can_now_do=data["can_now_do"],
            rating=data["rating"],
            helped=data["helped"],
            helped_with=data["helped_with"],
        )
        messages.success(request, _("Thank you. Your coach will see what you can now do."))
        return redirect(session)
    return render(
        request,
        "coaching/session_detail.html",
        {
            "session": session,
            "is_learner": True,
            "feedback_form": form,
            "people": [session.match.request.learner, session.match.coach],
        },
        status=400,
    )


@require_GET
@member_required
def coach_detail(request: MemberRequest, person_id: int) -> HttpResponse:
    person = access_person(request.person, person_id)
    offer = CoachOffer.objects.filter(person=person).first()
    topics = (
        CoachTopic.objects.filter(offer=offer).select_related("topic")
        if offer
        else CoachTopic.objects.none()
    )
    return render(
        request,
        "coaching/coach_detail.html",
        {
            "coach": person,
            "offer": offer,
            "topics": topics,
            "helped": selectors.confirmed_help(person)[:50],
            "mentor_topics": {
                t.topic_id for t in topics if is_mentor_for(request.person, t.topic_id)
            }
            if person.pk != request.person.pk
            else set(),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def certify(request: MemberRequest, person_id: int, topic_id: int) -> HttpResponse:
    coach = access_person(request.person, person_id)
    topic = access_topic(request.person, topic_id)
    if not is_mentor_for(request.person, topic.pk) or coach.pk == request.person.pk:
        raise PermissionDenied
    form = CertificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.certification_sign(
                actor=request.person,
                coach=coach,
                topic=topic,
                checklist=form.cleaned_data["checklist"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("%(name)s is now certified.") % {"name": coach.display_name}
            )
            return redirect("coaching:coach", person_id=coach.pk)
    return render(
        request,
        "coaching/certify.html",
        {"form": form, "coach": coach, "topic": topic},
        status=400 if form.errors else 200,
    )


@require_GET
@member_required
def site_dashboard(request: MemberRequest, code: str) -> HttpResponse:
    site = access_site(request.person, code, for_write=True)
    return render(
        request,
        "coaching/site_dashboard.html",
        {
            "site": site,
            "open_requests": selectors.request_list_for_site(site)[:100],
            "gaps": selectors.coverage_gaps(site),
        },
    )


@require_POST
@member_required
def site_assign(request: MemberRequest, code: str) -> HttpResponse:
    site = access_site(request.person, code, for_write=True)
    requests = list(
        CoachingRequest.objects.filter(
            site=site, status__in=[RequestStatus.OPEN, RequestStatus.NO_MATCH]
        ).select_related("learner", "topic")
    )
    made = services.matches_assign_batch(actor=request.person, requests=requests)
    messages.success(request, _("%(count)s coaches were asked.") % {"count": made})
    return redirect("coaching:site", code=site.code)
