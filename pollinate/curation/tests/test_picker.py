"""The editor's item picker: search by title, only what every member may see, works without JS."""

from __future__ import annotations

from typing import Any

import pytest

from pollinate.chats.models import ChatVisibility
from pollinate.chats.tests.factories import ChatFactory
from pollinate.curation.models import Item, ItemKind
from pollinate.curation.tests.factories import CollectionFactory, EpisodeFactory
from pollinate.people.models import Person, Site
from pollinate.people.tests.factories import PersonFactory
from pollinate.practices.models import PracticeStatus
from pollinate.practices.tests.factories import PracticeFactory
from pollinate.questions.tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _pick_url(episode: Any) -> str:
    return f"/curation/{episode.collection_id}/episodes/{episode.number}/pick/"


def test_an_editor_finds_practices_by_words_of_their_title_as_they_type(
    editor: Person, as_client: Any
) -> None:
    episode = EpisodeFactory()
    wanted = PracticeFactory(title="Torque check before the night shift")
    PracticeFactory(title="Torque wrench calibration")
    PracticeFactory(title="Night shift handover")

    response = as_client(editor).get(
        _pick_url(episode), {"kind": "practice", "q": "torque night"}, **HTMX
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # htmx gets the results alone
    assert f'value="practice:{wanted.pk}"' in html
    assert html.count('type="radio"') == 1
    assert "1 result" in html


def test_without_javascript_the_search_opens_a_page_that_adds_the_chosen_item(
    editor: Person, as_client: Any
) -> None:
    episode = EpisodeFactory()
    question = QuestionFactory(title="How do you keep burr off the stamped edges?")
    client = as_client(editor)

    page = client.get(_pick_url(episode), {"kind": "question", "q": "burr"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" in html
    assert f'name="pick" value="question:{question.pk}"' in html
    assert 'role="search"' in html

    added = client.post(
        f"/curation/{episode.collection_id}/episodes/{episode.number}/items/",
        {"pick": f"question:{question.pk}", "commentary": "Three sites answered this."},
    )

    assert added.status_code == 302
    item = Item.objects.get()
    assert (item.kind, item.target_id, item.commentary) == (
        ItemKind.QUESTION,
        question.pk,
        "Three sites answered this.",
    )


def test_drafts_private_chats_and_unpublished_collections_are_never_listed(
    editor: Person, as_client: Any, site_b: Site
) -> None:
    episode = EpisodeFactory(collection__title="Changeover series")
    porto = PersonFactory(site=site_b)
    PracticeFactory(title="Changeover draft", status=PracticeStatus.DRAFT, owner=editor)
    PracticeFactory(title="Changeover draft at Porto", status=PracticeStatus.DRAFT, owner=porto)
    shared = PracticeFactory(title="Changeover cart", owner=porto)
    ChatFactory(title="Changeover at Porto", created_by=porto, visibility=ChatVisibility.SITE)
    ChatFactory(
        title="Changeover, invited only", created_by=porto, visibility=ChatVisibility.PRIVATE
    )
    open_chat = ChatFactory(title="Changeover for everyone", created_by=porto)
    CollectionFactory(title="Changeover draft series", publish_at=None)
    published = CollectionFactory(title="Changeover classics")
    client = as_client(editor)

    def listed(kind: str) -> str:
        return client.get(
            _pick_url(episode), {"kind": kind, "q": "changeover"}, **HTMX
        ).content.decode()

    practices, chats, collections = listed("practice"), listed("chat"), listed("collection")
    assert practices.count('type="radio"') == 1
    assert f"practice:{shared.pk}" in practices
    assert "draft" not in practices
    assert chats.count('type="radio"') == 1
    assert f"chat:{open_chat.pk}" in chats
    # Published collections only, and never the collection being edited.
    assert collections.count('type="radio"') == 1
    assert f"collection:{published.pk}" in collections
    assert f"collection:{episode.collection_id}" not in collections


def test_an_empty_search_lists_the_newest_and_a_search_without_matches_says_so(
    editor: Person, as_client: Any
) -> None:
    episode = EpisodeFactory()
    older, newer = PracticeFactory(title="Older practice"), PracticeFactory(title="Newer practice")
    client = as_client(editor)

    empty = client.get(_pick_url(episode), {"kind": "practice", "q": ""}, **HTMX).content.decode()
    nothing = client.get(
        _pick_url(episode), {"kind": "practice", "q": "zeppelin"}, **HTMX
    ).content.decode()

    assert "The newest" in empty
    assert empty.index(f"practice:{newer.pk}") < empty.index(f"practice:{older.pk}")
    assert 'type="radio"' not in nothing
    assert "zeppelin" in nothing
    assert 'role="status"' in nothing


def test_members_who_are_not_editors_cannot_use_the_picker(
    bob: Person, as_client: Any, client: Any
) -> None:
    draft = EpisodeFactory(collection__publish_at=None)
    published = EpisodeFactory()

    assert as_client(bob).get(_pick_url(draft)).status_code == 404  # drafts stay hidden
    assert as_client(bob).get(_pick_url(published)).status_code == 403
    anonymous = client.get(_pick_url(published))
    assert anonymous.status_code == 302
    assert "/login" in anonymous["Location"] or "sign" in anonymous["Location"]


def test_a_site_lead_picks_for_their_sites_edition_of_a_published_series(
    alice: Person, as_client: Any
) -> None:
    episode = EpisodeFactory()
    practice = PracticeFactory(title="Lyon kanban board")
    client = as_client(alice)

    page = client.get(_pick_url(episode), {"kind": "practice", "q": "kanban"})
    added = client.post(
        f"/curation/{episode.collection_id}/episodes/{episode.number}/items/",
        {"pick": f"practice:{practice.pk}"},
    )

    assert page.status_code == 200
    assert "Add to my site's edition" in page.content.decode()
    assert added.status_code == 302
    assert Item.objects.get().edition_site_id == alice.site_id


def test_the_picker_refuses_post_and_a_forged_pick(editor: Person, as_client: Any) -> None:
    episode = EpisodeFactory()
    draft = PracticeFactory(title="Secret draft", status=PracticeStatus.DRAFT)
    client = as_client(editor)

    assert client.post(_pick_url(episode)).status_code == 405
    forged = client.post(
        f"/curation/{episode.collection_id}/episodes/{episode.number}/items/",
        {"pick": f"practice:{draft.pk}"},
    )
    garbage = client.post(
        f"/curation/{episode.collection_id}/episodes/{episode.number}/items/",
        {"pick": "link:javascript:alert(1)"},
    )

    assert forged.status_code == 400
    assert garbage.status_code == 400
    assert "Choose one of the results." in garbage.content.decode()
    assert not Item.objects.exists()
