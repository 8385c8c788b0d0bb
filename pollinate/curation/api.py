from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from pollinate.core.pagination import LimitOffsetPagination
from pollinate.curation import selectors, services
from pollinate.curation.access import access_collection, access_collection_edition, is_editor
from pollinate.curation.models import Collection, Episode
from pollinate.curation.schemas import (
    CollectionDetailOut,
    CollectionIn,
    CollectionOut,
    EpisodeIn,
    EpisodeOut,
    FollowOut,
    ItemIn,
    ItemOut,
)
from pollinate.people.access import api_member
from pollinate.people.models import Topic
from pollinate.people.schemas import ErrorOut

router = Router(tags=["curation"])


def _out(collection: Collection) -> CollectionOut:
    return CollectionOut(
        id=collection.pk,
        title=collection.title,
        introduction=collection.introduction,
        topic_ids=[t.pk for t in collection.topics.all()],
        publish_at=collection.publish_at,
        is_published=collection.is_published,
        url=collection.get_absolute_url(),
    )


@router.get("/collections", response=list[CollectionOut])
@paginate(LimitOffsetPagination)
def collections_list(request: HttpRequest) -> QuerySet[Collection]:
    return selectors.collection_list(actor=api_member(request))


@router.post("/collections", response={201: CollectionOut, 403: ErrorOut, 422: ErrorOut})
def collections_create(request: HttpRequest, payload: CollectionIn) -> tuple[int, CollectionOut]:
    actor = api_member(request)
    if not is_editor(actor):
        raise PermissionDenied
    collection = services.collection_create(
        actor=actor,
        title=payload.title,
        introduction=payload.introduction,
        topics=Topic.objects.filter(pk__in=payload.topic_ids),
        publish_at=payload.publish_at,
    )
    return 201, _out(collection)


@router.get("/collections/{collection_id}", response={200: CollectionDetailOut, 404: ErrorOut})
def collections_get(request: HttpRequest, collection_id: int) -> CollectionDetailOut:
    actor = api_member(request)
    collection = access_collection(actor, collection_id)
    episodes = [
        EpisodeOut(
            number=episode.number,
            title=episode.title,
            introduction=episode.introduction,
            publish_at=episode.publish_at,
            items=[
                ItemOut(
                    id=view.item.pk,
                    kind=view.item.kind,
                    title=view.title,
                    url=view.url,
                    source=view.item.link_source,
                    commentary=view.item.commentary,
                    available=view.available,
                    edition_site=view.item.edition_site.code if view.item.edition_site else None,
                )
                for view in views
            ],
        )
        for episode, views in selectors.episodes_with_items(actor=actor, collection=collection)
    ]
    return CollectionDetailOut(
        **_out(collection).dict(),
        episodes=episodes,
        following=collection.pk in selectors.collection_followed_ids(actor=actor),
    )


@router.post(
    "/collections/{collection_id}/episodes",
    response={201: EpisodeOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def episodes_create(
    request: HttpRequest, collection_id: int, payload: EpisodeIn
) -> tuple[int, EpisodeOut]:
    actor = api_member(request)
    collection = access_collection(actor, collection_id, for_write=True)
    episode = services.episode_create(actor=actor, collection=collection, **payload.dict())
    return 201, EpisodeOut(
        number=episode.number,
        title=episode.title,
        introduction=episode.introduction,
        publish_at=episode.publish_at,
        items=[],
    )


@router.post(
    "/collections/{collection_id}/episodes/{number}/items",
    response={201: ItemOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def items_create(
    request: HttpRequest, collection_id: int, number: int, payload: ItemIn
) -> tuple[int, ItemOut]:
    """Editors add to the shared series; a site lead's items go to their site's edition."""
    actor = api_member(request)
    editor = is_editor(actor)
    if editor:
        collection = access_collection(actor, collection_id, for_write=True)
    else:
        collection = access_collection_edition(actor, collection_id)
    episode = get_object_or_404(Episode, collection=collection, number=number)
    item = services.item_add(
        actor=actor, episode=episode, edition_site=None if editor else actor.site, **payload.dict()
    )
    return 201, ItemOut(
        id=item.pk,
        kind=item.kind,
        title=item.link_title,
        url=item.url,
        source=item.link_source,
        commentary=item.commentary,
        available=True,
        edition_site=item.edition_site.code if item.edition_site else None,
    )


@router.put("/collections/{collection_id}/follow", response={200: FollowOut, 404: ErrorOut})
def follow_put(request: HttpRequest, collection_id: int) -> FollowOut:
    actor = api_member(request)
    collection = access_collection(actor, collection_id)
    return FollowOut(following=services.collection_follow(actor=actor, collection=collection))


@router.delete("/collections/{collection_id}/follow", response={200: FollowOut, 404: ErrorOut})
def follow_delete(request: HttpRequest, collection_id: int) -> FollowOut:
    actor = api_member(request)
    collection = access_collection(actor, collection_id)
    services.collection_follow(actor=actor, collection=collection, follow=False)
    return FollowOut(following=False)
