"""Writes for collections: every change in one transaction, recorded on the activity spine."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from pollinate.activity.services import activity_record
from pollinate.curation.models import (
    ITEM_TARGETS,
    Collection,
    CollectionFollow,
    Episode,
    Item,
    ItemKind,
)
from pollinate.people.models import Person, Site, Topic

# The colleague apps' access doors, used to check an editor may see what they add.
_ACCESS: dict[str, tuple[str, str]] = {
    ItemKind.PRACTICE: ("pollinate.practices.access", "access_practice"),
    ItemKind.QUESTION: ("pollinate.questions.access", "access_question"),
    ItemKind.CHAT: ("pollinate.chats.access", "access_chat"),
    ItemKind.COLLECTION: ("pollinate.curation.access", "access_collection"),
}


def link_validate(url: str) -> str:
    """Only absolute http(s) links with a host; ``javascript:``, ``data:`` and the like refused."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            {"url": _("Enter a full web address starting with https:// or http://.")}
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise ValidationError({"url": _("This web address is not valid.")}) from exc
    return url


def target_resolve(actor: Person, kind: str, target_id: int) -> Any:
    """The object an item points at, through its app's access door; 404 when not visible."""
    if kind not in _ACCESS:
        raise ValidationError({"kind": _("Unknown kind of item.")})
    module_name, function = _ACCESS[kind]
    try:
        access = getattr(importlib.import_module(module_name), function)
    except (ImportError, AttributeError) as exc:
        raise ValidationError({"kind": _("This kind of item is not available yet.")}) from exc
    return access(actor, target_id)


def target_available(kind: str) -> bool:
    app_label, model = ITEM_TARGETS.get(kind, ("", ""))
    try:
        apps.get_model(app_label, model)
    except LookupError:
        return False
    return True


def _touch(collection: Collection) -> None:
    Collection.objects.filter(pk=collection.pk).update(updated_at=timezone.now())


def collection_create(
    *,
    actor: Person,
    title: str,
    introduction: str = "",
    topics: Iterable[Topic] = (),
    publish_at: datetime | None = None,
) -> Collection:
    with transaction.atomic():
        collection = Collection.objects.create(
            title=title, introduction=introduction, created_by=actor, publish_at=publish_at
        )
        collection.topics.set(list(topics))
        activity_record(
            actor=actor,
            verb="collection.created",
            target=collection,
            payload={"title": title},
            is_public=False,
        )
    return collection


def collection_update(
    *,
    actor: Person,
    collection: Collection,
    title: str,
    introduction: str,
    topics: Iterable[Topic],
    publish_at: datetime | None,
) -> Collection:
    with transaction.atomic():
        was_published = collection.is_published
        collection.title = title
        collection.introduction = introduction
        collection.publish_at = publish_at
        collection.updated_at = timezone.now()
        collection.save()
        collection.topics.set(list(topics))
        if collection.is_published and not was_published:
            activity_record(
                actor=actor,
                verb="collection.published",
                target=collection,
                payload={"title": title},
            )
    return collection


def episode_create(
    *,
    actor: Person,
    collection: Collection,
    title: str,
    introduction: str = "",
    publish_at: datetime | None = None,
) -> Episode:
    with transaction.atomic():
        number = (collection.episodes.aggregate(n=Max("number"))["n"] or 0) + 1
        episode = Episode.objects.create(
            collection=collection,
            number=number,
            title=title,
            introduction=introduction,
            publish_at=publish_at,
        )
        _touch(collection)
        episodes_announce(episode_ids=[episode.pk])
    return episode


def episode_publish(
    *, actor: Person, episode: Episode, publish_at: datetime | None = None
) -> Episode:
    """Publishes now, or schedules for ``publish_at``; also publishes a draft collection."""
    when = publish_at or timezone.now()
    with transaction.atomic():
        episode.publish_at = when
        episode.save(update_fields=["publish_at"])
        collection = episode.collection
        if collection.publish_at is None or collection.publish_at > when:
            collection.publish_at = when
            collection.save(update_fields=["publish_at"])
        _touch(collection)
        episodes_announce(episode_ids=[episode.pk])
    return episode


