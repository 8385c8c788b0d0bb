"""Who may see, join, host and moderate a live chat: one door per resource.

Organisation chats are open to every member; site chats to people of the host's site (and
moderators); private chats only to invited people and hosts. Anything a person may not see is a
404 everywhere: pages, transcript, exports, API and the websocket (which closes with 4404).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from pollinate.chats.models import Chat, ChatMessage, ChatParticipant, ChatVisibility
from pollinate.people.models import Person, RoleName, Site


def chats_visible_to(actor: Person) -> QuerySet[Chat]:
    chats = Chat.objects.all()
    if actor.is_administrator:
        return chats
    invited = ChatParticipant.objects.filter(chat=OuterRef("pk"), person=actor, is_invited=True)
    hosting = Chat.hosts.through.objects.filter(chat=OuterRef("pk"), person=actor)
    rule = Q(visibility=ChatVisibility.ORGANISATION) | Exists(invited) | Exists(hosting)
    if actor.has_role(RoleName.MODERATOR):
        rule |= Q(visibility=ChatVisibility.SITE)
    else:
        rule |= Q(visibility=ChatVisibility.SITE, site_id=actor.site_id)
    return chats.filter(rule)


def is_host(actor: Person, chat: Chat) -> bool:
    return chat.hosts.filter(pk=actor.pk).exists()


def can_moderate(actor: Person, chat: Chat) -> bool:
    """Hosts, moderators (organisation-wide or of the chat's site) and administrators."""
    return actor.has_role(RoleName.MODERATOR, chat.site) or is_host(actor, chat)


def access_chat(actor: Person, chat_id: int, *, for_write: bool = False) -> Chat:
    """The chat if the actor may see it; ``for_write``: hosts and administrators only."""
    chat = chats_visible_to(actor).select_related("site", "created_by").filter(pk=chat_id).first()
    if chat is None:
        raise Http404
    if for_write and not (actor.is_administrator or is_host(actor, chat)):
        raise PermissionDenied
    return chat


def access_chat_moderation(actor: Person, chat_id: int) -> Chat:
    chat = access_chat(actor, chat_id)
    if not can_moderate(actor, chat):
        raise PermissionDenied
    return chat


def access_chat_message(
    actor: Person, chat_id: int, seq: int, *, moderate: bool = False
) -> ChatMessage:
    chat = access_chat_moderation(actor, chat_id) if moderate else access_chat(actor, chat_id)
    message = (
        ChatMessage.objects.select_related("chat", "author", "prompt")
        .filter(chat=chat, seq=seq)
        .first()
    )
    if message is None or (message.is_hidden and not moderate and not can_moderate(actor, chat)):
        raise Http404
    return message


def access_episode_for_answers(actor: Person, episode_id: int) -> tuple[Any, Site | None]:
    """A collection episode the actor may add chat answers to, and the site edition they go in.

    Editors add to any collection (shared items); a site lead adds to their site's edition of
    a published one. Unknown or unpublished-to-them collections are 404, others 403.
    """
    from pollinate.curation.access import (
        access_collection,
        access_collection_edition,
        is_editor,
    )
    from pollinate.curation.models import Episode

    episode = Episode.objects.select_related("collection").filter(pk=episode_id).first()
    if episode is None:
        raise Http404
    if is_editor(actor):
        access_collection(actor, episode.collection_id, for_write=True)
        return episode, None
    access_collection_edition(actor, episode.collection_id)
    return episode, actor.site
