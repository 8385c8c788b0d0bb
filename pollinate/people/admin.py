from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from pollinate.people.models import ApiToken, Invitation, Person, Role, Site, Skill, Topic, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
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
class PersonAdmin(admin.ModelAdmin):
    list_display = ["display_name", "site", "job_title"]
    list_filter = ["site__country", "site"]
    search_fields = ["display_name", "user__email"]
    list_select_related = ["site"]
    raw_id_fields = ["user", "manager"]
    inlines = [SkillInline, RoleInline]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "country", "time_zone", "region", "is_central"]
    list_filter = ["country", "is_central"]
    search_fields = ["name", "code"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
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