def episodes_announce(*, episode_ids: Iterable[int] | None = None) -> int:
    """Records ``collection.episode_published`` once per episode whose publication time came.

    Called on publish and every few minutes by the worker, so scheduled episodes reach
    followers' feeds and digests when they go live, not when they were written.
    """
    now = timezone.now()
    due = Episode.objects.filter(
        announced_at__isnull=True,
        publish_at__lte=now,
        collection__publish_at__lte=now,
    ).select_related("collection")
    if episode_ids is not None:
        due = due.filter(pk__in=list(episode_ids))
    count = 0
    with transaction.atomic():
        for episode in due[:500]:
            # Claim the announcement, so two workers cannot both record it.
            claimed = Episode.objects.filter(pk=episode.pk, announced_at__isnull=True).update(
                announced_at=now
            )
            if not claimed:
                continue
            creator = episode.collection.created_by
            activity_record(
                actor=creator,
                verb="collection.episode_published",
                target=episode.collection,
                site=creator.site if creator else None,
                payload={
                    "title": episode.collection.title,
                    "episode": episode.title,
                    "number": episode.number,
                },
            )
            count += 1
    return count


def item_add(
    *,
    actor: Person,
    episode: Episode,
    kind: str,
    target_id: int | None = None,
    url: str = "",
    link_title: str = "",
    link_source: str = "",
    commentary: str = "",
    edition_site: Site | None = None,
) -> Item:
    """Adds an item at the end of an episode. Raises ``ValidationError`` for a bad link or target.

    Precondition: the caller checked the actor may edit the collection (or its site edition).
    """
    item = Item(
        episode=episode,
        kind=kind,
        commentary=commentary,
        edition_site=edition_site,
        added_by=actor,
    )
    if kind == ItemKind.LINK:
        item.url = link_validate(url)
        item.link_title = link_title.strip() or urlsplit(item.url).netloc
        item.link_source = link_source.strip()
    else:
        if target_id is None:
            raise ValidationError({"target_id": _("Choose what to add.")})
        try:
            target = target_resolve(actor, kind, target_id)
        except (Http404, PermissionDenied) as exc:
            raise ValidationError({"target_id": _("Nothing you can see has this number.")}) from exc
        if kind == ItemKind.COLLECTION and target.pk == episode.collection_id:
            raise ValidationError({"target_id": _("A collection cannot contain itself.")})
        item.target_type = ContentType.objects.get_for_model(target)
        item.target_id = target.pk
    with transaction.atomic():
        item.position = (episode.items.aggregate(p=Max("position"))["p"] or 0) + 1
        item.full_clean(exclude=["target_type", "added_by", "edition_site"])
        item.save()
        _touch(episode.collection)
        activity_record(
            actor=actor,
            verb="collection.item_added",
            target=episode.collection,
            payload={"kind": kind, "episode": episode.number, "item_id": item.pk},
            is_public=False,
        )
    return item


def item_move(*, actor: Person, item: Item, offset: int) -> None:
    """Moves an item up (-1) or down (+1) among its episode's items."""
    with transaction.atomic():
        siblings = list(Item.objects.filter(episode=item.episode).order_by("position", "id"))
        index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
        new_index = max(0, min(len(siblings) - 1, index + offset))
        siblings.insert(new_index, siblings.pop(index))
        for position, sibling in enumerate(siblings, start=1):
            if sibling.position != position:
                Item.objects.filter(pk=sibling.pk).update(position=position)
        _touch(item.episode.collection)


def item_remove(*, actor: Person, item: Item) -> None:
    with transaction.atomic():
        collection = item.episode.collection
        item.delete()
        _touch(collection)


def collection_follow(*, actor: Person, collection: Collection, follow: bool = True) -> bool:
    with transaction.atomic():
        if not follow:
            CollectionFollow.objects.filter(person=actor, collection=collection).delete()
            return False
        _follow, created = CollectionFollow.objects.get_or_create(
            person=actor, collection=collection
        )
        if created:
            activity_record(
                actor=actor, verb="collection.followed", target=collection, is_public=False
            )
    return True
