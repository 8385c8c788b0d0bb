"""Live chats in the JSON API: the same access helpers and services as the pages and the socket.

Sending over HTTP is the same operation as sending over the websocket (idempotent by
``client_id``); ``GET messages?after=<seq>`` is the catch-up and polling read.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router

from pollinate.chats import services
from pollinate.chats.access import (
    access_chat,
    access_chat_message,
    access_episode_for_answers,
    is_host,
)
from pollinate.chats.models import Chat, ChatPrompt
from pollinate.chats.schemas import (
    ChatDetailOut,
    ChatIn,
    ChatOut,
    ErrorOut,
    LockIn,
    MessageIn,
    MessageOut,
    MessagesOut,
    MuteIn,
    PromotedOut,
    PromoteIn,
    ReactIn,
    ReactionsOut,
    RsvpIn,
    TranscriptSectionOut,
)
from pollinate.chats.selectors import (
    chat_list,
    chat_messages_after,
    chat_transcript,
    message_event,
    participant_get,
)
from pollinate.people.access import access_person, api_member
from pollinate.people.models import Person, Topic

router = Router(tags=["chats"])

ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}
_STATUS = {
    "forbidden": 403,
    "muted": 403,
    "locked": 403,
    "not_found": 404,
    "rate_limited": 429,
    "unavailable": 503,
}


def _error(exc: services.ChatError) -> tuple[int, dict[str, str]]:
    return _STATUS.get(exc.code, 400), {"code": exc.code, "message": exc.message}


def _chat_out(chat: Chat) -> dict[str, Any]:
    return {
        "id": chat.pk,
        "title": chat.title,
        "description": chat.description,
        "state": chat.state,
        "starts_at": chat.starts_at,
        "ends_at": chat.ends_at,
        "language": chat.language,
        "visibility": chat.visibility,
        "is_locked": chat.is_locked,
        "last_seq": chat.last_seq,
        "site_code": chat.site.code,
        "hosts": [
            {"id": h.pk, "name": h.display_name, "site": h.site.name} for h in chat.hosts.all()
        ],
        "topic_ids": [t.pk for t in chat.topics.all()],
        "url": settings.SITE_URL + chat.get_absolute_url(),
        "ics_url": settings.SITE_URL + reverse("chats:ics", args=[chat.pk]),
    }


def _prompt_out(prompt: ChatPrompt, *, host: bool) -> dict[str, Any]:
    visible = host or prompt.released_at is not None
    return {
        "number": prompt.number,
        "body": prompt.body if visible else None,
        "released_at": prompt.released_at,
    }


@router.get("/", response=list[ChatOut], summary="Live and upcoming chats (or past ones)")
def chats_list(request: HttpRequest, when: str = "upcoming", limit: int = 50) -> list[dict]:
    person = api_member(request)
    chats = chat_list(actor=person, when="past" if when == "past" else "upcoming")
    chats = chats.prefetch_related("hosts__site", "topics")
    return [_chat_out(chat) for chat in chats[: max(1, min(limit, 200))]]


@router.post("/", response={201: ChatDetailOut, **ERRORS}, summary="Schedule a chat")
def chats_create(request: HttpRequest, payload: ChatIn) -> tuple[int, dict]:
    person = api_member(request)
    topics = list(Topic.objects.filter(pk__in=payload.topic_ids))
    chat = services.chat_create(
        actor=person,
        title=payload.title,
        description=payload.description,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        language=payload.language,
        visibility=payload.visibility,
        topics=topics,
        prompts=payload.prompts,
    )
    return 201, _detail(chat, person)


def _detail(chat: Chat, person: Person) -> dict[str, Any]:
    host = is_host(person, chat)
    participant = participant_get(chat=chat, person=person)
    return {
        **_chat_out(chat),
        "prompts": [_prompt_out(p, host=host) for p in chat.prompts.all()],
        "my_rsvp": participant.rsvp if participant else "",
    }


@router.get("/{chat_id}", response={200: ChatDetailOut, **ERRORS}, summary="One chat")
def chats_get(request: HttpRequest, chat_id: int) -> dict:
    person = api_member(request)
    return _detail(access_chat(person, chat_id), person)


@router.post("/{chat_id}/rsvp", response={200: ChatDetailOut, **ERRORS}, summary="RSVP")
def chats_rsvp(request: HttpRequest, chat_id: int, payload: RsvpIn) -> Any:
    person = api_member(request)
    chat = access_chat(person, chat_id)
    try:
        services.chat_rsvp(actor=person, chat=chat, rsvp=payload.rsvp)
    except services.ChatError as exc:
        return _error(exc)
    return 200, _detail(chat, person)


@router.get(
    "/{chat_id}/messages",
    response={200: MessagesOut, **ERRORS},
    summary="Messages after a sequence number (catch-up and polling)",
)
def chats_messages(request: HttpRequest, chat_id: int, after: Query[int] = 0) -> dict:  # type: ignore[assignment]
    person = api_member(request)
    chat = access_chat(person, chat_id)
    messages = chat_messages_after(chat=chat, after=max(0, int(after)))
    chat.refresh_from_db(fields=["last_seq", "is_locked"])
    return {
        "last_seq": chat.last_seq,
        "locked": chat.is_locked,
        "messages": [message_event(m) for m in messages],
    }


@router.post(
    "/{chat_id}/messages",
    response={200: MessageOut, 201: MessageOut, **ERRORS, 503: ErrorOut},
    summary="Send a message (idempotent by client_id)",
)
def chats_send(request: HttpRequest, chat_id: int, payload: MessageIn) -> Any:
    person = api_member(request)
    chat = access_chat(person, chat_id)
    try:
        message, created = services.message_post(
            actor=person,
            chat=chat,
            body=payload.body,
            client_id=payload.client_id,
            prompt_number=payload.prompt,
        )
    except services.ChatError as exc:
        return _error(exc)
    return (201 if created else 200), message_event(message)


@router.post(
    "/{chat_id}/prompts/{number}/release",
    response={201: MessageOut, **ERRORS},
    summary="Release a prompt (hosts)",
)
def chats_release(request: HttpRequest, chat_id: int, number: int) -> Any:
    person = api_member(request)
    chat = access_chat(person, chat_id)
    try:
        message = services.prompt_release(actor=person, chat=chat, number=number)
    except services.ChatError as exc:
        return _error(exc)
    return 201, message_event(message)


@router.post(
    "/{chat_id}/messages/{seq}/hide",
    response={200: MessageOut, **ERRORS},
    summary="Hide a message (hosts and moderators)",
)
def chats_hide(request: HttpRequest, chat_id: int, seq: int) -> Any:
    person = api_member(request)
    message = access_chat_message(person, chat_id, seq, moderate=True)
    services.message_hide(actor=person, message=message)
    return 200, message_event(message)


@router.post(
    "/{chat_id}/messages/{seq}/react", response={200: ReactionsOut, **ERRORS}, summary="React"
)
def chats_react(request: HttpRequest, chat_id: int, seq: int, payload: ReactIn) -> Any:
    person = api_member(request)
    message = access_chat_message(person, chat_id, seq)
    try:
        count = services.reaction_toggle(actor=person, message=message, emoji=payload.emoji)
    except services.ChatError as exc:
        return _error(exc)
    return 200, {"seq": seq, "count": count}


@router.post(
    "/{chat_id}/messages/{seq}/promote",
    response={200: PromotedOut, **ERRORS},
    summary="Promote an answer to a practice draft or a collection episode (hosts)",
)
def chats_promote(request: HttpRequest, chat_id: int, seq: int, payload: PromoteIn) -> Any:
    person = api_member(request)
    message = access_chat_message(person, chat_id, seq)
    if not (is_host(person, message.chat) or person.is_administrator):
        return 403, {"code": "forbidden", "message": str(_("Only hosts can promote answers."))}
    try:
        if payload.to == "collection":
            if payload.episode_id is None:
                return 400, {"code": "invalid", "message": str(_("Choose an episode."))}
            episode, edition_site = access_episode_for_answers(person, payload.episode_id)
            services.answer_collect(
                actor=person, message=message, episode=episode, edition_site=edition_site
            )
        else:
            services.answer_promote(actor=person, message=message)
    except services.ChatError as exc:
        return _error(exc)
    return 200, {
        "seq": seq,
        "promoted_to": message.promoted_to,
        "collected_to": message.collected_to,
    }


@router.post("/{chat_id}/lock", response={200: ChatOut, **ERRORS}, summary="Lock or open the room")
def chats_lock(request: HttpRequest, chat_id: int, payload: LockIn) -> Any:
    person = api_member(request)
    chat = access_chat(person, chat_id)
    try:
        services.chat_lock(actor=person, chat=chat, locked=payload.locked)
    except services.ChatError as exc:
        return _error(exc)
    chat.refresh_from_db()
    return 200, _chat_out(chat)


@router.post("/{chat_id}/mute", response={204: None, **ERRORS}, summary="Mute a participant")
def chats_mute(request: HttpRequest, chat_id: int, payload: MuteIn) -> Any:
    person = api_member(request)
    chat = access_chat(person, chat_id)
    target = access_person(person, payload.person_id)
    try:
        services.participant_mute(actor=person, chat=chat, person=target, muted=payload.muted)
    except services.ChatError as exc:
        return _error(exc)
    return 204, None


@router.get(
    "/{chat_id}/transcript",
    response={200: list[TranscriptSectionOut], **ERRORS},
    summary="The transcript by prompt, most-reacted answers first",
)
def chats_transcript(request: HttpRequest, chat_id: int) -> list[dict]:
    person = api_member(request)
    chat = access_chat(person, chat_id)
    return [
        {
            "prompt": _prompt_out(section.prompt, host=True) if section.prompt else None,
            "answers": [message_event(m) for m in section.answers],
        }
        for section in chat_transcript(chat=chat)
    ]
