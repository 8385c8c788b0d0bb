"""Background work for live chats: reminder emails (a day and 15 minutes before)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pollinate.chats import services
from pollinate.chats.models import ChatParticipant
from pollinate.core.tasks import task_periodic


def chat_reminders_send() -> int:
    """Periodic and idempotent: run it every few minutes; each reminder goes out once."""
    return services.chat_reminders_send()


def chat_reminder_email(*, participant_id: int, kind: str) -> None:
    participant = (
        ChatParticipant.objects.select_related("chat", "person__user")
        .filter(pk=participant_id)
        .first()
    )
    if participant is None or not participant.person.user.is_active:
        return
    person, chat = participant.person, participant.chat
    with (
        translation.override(person.interface_language or settings.LANGUAGE_CODE),
        timezone.override(person.time_zone),
    ):
        subject = (
            _("Tomorrow: %(title)s") if kind == "reminded_day_at" else _("Starting soon: %(title)s")
        ) % {"title": chat.title}
        body = render_to_string(
            "chats/email/reminder.txt",
            {"chat": chat, "person": person, "url": settings.SITE_URL + chat.get_absolute_url()},
        )
    send_mail(subject, body, None, [person.user.email])


# Every five minutes: chats start on the quarter hour or the five minutes, so the "starting
# soon" email arrives 15 minutes before (at worst 10), and the day reminder within 5 minutes.
task_periodic("pollinate.chats.tasks.chat_reminders_send", minute="*/5")
