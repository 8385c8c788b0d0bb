from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from pollinate.people.models import ApiToken, Invitation, Person, Role, Site, Skill, Topic, User
from pollinate.people.selectors import people_counts_changed


class CountsChangedMixin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Edits here (deactivating an account, a skill inline) move the cached directory totals."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        transaction.on_commit(people_counts_changed)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        transaction.on_commit(people_counts_changed)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)
        transaction.on_commit(people_counts_changed)


@admin.register(User)
class UserAdmin(CountsChangedMixin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "is_active", "is_staff", "date_joined"]
    search_fields = ["email"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    list_filter = ["is_active", "is_staff"]
    filter_horizontal = ["groups"]


class SkillInline(admin.TabularInline):
    model = Skill
    autocomplete_fields = ["topic"]
    extra = 0


class RoleInline(admin.TabularInline):
    model = Role
    extra = 0


@admin.register(Person)
class PersonAdmin(CountsChangedMixin):
    list_display = ["display_name", "site", "job_title"]
    list_filter = ["site__country", "site"]
    search_fields = ["display_name", "user__email"]
    list_select_related = ["site"]
    raw_id_fields = ["user", "manager"]
    inlines = [SkillInline, RoleInline]


@admin.register(Site)
class SiteAdmin(CountsChangedMixin):
    list_display = ["name", "code", "country", "time_zone", "region", "is_central"]
    list_filter = ["country", "is_central"]
    search_fields = ["name", "code"]


@admin.register(Topic)
class TopicAdmin(CountsChangedMixin):
    list_display = ["name", "kind", "parent", "merged_into"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    raw_id_fields = ["parent", "merged_into"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["person", "role", "site", "granted_at"]
    list_filter = ["role"]
    raw_id_fields = ["person"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "site", "invited_by", "created_at", "expires_at", "accepted_at"]
    readonly_fields = ["token_hash"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["person", "name", "created_at", "last_used_at"]
    readonly_fields = ["token_hash"]
    raw_id_fields = ["person"]
