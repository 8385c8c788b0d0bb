"""Analytics writes nothing but its rollups, its xAPI outbox and the administrator's switches."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from pollinate.analytics.models import RecognitionSetting
from pollinate.audit.models import AuditAction
from pollinate.audit.services import audit_record
from pollinate.people.models import Person


@transaction.atomic
def recognition_set(*, actor: Person, enabled: bool) -> RecognitionSetting:
    """Turns named recognition on or off for the whole organisation.

    Precondition: ``actor`` is an administrator (the view checks it).
    """
    setting, _created = RecognitionSetting.objects.select_for_update().get_or_create(pk=1)
    setting.named_recognition = enabled
    setting.changed_by = actor
    setting.changed_at = timezone.now()
    setting.save()
    # Audited, in the audit log's own vocabulary: an administrator changed a setting.
    audit_record(
        action=AuditAction.ADMIN_CHANGED,
        actor_person=actor,
        target=setting,
        details={"named_recognition": enabled},
    )
    # No cache to clear: dashboards read the switch on every request and cache no names.
    return setting
