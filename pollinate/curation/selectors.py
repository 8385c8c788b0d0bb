"""Reads for collections: lists, a collection with its visible items, and followers' news."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property

from pollinate.core.markdown import render_markdown
from pollinate.curation.access import is_editor
from pollinate.curation.models import (
    ITEM_TARGETS,
    Collection,
    CollectionFollow,
    Episode,
    Item,
    ItemKind,
)
from pollinate.people.models import Person, Topic


def collection_list(*, actor: Person, topic: Topic | None = None) -> QuerySet[Collection]:
    qs = Collection.objects.visible_to(actor).annotate(
        episode_count=Count("episodes", distinct=True),
        follower_count=Count("follows", distinct=True),
    )
    if topic is not None:
        qs = qs.filter(topics=topic)
    return qs.prefetch_related("topics").order_by("-updated_at", "-id")


def collection_followed_ids(*, actor: Person) -> set[int]:
    return set(
        CollectionFollow.objects.filter(person=actor).values_list("collection_id", flat=True)
    )


def episodes_new_for_follower(*, actor: Person, limit: int = 10) -> QuerySet[Episode]:
    """The latest published episodes of collections the actor follows: their curation feed."""
    now = timezone.now()
    return (
        Episode.objects.filter(
            collection__follows__person=actor,
            publish_at__lte=now,
            collection__publish_at__lte=now,
        )
        .select_related("collection")
        .order_by("-publish_at")[:limit]
    )


@dataclass
class ItemView:
    item: Item
    title: str
    url: str
    available: bool

    @cached_property
    def commentary_html(self) -> str:
        """The editor's commentary is Markdown, sanitised like every other user text."""
        return render_markdown(self.item.commentary)


def _public(kind: str, qs: QuerySet[Any]) -> QuerySet[Any]:
    """What a curated series may show: only what every member may see (one rule for showing
    items and for the editor's picker, so nothing listed there turns "No longer available")."""
    if kind == ItemKind.COLLECTION:
        return qs.filter(publish_at__isnull=False, publish_at__lte=timezone.now())
    if kind == ItemKind.PRACTICE:
        return qs.exclude(status="draft")
    if kind == ItemKind.CHAT:
        # Only organisation-wide chats: site-only and invitation-only ones stay private.
        return qs.filter(visibility="organisation")
    return qs


@dataclass(frozen=True)
class Candidate:
    """One result of the editor's item picker."""

    kind: str
    pk: int
    title: str
    detail: str

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.pk}"


PICKABLE_KINDS = [k for k in ItemKind.values if k != ItemKind.LINK]


def item_candidates(
    *,
    actor: Person,
    kind: str,
    query: str,
    exclude_collection_id: int | None = None,
    limit: int = 12,
) -> list[Candidate]:
    """Practices, questions, chats or collections whose title holds every word of ``query``
    (the newest first; with no query, the newest), limited to what every member may see."""
    app_label, model_name = ITEM_TARGETS.get(kind, ("", ""))
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return []
    qs = _public(kind, model.objects.all())
    if kind == ItemKind.COLLECTION:
        qs = qs.filter(pk__in=Collection.objects.visible_to(actor).values("pk"))
        if exclude_collection_id is not None:
            qs = qs.exclude(pk=exclude_collection_id)  # a collection cannot contain itself
    for word in query.split()[:8]:
        qs = qs.filter(title__icontains=word)
    has_site = kind != ItemKind.COLLECTION
    if has_site:
        qs = qs.select_related("site")
    result = []
    for obj in qs.order_by("-pk")[:limit]:
        site = getattr(obj, "site", None) if has_site else None
        if kind == ItemKind.CHAT:
            detail = date_format(timezone.localtime(obj.starts_at), "j M Y H:i")
        else:
            detail = site.name if site is not None else ""
        result.append(Candidate(kind=kind, pk=obj.pk, title=obj.title, detail=detail))
    return result


def _targets(items: list[Item]) -> dict[tuple[str, int], Any]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for item in items:
        if item.kind != ItemKind.LINK and item.target_id:
            wanted[item.kind].add(item.target_id)
    found: dict[tuple[str, int], Any] = {}
    for kind, ids in wanted.items():
        app_label, model_name = ITEM_TARGETS[kind]
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        for obj in _public(kind, model.objects.filter(pk__in=ids)):
            found[(kind, obj.pk)] = obj
    return found


def episodes_with_items(
    *, actor: Person, collection: Collection
) -> list[tuple[Episode, list[ItemView]]]:
    """Episodes the actor may see, each with its shared items plus the actor's site edition."""
    editor = is_editor(actor)
    items_qs = Item.objects.filter(Q(edition_site__isnull=True) | Q(edition_site=actor.site_id))
    if editor:
        items_qs = Item.objects.all()
    episodes = collection.episodes.prefetch_related(
        Prefetch(
            "items", queryset=items_qs.select_related("edition_site").order_by("position", "id")
        )
    ).order_by("number")
    if not editor:
        episodes = episodes.filter(publish_at__lte=timezone.now())
    episodes_list = list(episodes)
    all_items = [item for episode in episodes_list for item in episode.items.all()]
    targets = _targets(all_items)
    result = []
    for episode in episodes_list:
        views = []
        for item in episode.items.all():
            if item.kind == ItemKind.LINK:
                views.append(ItemView(item, item.link_title, item.url, True))
                continue
            target = targets.get((item.kind, item.target_id or 0))
            if target is None:
                views.append(ItemView(item, "", "", False))
            else:
                views.append(
                    ItemView(
                        item, str(getattr(target, "title", target)), target.get_absolute_url(), True
                    )
                )
        result.append((episode, views))
    return result
