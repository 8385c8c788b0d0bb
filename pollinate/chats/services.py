"""Writes for live chats. Every room message is stored (with its sequence number) before the
transaction commits, and broadcast to the room only after it commits, so a client is never told
about a message that a rollback could take back.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pollinate.activity.services import activity_record
from pollinate.chats.access import can_moderate, is_host
from pollinate.chats.models import (
    Chat,
    ChatMessage,
    ChatParticipant,
    ChatPrompt,
    ChatReaction,
    ChatVisibility,
    MessageKind,
    Rsvp,
)
from pollinate.chats.selectors import message_event
from pollinate.core.ratelimit import RateLimited
from pollinate.core.tasks import task_enqueue
from pollinate.people.models import Person, RoleName, Site, Topic

if TYPE_CHECKING:
    from pollinate.curation.models import Episode

logger = logging.getLogger(__name__)

REACTIONS = ("👍", "❤️", "💡", "👏", "❓")
# Participants may come in a little early; hosts may post (and release prompts) any time before end.
EARLY_ENTRY = timedelta(minutes=15)


class ChatError(Exception):
    """A refused chat action, with a stable code for clients and a message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _max_length() -> int:
    return int(getattr(settings, "CHAT_MESSAGE_MAX_LENGTH", 1000))


# --- broadcasting ----------------------------------------------------------------------------


_collector = threading.local()


