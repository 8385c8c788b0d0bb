from __future__ import annotations

from django.http import Http404

from pollinate.notifications.models import Notification
from pollinate.people.models import Person


def access_notification(
    actor: Person, notification_id: int, *, for_write: bool = False
) -> Notification:
    """A notification is its recipient's alone: anybody else gets a 404, even administrators."""
    notification = Notification.objects.filter(pk=notification_id, recipient=actor).first()
    if notification is None:
        raise Http404
    return notification
