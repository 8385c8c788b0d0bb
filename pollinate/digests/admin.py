from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from pollinate.digests.models import DigestPreference, DigestSend, SendStatus


@admin.register(DigestSend)
class DigestSendAdmin(admin.ModelAdmin):
    """Every digest of every period: what was sent, what is failing and why."""

    list_display = ["person", "frequency", "period_start", "status", "attempts", "sent_at"]
    list_filter = ["status", "frequency", "period_start"]
    search_fields = ["person__display_name", "person__user__email", "last_error"]
    readonly_fields = [
        "person",
        "frequency",
        "period_start",
        "status",
        "claim_token",
        "claimed_at",
        "sent_at",
        "attempts",
        "item_count",
        "last_error",
    ]
    list_select_related = ["person"]
    actions = ["send_again"]

    @admin.action(description=_("Send again with the next run (may duplicate if it had arrived)"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[DigestSend]) -> None:
        count = queryset.filter(status__in=[SendStatus.SENDING, SendStatus.CLAIMED]).update(
            status=SendStatus.FAILED, last_error="sent again by an administrator"
        )
        self.message_user(
            request,
            ngettext("%d digest will be sent again.", "%d digests will be sent again.", count)
            % count,
            messages.SUCCESS,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(DigestPreference)
class DigestPreferenceAdmin(admin.ModelAdmin):
    list_display = ["person", "frequency", "updated_at"]
    list_filter = ["frequency"]
    search_fields = ["person__display_name", "person__user__email"]
    raw_id_fields = ["person"]
