from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from pollinate.core.models import TaskRun, TaskStatus
from pollinate.core.tasks import task_retry


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only history (the activity spine, the audit log): listed, never edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(TaskRun)
class TaskRunAdmin(admin.ModelAdmin):
    list_display = ["id", "path", "status", "attempts", "enqueued_at", "started_at", "finished_at"]
    list_filter = ["status", "path"]
    search_fields = ["path", "last_error"]
    readonly_fields = [
        "path",
        "kwargs",
        "status",
        "attempts",
        "last_error",
        "enqueued_at",
        "started_at",
        "finished_at",
    ]
    date_hierarchy = "enqueued_at"
    actions = ["retry_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Retry the selected failed tasks now"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[TaskRun]) -> None:
        ids = list(
            queryset.filter(status__in=[TaskStatus.FAILED, TaskStatus.RETRYING]).values_list(
                "pk", flat=True
            )
        )
        for run_id in ids:
            task_retry(run_id)
        self.message_user(
            request,
            ngettext("%d task queued again.", "%d tasks queued again.", len(ids)) % len(ids),
            messages.SUCCESS,
        )
