"""Collections: editing rights, scheduled publication, site editions, links, follows and feeds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import feedparser
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from pollinate.activity.models import Activity
from pollinate.curation import services
from pollinate.curation.feeds import feed_key
from pollinate.curation.models import CollectionFollow, Item, ItemKind
from pollinate.curation.tests.factories import (
    CollectionFactory,
    EpisodeFactory,
    LinkItemFactory,
)
from pollinate.people.models import Person, Topic
from pollinate.people.tests.factories import TopicFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.org/file",
        "http://",
        "not a link",
        "//example.org/no-scheme",
        "https://exa mple.org/",
    ],
)
def test_unsafe_or_malformed_links_are_refused(editor: Person, url: str) -> None:
    episode = EpisodeFactory()
    with pytest.raises(ValidationError) as refused:
        services.item_add(actor=editor, episode=episode, kind=ItemKind.LINK, url=url)
    assert "url" in refused.value.message_dict
    assert not Item.objects.exists()


def test_the_item_form_shows_why_a_link_was_refused(editor: Person, as_client: Any) -> None:
    episode = EpisodeFactory()
    response = as_client(editor).post(
        f"/curation/{episode.collection_id}/episodes/{episode.number}/items/",
        {"kind": "link", "url": "javascript:alert(1)", "link_title": "Nice"},
    )
    assert response.status_code == 400
    assert "https://" in response.content.decode()
    assert not Item.objects.exists()


def test_an_editor_adds_a_link_with_commentary_in_order(editor: Person, as_client: Any) -> None:
    episode = EpisodeFactory()
    client = as_client(editor)
    for title in ("First read", "Second read"):
        response = client.post(
            f"/curation/{episode.collection_id}/episodes/{episode.number}/items/",
            {
                "kind": "link",
                "url": "https://example.org/a",
                "link_title": title,
                "link_source": "Example",
                "commentary": "Why it matters",
            },
        )
        assert response.status_code == 302
    assert list(Item.objects.values_list("link_title", flat=True)) == ["First read", "Second read"]
    second = Item.objects.get(link_title="Second read")
    client.post(f"/curation/items/{second.pk}/move/", {"direction": "up"})
    assert list(Item.objects.values_list("link_title", flat=True)) == ["Second read", "First read"]


def test_a_collection_can_hold_another_collection_but_not_itself(editor: Person) -> None:
    episode = EpisodeFactory()
    other = CollectionFactory(title="Basics")
    item = services.item_add(
        actor=editor, episode=episode, kind=ItemKind.COLLECTION, target_id=other.pk
    )
    assert item.target_id == other.pk
    with pytest.raises(ValidationError):
        services.item_add(
            actor=editor,
            episode=episode,
            kind=ItemKind.COLLECTION,
            target_id=episode.collection_id,
        )


def test_members_cannot_create_or_change_collections(bob: Person, as_client: Any) -> None:
    collection = CollectionFactory()
    client = as_client(bob)
    assert client.get("/curation/new/").status_code == 403
    assert client.post("/curation/new/", {"title": "Mine"}).status_code == 403
    assert client.post(f"/curation/{collection.pk}/edit/", {"title": "X"}).status_code == 403
    assert client.post(f"/curation/{collection.pk}/episodes/", {"title": "X"}).status_code == 403


def test_an_editor_creates_a_draft_that_members_cannot_see(
    editor: Person, bob: Person, as_client: Any
) -> None:
    response = as_client(editor).post(
        "/curation/new/", {"title": "Lean basics", "introduction": "Start here."}
    )
    assert response.status_code == 302
    draft_url = response["Location"]
    assert as_client(editor).get(draft_url).status_code == 200
    assert as_client(bob).get(draft_url).status_code == 404
    assert "Lean basics" not in as_client(bob).get("/curation/").content.decode()


def test_editors_see_when_a_scheduled_episode_and_collection_will_be_published(
    editor: Person, as_client: Any
) -> None:
    when = (timezone.now() + timedelta(days=3)).replace(hour=9, minute=30)
    collection = CollectionFactory(created_by=editor, title="Soon", publish_at=when)
    EpisodeFactory(collection=collection, title="Part one", publish_at=when)

    detail = as_client(editor).get(collection.get_absolute_url()).content.decode()
    listing = as_client(editor).get("/curation/").content.decode()

    label = f"scheduled for {when:%-d %b %Y} 09:30"
    assert detail.count(label) == 2  # the collection and its episode
    assert label in listing


def test_a_scheduled_episode_appears_and_is_announced_when_its_time_comes(
    editor: Person, bob: Person, as_client: Any
) -> None:
    collection = CollectionFactory(created_by=editor)
    later = EpisodeFactory(
        collection=collection, title="Next week", publish_at=timezone.now() + timedelta(days=7)
    )
    assert "Next week" not in as_client(bob).get(collection.get_absolute_url()).content.decode()
    assert services.episodes_announce() == 0

    later.publish_at = timezone.now() - timedelta(minutes=1)
    later.save()
    assert services.episodes_announce() == 1
    assert services.episodes_announce() == 0  # announced once, even if the job runs again
    assert "Next week" in as_client(bob).get(collection.get_absolute_url()).content.decode()
    assert Activity.objects.filter(verb="collection.episode_published").count() == 1


def test_a_site_lead_adds_a_local_item_only_their_site_sees(
    alice: Person, bob: Person, charlie: Person, as_client: Any
) -> None:
    episode = EpisodeFactory()
    response = as_client(alice).post(
        f"/curation/{episode.collection_id}/episodes/{episode.number}/items/",
        {"kind": "link", "url": "https://intranet.example/lyon-5s", "link_title": "Lyon 5S board"},
    )
    assert response.status_code == 302
    item = Item.objects.get()
    assert item.edition_site == alice.site
    url = episode.collection.get_absolute_url()
    assert "Lyon 5S board" in as_client(bob).get(url).content.decode()
    assert "Lyon 5S board" not in as_client(charlie).get(url).content.decode()
    # Another site's people cannot touch it, and a plain member cannot add to an edition.
    assert as_client(charlie).post(f"/curation/items/{item.pk}/remove/").status_code == 404
    assert as_client(bob).post(f"/curation/items/{item.pk}/remove/").status_code == 403
    response = as_client(bob).post(
        f"/curation/{episode.collection_id}/episodes/{episode.number}/items/",
        {"kind": "link", "url": "https://example.org/"},
    )
    assert response.status_code == 403


def test_following_and_unfollowing_a_collection(bob: Person, as_client: Any) -> None:
    collection = CollectionFactory()
    client = as_client(bob)
    assert client.post(f"/curation/{collection.pk}/follow/").status_code == 302
    assert CollectionFollow.objects.filter(person=bob, collection=collection).exists()
    response = client.post(
        f"/curation/{collection.pk}/follow/", {"follow": "0"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Follow" in response.content.decode()
    assert not CollectionFollow.objects.exists()


def test_following_needs_post_and_a_visible_collection(bob: Person, as_client: Any) -> None:
    draft = CollectionFactory(publish_at=None)
    client = as_client(bob)
    assert client.get(f"/curation/{draft.pk}/follow/").status_code == 405
    assert client.post(f"/curation/{draft.pk}/follow/").status_code == 404


def test_pages_ask_anonymous_visitors_to_sign_in(db: None) -> None:
    collection = CollectionFactory()
    for url in ("/curation/", f"/curation/{collection.pk}/", "/curation/new/"):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert "/sign-in/" in response["Location"]


def test_the_list_page_keeps_its_query_count_flat(
    bob: Person, as_client: Any, django_assert_max_num_queries: Any
) -> None:
    topic = TopicFactory()
    for _ in range(15):
        CollectionFactory().topics.add(topic)
    client = as_client(bob)
    with django_assert_max_num_queries(15):
        response = client.get("/curation/")
    assert response.status_code == 200
    assert response.content.decode().count('class="card collection-card"') == 15


def test_the_detail_page_keeps_its_query_count_flat(
    bob: Person, as_client: Any, django_assert_max_num_queries: Any
) -> None:
    episode = EpisodeFactory()
    for _ in range(10):
        LinkItemFactory(episode=episode)
    client = as_client(bob)
    with django_assert_max_num_queries(20):
        response = client.get(episode.collection.get_absolute_url())
    assert response.content.decode().count('class="curation-item"') == 10


def test_collection_feeds_parse_as_rss_and_atom(bob: Person, as_client: Any) -> None:
    episode = EpisodeFactory(title="Poka-yoke", introduction="Mistake-proofing.")
    client = as_client(bob)
    for kind, version in (("rss", "rss20"), ("atom", "atom10")):
        response = client.get(f"/curation/{episode.collection_id}/{kind}/")
        assert response.status_code == 200
        parsed = feedparser.parse(response.content)
        assert parsed.version == version
        assert parsed.entries[0].title == f"{episode.number}. Poka-yoke"


def test_topic_feeds_list_episodes_of_collections_about_the_topic(
    bob: Person, as_client: Any
) -> None:
    topic: Topic = TopicFactory(name="Welding")
    on_topic = EpisodeFactory(title="Weld seams")
    on_topic.collection.topics.add(topic)
    EpisodeFactory(title="Unrelated")
    response = as_client(bob).get(f"/curation/topics/{topic.pk}/atom/")
    parsed = feedparser.parse(response.content)
    expected = f"{on_topic.collection.title} · {on_topic.number}. Weld seams"
    assert [e.title for e in parsed.entries] == [expected]


def test_a_feed_reader_uses_the_private_key_and_nothing_else(bob: Person) -> None:
    episode = EpisodeFactory()
    url = f"/curation/{episode.collection_id}/rss/"
    assert Client().get(url).status_code == 404
    assert Client().get(url + "?key=forged").status_code == 404
    response = Client().get(url + f"?key={feed_key(bob)}")
    assert response.status_code == 200
    assert feedparser.parse(response.content).entries


def test_a_draft_collection_has_no_feed_for_members(bob: Person) -> None:
    draft = CollectionFactory(publish_at=None)
    response = Client().get(f"/curation/{draft.pk}/atom/?key={feed_key(bob)}")
    assert response.status_code == 404


def test_feeds_refuse_post(bob: Person, as_client: Any) -> None:
    episode = EpisodeFactory()
    assert as_client(bob).post(f"/curation/{episode.collection_id}/rss/").status_code == 405
