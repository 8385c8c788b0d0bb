from __future__ import annotations

from django.contrib import admin

from pollinate.activity.models import Activity
from pollinate.core.admin import ReadOnlyAdmin


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    """Read-only: the spine is append-only history."""

    list_display = ["created_at", "actor", "verb", "object_type", "object_id", "site"]
    list_filter = ["verb"]
    list_select_related = ["actor", "site"]
    date_hierarchy = "created_at"
