"""Writes about notifications: derive them from the spine, mark read, save preferences."""

from __future__ import annotations

import logging

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from pollinate.activity.models import Activity
from pollinate.core.tasks import task_enqueue
from pollinate.notifications import rules
from pollinate.notifications.models import Delivery, Notification, NotificationKind, Preference
from pollinate.people.models import Person

logger = logging.getLogger(__name__)


def _target_url(activity: Activity) -> str:
    url = activity.payload.get("url") if isinstance(activity.payload, dict) else None
    # Only a path on this site: "//host/..." or "/\\host" would leave it (an open redirect).
    if (
        isinstance(url, str)
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(url, allowed_hosts=None)
    ):
        return url
    try:
        model = apps.get_model(activity.object_type)
        target = model._default_manager.filter(pk=activity.object_id).first()
        return str(target.get_absolute_url()) if target is not None else ""
    except (LookupError, ValueError, AttributeError):
        return ""


def notifications_from_activity(activity: Activity) -> list[Notification]:
    """Spine subscriber: creates each recipient's notification once, then schedules email."""
    wanted = rules.recipients_for(activity)
    if not wanted:
        return []
    people = set(
        Person.objects.filter(pk__in=list(wanted), user__is_active=True).values_list(
            "pk", flat=True
        )
    )
    chosen = {
        (row[0], row[1]): row[2]
        for row in Preference.objects.filter(person_id__in=people).values_list(
            "person_id", "kind", "delivery"
        )
    }
    url = _target_url(activity)
    text = rules.summary(activity.payload or {})
    created: list[Notification] = []
    for person_id in sorted(people):
        kind = wanted[person_id]
        delivery = chosen.get((person_id, kind), NotificationKind.default_delivery(kind))
        try:
            with transaction.atomic():
                notification, is_new = Notification.objects.get_or_create(
                    recipient_id=person_id,
                    activity=activity,
                    kind=kind,
                    defaults={
                        "actor_id": activity.actor_id,
                        "text": text,
                        "url": url,
                        "delivery": delivery,
                        "created_at": activity.created_at,
                    },
                )
        except IntegrityError:  # a concurrent run created it first
            continue
        if not is_new:
            continue
        created.append(notification)
        if delivery == Delivery.IMMEDIATELY:
            task_enqueue(
                "pollinate.notifications.tasks.notification_email_send",
                notification_id=notification.pk,
            )
    return created


def notification_spine_subscriber(activity: Activity) -> None:
    notifications_from_activity(activity)


def notification_mark_read(*, actor: Person, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, actor: Person) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preferences_save(*, actor: Person, choices: dict[str, str]) -> None:
    """Saves a person's email choice per kind; unknown kinds or deliveries are ignored."""
    with transaction.atomic():
        for kind, delivery in choices.items():
            if kind not in NotificationKind.values or delivery not in Delivery.values:
                continue
            Preference.objects.update_or_create(
                person=actor, kind=kind, defaults={"delivery": delivery}
            )
