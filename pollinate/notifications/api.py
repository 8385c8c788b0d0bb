from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from pollinate.core.pagination import LimitOffsetPagination
from pollinate.notifications import rules, services
from pollinate.notifications.access import access_notification
from pollinate.notifications.models import Notification
from pollinate.notifications.schemas import NotificationOut, PreferencesIn, UnreadOut
from pollinate.notifications.selectors import (
    notification_list,
    notification_unread_count,
    preference_map,
)
from pollinate.people.access import api_member
from pollinate.people.schemas import ErrorOut

router = Router(tags=["notifications"])


def _out(item: Notification) -> NotificationOut:
    return NotificationOut(
        id=item.pk,
        kind=item.kind,
        headline=rules.phrase(item.kind, item.actor.display_name if item.actor else ""),
        text=item.text,
        url=item.url,
        created_at=item.created_at,
        read=item.read_at is not None,
    )


@router.get("/", response=list[NotificationOut])
@paginate(LimitOffsetPagination)
def notifications_list(request: HttpRequest, unread: bool = False) -> list[NotificationOut]:
    person = api_member(request)
    return [_out(item) for item in notification_list(person=person, unread_only=unread)[:500]]


@router.get("/unread-count", response=UnreadOut)
def notifications_unread(request: HttpRequest) -> UnreadOut:
    return UnreadOut(unread=notification_unread_count(person=api_member(request)))


@router.post("/{notification_id}/read", response={200: NotificationOut, 404: ErrorOut})
def notifications_read(request: HttpRequest, notification_id: int) -> NotificationOut:
    person = api_member(request)
    item = access_notification(person, notification_id, for_write=True)
    return _out(services.notification_mark_read(actor=person, notification=item))


@router.post("/read-all", response=UnreadOut)
def notifications_read_all(request: HttpRequest) -> UnreadOut:
    person = api_member(request)
    services.notification_mark_all_read(actor=person)
    return UnreadOut(unread=0)


@router.get("/preferences", response=dict[str, str])
def preferences_get(request: HttpRequest) -> dict[str, str]:
    return preference_map(person=api_member(request))


@router.put("/preferences", response=dict[str, str])
def preferences_put(request: HttpRequest, payload: PreferencesIn) -> dict[str, str]:
    """Body: {"choices": {"<kind>": "off" | "immediately" | "digest"}}; unknown keys are ignored."""
    person = api_member(request)
    services.preferences_save(actor=person, choices=payload.choices)
    return preference_map(person=person)
