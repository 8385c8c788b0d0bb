from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from pollinate.audit.models import AuditRecord
from pollinate.people.models import Site


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""
    site: Site | None = None
    since: date | None = None
    until: date | None = None  # inclusive: the whole day


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_record_list(*, filters: AuditFilters) -> QuerySet[AuditRecord]:
    """Newest first; dates are days in the server's time zone, both ends included."""
    records = AuditRecord.objects.select_related("site")
    if filters.action:
        records = records.filter(action=filters.action)
    if filters.actor:
        records = records.filter(actor_label__icontains=filters.actor)
    if filters.site is not None:
        records = records.filter(site=filters.site)
    if filters.since is not None:
        records = records.filter(created_at__gte=_day_start(filters.since))
    if filters.until is not None:
        records = records.filter(created_at__lt=_day_start(filters.until + timedelta(days=1)))
    return records.order_by("-created_at", "-id")
