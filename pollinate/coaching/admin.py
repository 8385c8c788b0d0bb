from __future__ import annotations

from django.contrib import admin

from pollinate.coaching.models import (
    Certification,
    CoachingRequest,
    CoachingSession,
    CoachOffer,
    CoachTopic,
    Match,
)


class CoachTopicInline(admin.TabularInline):
    model = CoachTopic
    raw_id_fields = ("topic",)
    extra = 0


@admin.register(CoachOffer)
class CoachOfferAdmin(admin.ModelAdmin):
    list_display = ("person", "status", "capacity")
    list_filter = ("status",)
    raw_id_fields = ("person",)
    inlines = [CoachTopicInline]


@admin.register(CoachingRequest)
class CoachingRequestAdmin(admin.ModelAdmin):
    # Goals stay out of the list: requests are private to learner and coach.
    list_display = ("pk", "topic", "site", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("learner", "topic")


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ("pk", "request", "coach", "status", "score", "proposed_at")
    list_filter = ("status",)
    raw_id_fields = ("request", "coach")


@admin.register(CoachingSession)
class CoachingSessionAdmin(admin.ModelAdmin):
    list_display = ("pk", "starts_at", "status")
    exclude = ("notes",)
    raw_id_fields = ("match", "co_coach")


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ("coach", "topic", "signed_by", "signed_at")
    raw_id_fields = ("coach", "topic", "signed_by")
