from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from pollinate.core.compiled import compiled_sql
from pollinate.notifications.models import Delivery, Notification, NotificationKind, Preference
from pollinate.people.models import Person


def _unread_count_sql(recipient: int) -> tuple[str, list[object]]:
    unread = Notification.objects.filter(recipient_id=recipient, read_at__isnull=True)
    sql, params = unread.values("pk").query.sql_with_params()
    return f"SELECT COUNT(*) FROM ({sql}) unread", list(params)  # noqa: S608 -- the ORM's own SQL


def notification_unread_count(*, person: Person) -> int:
    """The navigation badge on every signed-in page: one indexed count, its SQL built once."""
    sql, params = compiled_sql("notifications:unread-count", _unread_count_sql, recipient=person.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def notification_list(*, person: Person, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=person).select_related(
        "actor", "actor__site"
    )
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def preference_map(*, person: Person) -> dict[str, str]:
    """Every kind's email delivery for a person: their choice, or the kind's default."""
    chosen = dict(Preference.objects.filter(person=person).values_list("kind", "delivery"))
    return {
        kind: chosen.get(kind, NotificationKind.default_delivery(kind))
        for kind in NotificationKind.values
    }


def notification_routing_opt_outs(*, person_ids: list[int]) -> set[int]:
    """People who switched "questions offered to me" off: routing leaves them alone."""
    return set(
        Preference.objects.filter(
            person_id__in=person_ids, kind=NotificationKind.QUESTION_OFFERED, delivery=Delivery.OFF
        ).values_list("person_id", flat=True)
    )
