from __future__ import annotations

from django.contrib import admin

from pollinate.curation.models import Collection, CollectionFollow, Episode, Item


class EpisodeInline(admin.TabularInline):
    model = Episode
    fields = ["number", "title", "publish_at", "announced_at"]
    readonly_fields = ["announced_at"]
    extra = 0


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["title", "publish_at", "created_by", "updated_at"]
    search_fields = ["title"]
    raw_id_fields = ["created_by"]
    filter_horizontal = ["topics"]
    inlines = [EpisodeInline]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "episode", "edition_site", "position"]
    list_filter = ["kind", "edition_site"]
    raw_id_fields = ["episode", "added_by"]


@admin.register(CollectionFollow)
class CollectionFollowAdmin(admin.ModelAdmin):
    list_display = ["person", "collection", "created_at"]
    raw_id_fields = ["person", "collection"]