@contextmanager
def broadcasts_collected() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Collects the broadcasts committed inside the block instead of sending them.

    The websocket consumer runs services in Django's database thread; sending from there would
    block that thread until the busy event loop got round to it, holding up every other write.
    The consumer sends the collected broadcasts itself, from the event loop, after the call.
    """
    bucket: list[tuple[str, dict[str, Any]]] = []
    _collector.bucket = bucket
    try:
        yield bucket
    finally:
        _collector.bucket = None


def chat_broadcast(*, chat_id: int, event: dict[str, Any]) -> None:
    """Sends one event to everyone in the room, after the current transaction commits.

    The event is encoded once here, so fan-out to hundreds of sockets only copies a string.
    """
    text = json.dumps(event, ensure_ascii=False)
    message = {
        "type": "room.event",
        "text": text,
        "seq": event.get("seq", 0),
        "kind": event["type"],
    }

    def send() -> None:
        bucket = getattr(_collector, "bucket", None)
        if bucket is not None:
            bucket.append((f"chat.{chat_id}", message))
            return
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(f"chat.{chat_id}", message)
        except Exception:
            # The message is stored; clients catch up by sequence number on their next event.
            logger.exception("broadcast to chat %s failed", chat_id)

    transaction.on_commit(send)


# --- chats, RSVP, invitations ----------------------------------------------------------------


def chat_create(
    *,
    actor: Person,
    title: str,
    description: str,
    starts_at: datetime,
    ends_at: datetime,
    language: str,
    visibility: str = ChatVisibility.ORGANISATION,
    topics: list[Topic] | None = None,
    prompts: list[str] | None = None,
    co_hosts: list[Person] | None = None,
    invitees: list[Person] | None = None,
) -> Chat:
    with transaction.atomic():
        chat = Chat(
            title=title,
            description=description,
            created_by=actor,
            site=actor.site,
            visibility=visibility,
            starts_at=starts_at,
            ends_at=ends_at,
            language=language,
        )
        chat.full_clean()
        chat.save()
        chat.hosts.add(actor, *(co_hosts or []))
        chat.topics.set(topics or [])
        chat_prompts_set(chat=chat, bodies=prompts or [])
        for person in {actor, *(co_hosts or []), *(invitees or [])}:
            ChatParticipant.objects.get_or_create(
                chat=chat,
                person=person,
                defaults={"is_invited": True, "rsvp": Rsvp.GOING if person == actor else ""},
            )
        activity_record(
            actor=actor,
            verb="chat.scheduled",
            target=chat,
            payload={"title": title, "starts_at": starts_at.isoformat()},
            is_public=visibility == ChatVisibility.ORGANISATION,
        )
    return chat


def chat_update(
    *,
    actor: Person,
    chat: Chat,
    title: str,
    description: str,
    starts_at: datetime,
    ends_at: datetime,
    language: str,
    visibility: str,
    topics: list[Topic],
    prompts: list[str],
) -> Chat:
    with transaction.atomic():
        chat.title, chat.description, chat.language = title, description, language
        chat.starts_at, chat.ends_at, chat.visibility = starts_at, ends_at, visibility
        chat.full_clean()
        chat.save()
        chat.topics.set(topics)
        chat_prompts_set(chat=chat, bodies=prompts)
        activity_record(actor=actor, verb="chat.updated", target=chat, is_public=False)
    return chat


def chat_prompts_set(*, chat: Chat, bodies: list[str]) -> None:
    """Replaces unreleased prompts; released prompts are part of the record and stay."""
    released = list(chat.prompts.filter(released_at__isnull=False).order_by("number"))
    chat.prompts.filter(released_at__isnull=True).delete()
    released_bodies = {p.body for p in released}
    number = max((p.number for p in released), default=0)
    for body in bodies:
        body = body.strip()
        if body and body not in released_bodies:
            number += 1
            ChatPrompt.objects.create(chat=chat, number=number, body=body[:1000])


def chat_rsvp(*, actor: Person, chat: Chat, rsvp: str) -> ChatParticipant:
    if chat.has_ended:
        raise ChatError("ended", _("This chat has ended."))
    with transaction.atomic():
        participant, _created = ChatParticipant.objects.get_or_create(chat=chat, person=actor)
        participant.rsvp = rsvp
        participant.save(update_fields=["rsvp"])
        if rsvp == Rsvp.GOING:
            activity_record(
                actor=actor,
                verb="chat.rsvp_going",
                target=chat,
                is_public=chat.visibility == ChatVisibility.ORGANISATION,
            )
    return participant


def chat_invite(*, actor: Person, chat: Chat, people: list[Person]) -> int:
    count = 0
    with transaction.atomic():
        for person in people:
            participant, created = ChatParticipant.objects.get_or_create(
                chat=chat, person=person, defaults={"is_invited": True}
            )
            if not created and not participant.is_invited:
                participant.is_invited = True
                participant.save(update_fields=["is_invited"])
            count += 1
    return count


# --- the live room ---------------------------------------------------------------------------


def _next_seq(chat_id: int) -> tuple[int, bool]:
    """Takes the room's next sequence number; returns it with the room's locked state.

    The UPDATE takes the chat row's write lock until commit (PostgreSQL row lock; SQLite's
    IMMEDIATE transactions serialise writers), so two senders can never get the same number
    and a number is only ever used by a committed message: sequences have no gaps. Whatever is
    read after it (the lock, the sender's recent messages) cannot change before the commit.
    """
    Chat.objects.filter(pk=chat_id).update(last_seq=F("last_seq") + 1)
    seq, locked = Chat.objects.filter(pk=chat_id).values_list("last_seq", "is_locked").get()
    return int(seq), bool(locked)


def _store(
    *,
    chat: Chat,
    kind: str,
    body: str,
    author: Person | None,
    prompt: ChatPrompt | None = None,
    client_id: str = "",
    check: Callable[[bool], None] | None = None,
) -> ChatMessage:
    seq, locked = _next_seq(chat.pk)
    if check is not None:
        check(locked)  # may refuse; raising here rolls the number back with the transaction
    message = ChatMessage.objects.create(
        chat=chat, seq=seq, kind=kind, body=body, author=author, prompt=prompt, client_id=client_id
    )
    chat.last_seq = seq
    chat_broadcast(chat_id=chat.pk, event=message_event(message))
    return message


def message_post(
    *,
    actor: Person,
    chat: Chat,
    body: str,
    client_id: str = "",
    prompt_number: int | None = None,
) -> tuple[ChatMessage, bool]:
    """Stores and broadcasts a message; returns (message, created).

    A repeated ``client_id`` from the same person returns the stored message instead of a copy,
    which makes resending after a dropped connection safe. Refusals raise ``ChatError``.
    """
    client_id = client_id.strip()[:64]
    if client_id:
        existing = ChatMessage.objects.filter(chat=chat, author=actor, client_id=client_id).first()
        if existing is not None:
            return existing, False
    body = body.strip()
    if not body:
        raise ChatError("empty", _("Write something first."))
    if len(body) > _max_length():
        raise ChatError(
            "too_long",
            _("Messages can be at most %(limit)s characters; yours has %(length)s.")
            % {"limit": _max_length(), "length": len(body)},
        )
    hosting = is_host(actor, chat)
    now = timezone.now()
    if now >= chat.ends_at:
        raise ChatError("ended", _("This chat has ended; the transcript is open for reading."))
    if not hosting and now < chat.starts_at - EARLY_ENTRY:
        raise ChatError("not_started", _("This chat has not started yet."))
    participant = ChatParticipant.objects.filter(chat=chat, person=actor).first()
    if participant is not None and participant.muted_at is not None:
        raise ChatError("muted", _("A moderator has muted you in this chat."))
    exempt = hosting or actor.has_role(RoleName.MODERATOR, chat.site)
    prompt = None
    if prompt_number is not None:
        prompt = chat.prompts.filter(number=prompt_number, released_at__isnull=False).first()

    def check(locked: bool) -> None:
        if exempt:
            return
        if locked:
            raise ChatError("locked", _("The room is locked: only hosts can write now."))
        _rate_limit_check(actor=actor, chat=chat, now=now)

    try:
        with transaction.atomic():
            if participant is None:
                ChatParticipant.objects.get_or_create(chat=chat, person=actor)
            message = _store(
                chat=chat,
                kind=MessageKind.MESSAGE,
                body=body,
                author=actor,
                prompt=prompt,
                client_id=client_id,
                check=check,
            )
    except IntegrityError:
        # Two resends with the same client id raced; the first one won and is the answer.
        existing = ChatMessage.objects.filter(chat=chat, author=actor, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    return message, True


def _rate_limit_check(*, actor: Person, chat: Chat, now: datetime) -> None:
    """At most CHAT_RATE_LIMIT messages per person and room in any CHAT_RATE_WINDOW seconds.

    Counted from the stored messages, inside the transaction that holds the room's write lock:
    exact across processes, and no cache writes on the busiest path of the room.
    """
    limit = int(getattr(settings, "CHAT_RATE_LIMIT", 10))
    window = timedelta(seconds=int(getattr(settings, "CHAT_RATE_WINDOW", 10)))
    recent = list(
        ChatMessage.objects.filter(chat=chat, author=actor, created_at__gt=now - window)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        wait = max(1, int((recent[-1] + window - now).total_seconds()) + 1)
        raise ChatError("rate_limited", str(RateLimited(wait)))


def prompt_release(*, actor: Person, chat: Chat, number: int) -> ChatMessage:
    """A host releases prompt ``number``: it becomes a room message that answers thread under."""
    if not (is_host(actor, chat) or can_moderate(actor, chat)):
        raise ChatError("forbidden", _("Only hosts can release prompts."))
    if chat.has_ended:
        raise ChatError("ended", _("This chat has ended."))
    with transaction.atomic():
        prompt = chat.prompts.select_for_update().filter(number=number).first()
        if prompt is None:
            raise ChatError("not_found", _("There is no prompt Q%(number)s.") % {"number": number})
        if prompt.released_at is not None:
            existing = prompt.messages.filter(kind=MessageKind.PROMPT).first()
            if existing is not None:
                return existing
        prompt.released_at = timezone.now()
        prompt.save(update_fields=["released_at"])
        message = _store(
            chat=chat,
            kind=MessageKind.PROMPT,
            body=prompt.body,
            author=actor,
            prompt=prompt,
            client_id=f"prompt-{number}",
        )
        activity_record(
            actor=actor,
            verb="chat.prompt_released",
            target=chat,
            payload={"number": number},
            is_public=False,
        )
    return message


def message_hide(*, actor: Person, message: ChatMessage) -> ChatMessage:
    if not can_moderate(actor, message.chat):
        raise ChatError("forbidden", _("Only hosts and moderators can hide messages."))
    with transaction.atomic():
        if message.hidden_at is None:
            message.hidden_at = timezone.now()
            message.hidden_by = actor
            message.save(update_fields=["hidden_at", "hidden_by"])
            activity_record(
                actor=actor,
                verb="chat.message_hidden",
                target=message.chat,
                payload={"seq": message.seq},
                is_public=False,
            )
        chat_broadcast(chat_id=message.chat_id, event={"type": "hidden", "seq": message.seq})
    return message


def participant_mute(
    *, actor: Person, chat: Chat, person: Person, muted: bool = True
) -> ChatParticipant:
    if not can_moderate(actor, chat):
        raise ChatError("forbidden", _("Only hosts and moderators can mute people."))
    if muted and is_host(person, chat):
        raise ChatError("forbidden", _("Hosts cannot be muted."))
    with transaction.atomic():
        participant, _created = ChatParticipant.objects.get_or_create(chat=chat, person=person)
        participant.muted_at = timezone.now() if muted else None
        participant.muted_by = actor if muted else None
        participant.save(update_fields=["muted_at", "muted_by"])
        activity_record(
            actor=actor,
            verb="chat.participant_muted" if muted else "chat.participant_unmuted",
            target=chat,
            payload={"person_id": person.pk},
            is_public=False,
        )
        chat_broadcast(
            chat_id=chat.pk, event={"type": "muted", "person": person.pk, "muted": muted}
        )
    return participant


def chat_lock(*, actor: Person, chat: Chat, locked: bool) -> Chat:
    if not can_moderate(actor, chat):
        raise ChatError("forbidden", _("Only hosts and moderators can lock the room."))
    with transaction.atomic():
        Chat.objects.filter(pk=chat.pk).update(is_locked=locked)
        chat.is_locked = locked
        _store(
            chat=chat,
            kind=MessageKind.NOTICE,
            body=str(_("The room is locked.") if locked else _("The room is open again.")),
            author=actor,
        )
        chat_broadcast(chat_id=chat.pk, event={"type": "locked", "locked": locked})
    return chat


def reaction_toggle(*, actor: Person, message: ChatMessage, emoji: str) -> int:
    """Adds the reaction, or takes it back if already given; returns the message's new count."""
    if emoji not in REACTIONS:
        raise ChatError("invalid", _("That reaction is not available."))
    if message.is_hidden or message.kind != MessageKind.MESSAGE:
        raise ChatError("invalid", _("This message cannot be reacted to."))
    with transaction.atomic():
        deleted, _rows = ChatReaction.objects.filter(
            message=message, person=actor, emoji=emoji
        ).delete()
        if not deleted:
            ChatReaction.objects.create(message=message, person=actor, emoji=emoji)
        count = ChatReaction.objects.filter(message=message).count()
        ChatMessage.objects.filter(pk=message.pk).update(reaction_count=count)
        message.reaction_count = count
        chat_broadcast(
            chat_id=message.chat_id, event={"type": "reactions", "seq": message.seq, "count": count}
        )
    return count


# --- afterwards ------------------------------------------------------------------------------


def answer_promote(*, actor: Person, message: ChatMessage) -> str:
    """Turns an answer into a practice draft (the practices app's service), keeping the link
    on the message; returns the draft's URL. Promoting twice returns the first draft."""
    chat = message.chat
    if not (is_host(actor, chat) or actor.is_administrator):
        raise ChatError("forbidden", _("Only hosts can promote answers."))
    if message.kind != MessageKind.MESSAGE or message.is_hidden:
        raise ChatError("invalid", _("Only visible answers can be promoted."))
    if message.promoted_to:
        return message.promoted_to
    from pollinate.practices.services import practice_draft_create

    question = message.prompt.body if message.prompt else chat.title
    author = message.author
    credit = f"\n\n— {author.display_name} ({author.site.name})" if author else ""
    source = settings.SITE_URL + reverse("chats:transcript", args=[chat.pk]) + f"#a{message.seq}"
    with transaction.atomic():
        practice = practice_draft_create(
            actor=actor,
            title=question[:160],
            problem=question,
            what_we_do=message.body + credit,
            source_url=source,
        )
        url = str(practice.get_absolute_url())
        ChatMessage.objects.filter(pk=message.pk).update(promoted_to=url)
        message.promoted_to = url
        activity_record(
            actor=actor,
            verb="chat.answer_promoted",
            target=chat,
            payload={"seq": message.seq, "url": url},
        )
    return url


def answer_quote(*, message: ChatMessage) -> str:
    """The answer as the commentary of a collection item: quoted, credited, with its address."""
    chat = message.chat
    author = message.author
    credit = f"{author.display_name} ({author.site.name})" if author else _("someone")
    where = message.prompt.label if message.prompt else _("the conversation")
    source = settings.SITE_URL + reverse("chats:transcript", args=[chat.pk]) + f"#a{message.seq}"
    head = _("From the live chat “%(title)s”, answering %(where)s — %(credit)s:") % {
        "title": chat.title,
        "where": where,
        "credit": credit,
    }
    room = 4000 - len(head) - len(source) - 20
    body = message.body if len(message.body) <= room else message.body[: room - 1] + "…"
    # Markdown, as all commentary: the answer as a block quote, the address as an autolink.
    quoted = "\n".join(f"> {line}" for line in body.splitlines() or [""])
    return f"{head}\n\n{quoted}\n\n<{source}>"


def answer_collect(
    *, actor: Person, message: ChatMessage, episode: Episode, edition_site: Site | None = None
) -> str:
    """Adds an answer to a collection episode; returns the episode's address (kept on the message).

    Collections point at whole objects, not at one message, so the item is the chat's transcript
    with the answer quoted, credited and linked in its commentary. Promoting again returns the
    first address. Precondition: the caller checked the actor may add items to the collection
    (or to ``edition_site``'s edition of it).
    """
    chat = message.chat
    if not (is_host(actor, chat) or actor.is_administrator):
        raise ChatError("forbidden", _("Only hosts can promote answers."))
    if message.kind != MessageKind.MESSAGE or message.is_hidden:
        raise ChatError("invalid", _("Only visible answers can be promoted."))
    if chat.visibility != ChatVisibility.ORGANISATION:
        # A collection is read by the whole organisation; an answer given in a smaller room
        # stays there.
        raise ChatError(
            "private", _("Only answers from chats open to the whole organisation can be collected.")
        )
    if message.collected_to:
        return message.collected_to
    from pollinate.curation.models import ItemKind
    from pollinate.curation.services import item_add

    try:
        with transaction.atomic():
            item_add(
                actor=actor,
                episode=episode,
                kind=ItemKind.CHAT,
                target_id=chat.pk,
                commentary=answer_quote(message=message),
                edition_site=edition_site,
            )
            url = episode.get_absolute_url()[:200]
            ChatMessage.objects.filter(pk=message.pk).update(collected_to=url)
            message.collected_to = url
            activity_record(
                actor=actor,
                verb="chat.answer_collected",
                target=chat,
                payload={"seq": message.seq, "url": url, "episode_id": episode.pk},
            )
    except ValidationError as exc:
        raise ChatError("invalid", " ".join(exc.messages)) from exc
    return url


# --- reminders -------------------------------------------------------------------------------


def chat_reminders_send(*, now: datetime | None = None) -> int:
    """Emails people who said they are going, a day and 15 minutes before. Idempotent: each
    reminder is sent once per person and chat (the time it was sent is recorded first)."""
    now = now or timezone.now()
    sent = 0
    # (field, how long before, at least this long before): a day reminder is pointless when the
    # chat starts within the hour; the 15-minute reminder covers that.
    windows = (
        ("reminded_day_at", timedelta(hours=24), timedelta(hours=1)),
        ("reminded_soon_at", timedelta(minutes=15), timedelta(0)),
    )
    for field, lead, min_lead in windows:
        due = ChatParticipant.objects.filter(
            rsvp__in=[Rsvp.GOING, Rsvp.MAYBE],
            chat__starts_at__gt=now + min_lead,
            chat__starts_at__lte=now + lead,
            **{f"{field}__isnull": True},
        ).values_list("pk", flat=True)
        for participant_id in list(due):
            claimed = ChatParticipant.objects.filter(
                pk=participant_id, **{f"{field}__isnull": True}
            ).update(**{field: now})
            if claimed:
                task_enqueue(
                    "pollinate.chats.tasks.chat_reminder_email",
                    participant_id=participant_id,
                    kind=field,
                )
                sent += 1
    return sent
