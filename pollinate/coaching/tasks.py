"""Coaching side effects, run after commit through ``pollinate.core.tasks.task_enqueue``.

Each task reloads what it needs by id and is safe to run twice (a second email is the worst case).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from pollinate.coaching.models import CoachingRequest, CoachingSession, Match, SessionStatus
from pollinate.core.tasks import task_periodic
from pollinate.people.models import Person, RoleName


def _url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _local(moment: dt.datetime, person: Person) -> str:
    return moment.astimezone(zoneinfo.ZoneInfo(person.time_zone)).strftime(
        f"%a %d %b %Y %H:%M ({person.time_zone})"
    )


def session_ics(session: CoachingSession) -> bytes:
    """An iCalendar (RFC 5545) invite for the session; UID is stable so updates replace it."""
    match = session.match
    calendar = Calendar()
    calendar.add("prodid", "-//Pollinate//Coaching//EN")
    calendar.add("version", "2.0")
    cancelled = session.status == SessionStatus.CANCELLED
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"coaching-session-{session.pk}@pollinate")
    event.add("dtstamp", session.created_at)
    event.add("dtstart", session.starts_at.astimezone(dt.UTC))
    event.add(
        "dtend",
        (session.starts_at + dt.timedelta(minutes=session.duration_minutes)).astimezone(dt.UTC),
    )
    event.add("sequence", session.sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("summary", _("Coaching: %(topic)s") % {"topic": match.request.topic.display_name})
    event.add("description", f"{match.request.goal}\n\n{_url(session.get_absolute_url())}")
    if session.where:
        event.add("location", session.where)
    organizer = vCalAddress(f"mailto:{match.coach.user.email}")
    organizer.params["cn"] = vText(match.coach.display_name)
    event["organizer"] = organizer
    people = [match.request.learner, match.coach] + ([session.co_coach] if session.co_coach else [])
    for person in people:
        attendee = vCalAddress(f"mailto:{person.user.email}")
        attendee.params["cn"] = vText(person.display_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    return calendar.to_ical()


def send_invite(*, session_id: int) -> None:
    session = (
        CoachingSession.objects.select_related(
            "match__request__topic",
            "match__request__learner__user",
            "match__coach__user",
            "co_coach__user",
        )
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        return
    match = session.match
    ics = session_ics(session)
    people = [match.request.learner, match.coach] + ([session.co_coach] if session.co_coach else [])
    for person in people:
        with translation.override(person.interface_language or None):
            topic = match.request.topic.display_name
            if session.status == SessionStatus.CANCELLED:
                subject = _("Cancelled: coaching session on %(topic)s") % {"topic": topic}
                body = _("The coaching session on %(topic)s on %(when)s is cancelled.\n") % {
                    "topic": topic,
                    "when": _local(session.starts_at, person),
                }
            else:
                subject = (
                    _("Coaching session: %(topic)s")
                    if session.sequence == 0
                    else _("Moved: coaching session on %(topic)s")
                ) % {"topic": topic}
                body = _(
                    "A coaching session on %(topic)s is scheduled for %(when)s "
                    "(%(minutes)s minutes).\n\nWhere: %(where)s\n\nDetails: %(url)s\n"
                ) % {
                    "topic": topic,
                    "when": _local(session.starts_at, person),
                    "minutes": session.duration_minutes,
                    "where": session.where or _("to be agreed"),
                    "url": _url(session.get_absolute_url()),
                }
            message = EmailMessage(subject=subject, body=body, to=[person.user.email])
        method = "CANCEL" if session.status == SessionStatus.CANCELLED else "REQUEST"
        message.attach("invite.ics", ics, f"text/calendar; method={method}")
        message.send()


def notify_proposal(*, match_id: int) -> None:
    match = (
        Match.objects.select_related("request__topic", "coach__user").filter(pk=match_id).first()
    )
    if match is None:
        return
    with translation.override(match.coach.interface_language or None):
        EmailMessage(
            subject=_("Can you coach someone on %(topic)s?")
            % {"topic": match.request.topic.display_name},
            body=_(
                "A colleague would like your help with %(topic)s.\n\n"
                "Accept or decline here: %(url)s\n"
            )
            % {"topic": match.request.topic.display_name, "url": _url(reverse("coaching:home"))},
            to=[match.coach.user.email],
        ).send()


def notify_accepted(*, match_id: int) -> None:
    match = (
        Match.objects.select_related("request__topic", "request__learner__user", "coach")
        .filter(pk=match_id)
        .first()
    )
    if match is None:
        return
    learner = match.request.learner
    with translation.override(learner.interface_language or None):
        EmailMessage(
            subject=_("%(coach)s will coach you") % {"coach": match.coach.display_name},
            body=_("Pick a time together: %(url)s\n")
            % {"url": _url(match.request.get_absolute_url())},
            to=[learner.user.email],
        ).send()


def notify_no_match(*, request_id: int) -> None:
    """Tells the site leads of the learner's site that nobody can coach this yet."""
    request = CoachingRequest.objects.select_related("topic", "site").filter(pk=request_id).first()
    if request is None:
        return
    leads = Person.objects.filter(
        roles__role=RoleName.SITE_LEAD, roles__site=request.site, user__is_active=True
    ).select_related("user")
    for lead in leads:
        with translation.override(lead.interface_language or None):
            EmailMessage(
                subject=_("No coach yet for %(topic)s") % {"topic": request.topic.display_name},
                body=_(
                    "Someone at %(site)s asked for coaching on %(topic)s and no coach is within "
                    "reach yet. See the coverage gaps: %(url)s\n"
                )
                % {
                    "site": request.site.name,
                    "topic": request.topic.display_name,
                    "url": _url(reverse("coaching:site", args=[request.site.code])),
                },
                to=[lead.user.email],
            ).send()


def proposals_expire() -> None:
    """Hourly: proposals nobody answered in COACHING_PROPOSAL_HOURS go to the next best coach."""
    from pollinate.coaching.services import matches_expire

    matches_expire()


task_periodic("pollinate.coaching.tasks.proposals_expire", minute="15")
