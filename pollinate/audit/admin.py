from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from pollinate.audit.models import AuditRecord
from pollinate.core.admin import ReadOnlyAdmin
from pollinate.people.models import Person


def _is_administrator(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_active or not user.is_staff:
        return False
    if user.is_superuser:
        return True
    person = Person.objects.filter(user_id=user.pk).first()
    return person is not None and person.is_administrator


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    """Read-only for administrators: nobody adds, changes or deletes audit records here."""

    list_display = ["created_at", "action", "actor_label", "site", "target_label", "ip_address"]
    list_filter = ["action", "site"]
    list_select_related = ["site"]
    search_fields = ["actor_label", "target_label", "ip_address"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_administrator(request)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return _is_administrator(request)
