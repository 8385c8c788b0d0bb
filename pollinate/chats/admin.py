from __future__ import annotations

from django.contrib import admin

from pollinate.chats.models import Chat, ChatMessage, ChatParticipant, ChatPrompt


class ChatPromptInline(admin.TabularInline):
    model = ChatPrompt
    extra = 0


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ("title", "starts_at", "site", "visibility", "is_locked", "last_seq")
    list_filter = ("visibility", "is_locked", "site")
    search_fields = ("title",)
    date_hierarchy = "starts_at"
    raw_id_fields = ("created_by", "hosts", "topics")
    readonly_fields = ("last_seq",)
    inlines = [ChatPromptInline]


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ("chat", "seq", "kind", "author", "created_at", "hidden_at", "reaction_count")
    list_filter = ("kind",)
    search_fields = ("body",)
    raw_id_fields = ("chat", "author", "prompt", "hidden_by")
    # Sequence numbers and bodies are the record; moderation happens through hide, not edits.
    readonly_fields = ("chat", "seq", "kind", "author", "prompt", "body", "client_id", "created_at")


@admin.register(ChatParticipant)
class ChatParticipantAdmin(admin.ModelAdmin):
    list_display = ("chat", "person", "rsvp", "is_invited", "muted_at")
    list_filter = ("rsvp", "is_invited")
    raw_id_fields = ("chat", "person", "muted_by")
