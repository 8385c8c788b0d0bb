"""Reads for live chats: lists, the room's messages after a sequence number, the transcript."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from pollinate.chats.access import chats_visible_to
from pollinate.chats.models import Chat, ChatMessage, ChatParticipant, ChatPrompt, MessageKind
from pollinate.people.models import Person

CATCH_UP_LIMIT = 500


def chat_list(*, actor: Person, when: str = "upcoming") -> QuerySet[Chat]:
    """Visible chats: ``upcoming`` (live or future, soonest first) or ``past`` (latest first)."""
    now = timezone.now()
    chats = (
        chats_visible_to(actor)
        .select_related("site")
        .prefetch_related("hosts__site", "topics")
        .annotate(going=Count("participants", filter=Q(participants__rsvp="going")))
    )
    if when == "past":
        return chats.filter(ends_at__lte=now).order_by("-starts_at", "-id")
    return chats.filter(ends_at__gt=now).order_by("starts_at", "id")


def chat_upcoming_for_feed(*, actor: Person) -> QuerySet[Chat]:
    """Chats for the calendar feed: from a week ago on, so recent ones stay in calendars."""
    since = timezone.now() - timedelta(days=7)
    return (
        chats_visible_to(actor)
        .filter(ends_at__gte=since)
        .select_related("site")
        .prefetch_related("hosts")
        .order_by("starts_at")[:200]
    )


def chat_messages_after(
    *, chat: Chat, after: int, limit: int = CATCH_UP_LIMIT
) -> list[ChatMessage]:
    return list(
        ChatMessage.objects.filter(chat=chat, seq__gt=after)
        .select_related("author__site", "prompt")
        .order_by("seq")[:limit]
    )


def message_event(message: ChatMessage, *, show_hidden: bool = False) -> dict[str, Any]:
    """The JSON a client receives for one stored message (hidden bodies are left out)."""
    hidden = message.is_hidden
    author = message.author
    return {
        "type": "message",
        "seq": message.seq,
        "kind": message.kind,
        "body": "" if hidden and not show_hidden else message.body,
        "hidden": hidden,
        "author": (
            {"id": author.pk, "name": author.display_name, "site": author.site.name}
            if author is not None
            else None
        ),
        "prompt": message.prompt.number if message.prompt_id and message.prompt else None,
        "client_id": message.client_id,
        "reactions": message.reaction_count,
        "created_at": message.created_at.isoformat(),
    }


def room_state(*, chat: Chat) -> dict[str, Any]:
    """Changes a reconnecting client cannot learn from new messages alone: hides and reactions."""
    rows = ChatMessage.objects.filter(chat=chat).filter(
        Q(hidden_at__isnull=False) | Q(reaction_count__gt=0)
    )
    hidden = []
    reactions = {}
    for seq, hidden_at, count in rows.values_list("seq", "hidden_at", "reaction_count"):
        if hidden_at is not None:
            hidden.append(seq)
        if count:
            reactions[str(seq)] = count
    return {"hidden": hidden, "reactions": reactions}


def participant_get(*, chat: Chat, person: Person) -> ChatParticipant | None:
    return ChatParticipant.objects.filter(chat=chat, person=person).first()


@dataclass
class TranscriptSection:
    prompt: ChatPrompt | None
    question: ChatMessage | None
    answers: list[ChatMessage] = field(default_factory=list)


def chat_transcript(*, chat: Chat, show_hidden: bool = False) -> list[TranscriptSection]:
    """Messages grouped by prompt (in prompt order), most-reacted answers first, then by time.

    Messages sent before any prompt, or not tied to one, come first as the opening section.
    """
    messages = ChatMessage.objects.filter(chat=chat).select_related("author__site", "prompt")
    if not show_hidden:
        messages = messages.filter(hidden_at__isnull=True)
    prompts = list(
        ChatPrompt.objects.filter(chat=chat, released_at__isnull=False).order_by("number")
    )
    sections: dict[int | None, TranscriptSection] = {None: TranscriptSection(None, None)}
    for prompt in prompts:
        sections[prompt.pk] = TranscriptSection(prompt, None)
    for message in messages.order_by("-reaction_count", "seq"):
        section = sections.get(message.prompt_id) or sections[None]
        if message.kind == MessageKind.PROMPT:
            section.question = message
        elif message.kind == MessageKind.MESSAGE:
            section.answers.append(message)
    return [s for s in sections.values() if s.prompt is not None or s.answers]
