from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from pollinate.activity.models import Activity


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """Read-only: the spine is append-only history."""

    list_display = ["created_at", "actor", "verb", "object_type", "object_id", "site"]
    list_filter = ["verb"]
    list_select_related = ["actor", "site"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
