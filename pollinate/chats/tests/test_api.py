"""The live chats JSON API at /api/chats/."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pollinate.chats.models import Chat, ChatMessage
from pollinate.core.testing import FUTURE_YEAR
from pollinate.people.models import Person

pytestmark = pytest.mark.django_db


def _post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def test_the_api_lists_visible_chats_only(
    as_client: Any, live_chat: Chat, private_chat: Chat, charlie: Person
) -> None:
    body = as_client(charlie).get("/api/chats/").json()
    assert [c["id"] for c in body] == [live_chat.pk]
    assert body[0]["hosts"][0]["name"] == "Alice"


def test_the_api_needs_authentication(client: Any, live_chat: Chat) -> None:
    response = client.get("/api/chats/")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_the_api_hides_a_private_chat_and_its_messages_from_outsiders(
    as_client: Any, private_chat: Chat, charlie: Person
) -> None:
    client = as_client(charlie)
    assert client.get(f"/api/chats/{private_chat.pk}").status_code == 404
    assert client.get(f"/api/chats/{private_chat.pk}/messages").status_code == 404
    assert client.get(f"/api/chats/{private_chat.pk}/transcript").status_code == 404
    assert (
        _post(client, f"/api/chats/{private_chat.pk}/messages", {"body": "hi"}).status_code == 404
    )


def test_unreleased_prompts_are_secret_to_participants_but_not_hosts(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    assert as_client(charlie).get(f"/api/chats/{live_chat.pk}").json()["prompts"][0]["body"] is None
    assert (
        as_client(alice).get(f"/api/chats/{live_chat.pk}").json()["prompts"][0]["body"] == "Q one?"
    )


def test_a_member_schedules_a_chat_through_the_api(as_client: Any, charlie: Person) -> None:
    response = _post(
        as_client(charlie),
        "/api/chats/",
        {
            "title": "API chat",
            "starts_at": f"{FUTURE_YEAR}-01-01T10:00:00Z",
            "ends_at": f"{FUTURE_YEAR}-01-01T11:00:00Z",
            "prompts": ["One?", "Two?"],
        },
    )
    assert response.status_code == 201
    assert [p["number"] for p in response.json()["prompts"]] == [1, 2]


def test_a_chat_that_ends_before_it_starts_is_refused(as_client: Any, charlie: Person) -> None:
    response = _post(
        as_client(charlie),
        "/api/chats/",
        {
            "title": "Backwards",
            "starts_at": f"{FUTURE_YEAR}-01-01T10:00:00Z",
            "ends_at": f"{FUTURE_YEAR}-01-01T09:00:00Z",
        },
    )
    assert response.status_code == 422
    assert not Chat.objects.exists()


def test_sending_through_the_api_is_idempotent_and_readable_after_a_sequence_number(
    as_client: Any, live_chat: Chat, charlie: Person
) -> None:
    client = as_client(charlie)
    url = f"/api/chats/{live_chat.pk}/messages"
    first = _post(client, url, {"body": "one", "client_id": "k1"})
    again = _post(client, url, {"body": "one", "client_id": "k1"})
    assert (first.status_code, again.status_code) == (201, 200)
    _post(client, url, {"body": "two", "client_id": "k2"})
    body = client.get(url + "?after=1").json()
    assert [m["body"] for m in body["messages"]] == ["two"]
    assert body["last_seq"] == 2


def test_the_api_refuses_oversized_messages_with_a_stable_code(
    as_client: Any, live_chat: Chat, charlie: Person
) -> None:
    response = _post(
        as_client(charlie), f"/api/chats/{live_chat.pk}/messages", {"body": "y" * 1500}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "too_long"


def test_only_hosts_release_prompts_and_moderators_lock_through_the_api(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person, mod: Person
) -> None:
    assert (
        _post(as_client(charlie), f"/api/chats/{live_chat.pk}/prompts/1/release", {}).status_code
        == 403
    )
    released = _post(as_client(alice), f"/api/chats/{live_chat.pk}/prompts/1/release", {})
    assert released.status_code == 201 and released.json()["kind"] == "prompt"
    assert (
        _post(as_client(charlie), f"/api/chats/{live_chat.pk}/lock", {"locked": True}).status_code
        == 403
    )
    assert _post(as_client(mod), f"/api/chats/{live_chat.pk}/lock", {"locked": True}).json()[
        "is_locked"
    ]
    refused = _post(
        as_client(charlie), f"/api/chats/{live_chat.pk}/messages", {"body": "let me in"}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "locked"


def test_hide_and_mute_through_the_api(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    host = as_client(alice)
    seq = _post(
        as_client(charlie), f"/api/chats/{live_chat.pk}/messages", {"body": "off topic"}
    ).json()["seq"]
    assert (
        _post(as_client(charlie), f"/api/chats/{live_chat.pk}/messages/{seq}/hide", {}).status_code
        == 403
    )
    assert (
        _post(host, f"/api/chats/{live_chat.pk}/messages/{seq}/hide", {}).json()["hidden"] is True
    )
    assert (
        _post(host, f"/api/chats/{live_chat.pk}/mute", {"person_id": charlie.pk}).status_code == 204
    )
    refused = _post(as_client(charlie), f"/api/chats/{live_chat.pk}/messages", {"body": "again"})
    assert refused.json()["code"] == "muted"
    assert ChatMessage.objects.filter(chat=live_chat).count() == 1


def test_the_api_transcript_groups_answers_by_prompt(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    _post(as_client(alice), f"/api/chats/{live_chat.pk}/prompts/1/release", {})
    _post(as_client(charlie), f"/api/chats/{live_chat.pk}/messages", {"body": "A", "prompt": 1})
    sections = as_client(charlie).get(f"/api/chats/{live_chat.pk}/transcript").json()
    assert sections[-1]["prompt"]["number"] == 1
    assert [a["body"] for a in sections[-1]["answers"]] == ["A"]


def test_rsvp_through_the_api(as_client: Any, live_chat: Chat, charlie: Person) -> None:
    response = _post(as_client(charlie), f"/api/chats/{live_chat.pk}/rsvp", {"rsvp": "maybe"})
    assert response.json()["my_rsvp"] == "maybe"


def _answer(chat: Chat, host: Person, guest: Person) -> ChatMessage:
    from pollinate.chats import services

    services.prompt_release(actor=host, chat=chat, number=1)
    message, _created = services.message_post(
        actor=guest, chat=chat, body="Pre-stage tools", prompt_number=1
    )
    return message


def test_the_host_promotes_an_answer_to_a_draft_and_a_collection_through_the_api(
    as_client: Any, editor: Person, charlie: Person
) -> None:
    from pollinate.chats.tests.factories import ChatFactory
    from pollinate.curation.models import Item
    from pollinate.curation.tests.factories import EpisodeFactory

    chat = ChatFactory(created_by=editor, prompts=["Where to start?"])
    message = _answer(chat, editor, charlie)
    episode = EpisodeFactory()
    url = f"/api/chats/{chat.pk}/messages/{message.seq}/promote"
    drafted = _post(as_client(editor), url, {"to": "practice"})
    assert drafted.status_code == 200 and drafted.json()["promoted_to"]
    collected = _post(as_client(editor), url, {"to": "collection", "episode_id": episode.pk})
    assert collected.status_code == 200
    assert collected.json()["collected_to"] == episode.get_absolute_url()
    assert Item.objects.get().target_id == chat.pk


def test_only_hosts_promote_through_the_api_and_outsiders_see_nothing(
    as_client: Any, live_chat: Chat, private_chat: Chat, alice: Person, bob: Person, charlie: Person
) -> None:
    message = _answer(live_chat, alice, charlie)
    url = f"/api/chats/{live_chat.pk}/messages/{message.seq}/promote"
    refused = _post(as_client(charlie), url, {"to": "practice"})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    hidden = _answer(private_chat, alice, bob)
    outsider = _post(
        as_client(charlie),
        f"/api/chats/{private_chat.pk}/messages/{hidden.seq}/promote",
        {"to": "practice"},
    )
    assert outsider.status_code == 404
    message.refresh_from_db()
    assert message.promoted_to == ""


def test_a_host_without_rights_on_the_collection_is_refused_through_the_api(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    from pollinate.curation.models import Item
    from pollinate.curation.tests.factories import EpisodeFactory

    message = _answer(live_chat, alice, charlie)
    draft = EpisodeFactory(collection__publish_at=None)  # a draft collection: editors only
    response = _post(
        as_client(alice),
        f"/api/chats/{live_chat.pk}/messages/{message.seq}/promote",
        {"to": "collection", "episode_id": draft.pk},
    )
    assert response.status_code == 404
    assert not Item.objects.exists()
