from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from pollinate.notifications import rules
from pollinate.notifications.models import Notification


def notification_email_send(*, notification_id: int) -> bool:
    """Emails one notification; idempotent (claims the row before sending)."""
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient__user", "actor").get(
        pk=notification_id
    )
    recipient = notification.recipient
    with translation.override(recipient.interface_language or settings.LANGUAGE_CODE):
        headline = rules.phrase(
            notification.kind, notification.actor.display_name if notification.actor else ""
        )
        context = {
            "headline": headline,
            "notification": notification,
            "link": f"{settings.SITE_URL}{notification.url}" if notification.url else "",
            "preferences": f"{settings.SITE_URL}{reverse('notifications:preferences')}",
        }
        body = render_to_string("notifications/email.txt", context)
        send_mail(headline, body, None, [recipient.user.email])
    return True
