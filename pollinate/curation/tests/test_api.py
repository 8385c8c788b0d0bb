"""The collections API: same access rules and services as the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pollinate.curation.models import CollectionFollow, Item
from pollinate.curation.tests.factories import CollectionFactory, EpisodeFactory, LinkItemFactory
from pollinate.people.models import Person

pytestmark = pytest.mark.django_db


def test_members_list_published_collections_only(
    bob: Person, as_client: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        CollectionFactory()
    CollectionFactory(title="Secret draft", publish_at=None)
    client = as_client(bob)
    with django_assert_max_num_queries(12):
        data = client.get("/api/curation/collections").json()
    assert data["count"] == 5
    assert "Secret draft" not in [c["title"] for c in data["items"]]


def test_a_collection_comes_with_its_episodes_and_items(bob: Person, as_client: Any) -> None:
    item = LinkItemFactory()
    data = as_client(bob).get(f"/api/curation/collections/{item.episode.collection_id}").json()
    assert data["episodes"][0]["items"][0]["url"] == "https://example.org/5s-guide"
    assert data["following"] is False


def test_a_draft_is_not_found_for_members(bob: Person, as_client: Any) -> None:
    draft = CollectionFactory(publish_at=None)
    response = as_client(bob).get(f"/api/curation/collections/{draft.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_only_editors_create_collections_and_episodes(
    bob: Person, editor: Person, as_client: Any
) -> None:
    body = {"title": "Lean basics"}
    response = as_client(bob).post(
        "/api/curation/collections", body, content_type="application/json"
    )
    assert response.status_code == 403
    response = as_client(editor).post(
        "/api/curation/collections", body, content_type="application/json"
    )
    assert response.status_code == 201
    collection_id = response.json()["id"]
    response = as_client(bob).post(
        f"/api/curation/collections/{collection_id}/episodes",
        {"title": "One"},
        content_type="application/json",
    )
    assert response.status_code == 404  # a draft: members cannot even see it
    response = as_client(editor).post(
        f"/api/curation/collections/{collection_id}/episodes",
        {"title": "One"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["number"] == 1


def test_an_unsafe_link_is_refused_with_a_json_error(editor: Person, as_client: Any) -> None:
    episode = EpisodeFactory()
    response = as_client(editor).post(
        f"/api/curation/collections/{episode.collection_id}/episodes/{episode.number}/items",
        {"kind": "link", "url": "javascript:alert(document.cookie)"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert not Item.objects.exists()


def test_a_site_leads_api_item_goes_to_their_edition(alice: Person, as_client: Any) -> None:
    episode = EpisodeFactory()
    response = as_client(alice).post(
        f"/api/curation/collections/{episode.collection_id}/episodes/{episode.number}/items",
        {"kind": "link", "url": "https://intranet.example/lyon", "link_title": "Lyon board"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["edition_site"] == alice.site.code


def test_follow_and_unfollow_through_the_api(bob: Person, as_client: Any) -> None:
    collection = CollectionFactory()
    client = as_client(bob)
    assert client.put(f"/api/curation/collections/{collection.pk}/follow").json() == {
        "following": True
    }
    assert CollectionFollow.objects.filter(person=bob).count() == 1
    client.delete(f"/api/curation/collections/{collection.pk}/follow")
    assert not CollectionFollow.objects.exists()


def test_the_api_needs_a_member(db: None) -> None:
    assert Client().get("/api/curation/collections").status_code == 401


def test_the_api_refuses_the_wrong_method(bob: Person, as_client: Any) -> None:
    collection = CollectionFactory()
    response = as_client(bob).post(f"/api/curation/collections/{collection.pk}")
    assert response.status_code == 405
