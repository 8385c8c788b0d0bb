from __future__ import annotations

from django.http import HttpRequest


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """The signed-in member's unread count for the navigation badge (one indexed count query)."""
    person = getattr(request, "person", None)
    if person is None:
        return {}
    from pollinate.notifications.selectors import notification_unread_count

    return {"unread_notifications": notification_unread_count(person=person)}
