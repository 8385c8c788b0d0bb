"""Pages of live chats: list, detail, RSVP, room, polling, transcript, exports, calendars."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from pollinate.chats import services
from pollinate.chats.ical import feed_token
from pollinate.chats.models import Chat, ChatMessage, ChatVisibility
from pollinate.chats.tests.factories import ChatFactory
from pollinate.core.testing import FUTURE_YEAR
from pollinate.people.models import Person

pytestmark = pytest.mark.django_db


def _answered(chat: Chat, host: Person, guest: Person) -> ChatMessage:
    services.prompt_release(actor=host, chat=chat, number=1)
    message, _ = services.message_post(
        actor=guest, chat=chat, body="Pre-stage tools", prompt_number=1
    )
    return message


# --- list ------------------------------------------------------------------------------------


def test_the_list_shows_live_and_upcoming_chats_but_not_private_ones_of_others(
    as_client: Any, live_chat: Chat, private_chat: Chat, charlie: Person
) -> None:
    response = as_client(charlie).get(reverse("chats:list"))
    assert response.status_code == 200
    assert live_chat.title in response.text
    assert private_chat.title not in response.text


def test_the_list_shows_an_invited_person_the_private_chat(
    as_client: Any, private_chat: Chat, bob: Person
) -> None:
    assert private_chat.title in as_client(bob).get(reverse("chats:list")).text


def test_the_past_tab_lists_ended_chats_and_has_an_empty_state(
    as_client: Any, alice: Person, charlie: Person
) -> None:
    client = as_client(charlie)
    assert "No past chats yet." in client.get(reverse("chats:list") + "?when=past").text
    start = timezone.now() - timedelta(days=2)
    ChatFactory(
        created_by=alice, title="Old one", starts_at=start, ends_at=start + timedelta(hours=1)
    )
    assert "Old one" in client.get(reverse("chats:list") + "?when=past").text


def test_the_list_sends_anonymous_visitors_to_sign_in(client: Any, live_chat: Chat) -> None:
    response = client.get(reverse("chats:list"))
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


def test_the_list_refuses_post(as_client: Any, charlie: Person) -> None:
    assert as_client(charlie).post(reverse("chats:list")).status_code == 405


def test_the_list_uses_a_bounded_number_of_queries(
    as_client: Any, alice: Person, charlie: Person, django_assert_max_num_queries: Any
) -> None:
    for n in range(15):
        ChatFactory(
            created_by=alice, title=f"Chat {n}", starts_at=timezone.now() + timedelta(days=n + 1)
        )
    client = as_client(charlie)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("chats:list"))
    assert response.text.count("chat-card") == 15


def test_a_site_chat_is_hidden_from_other_sites(
    as_client: Any, alice: Person, bob: Person, charlie: Person
) -> None:
    chat = ChatFactory(created_by=alice, visibility=ChatVisibility.SITE)
    assert as_client(bob).get(chat.get_absolute_url()).status_code == 200
    assert as_client(charlie).get(chat.get_absolute_url()).status_code == 404


# --- create, edit, detail, RSVP ---------------------------------------------------------------


def test_a_member_schedules_a_chat_in_their_own_time_zone(as_client: Any, charlie: Person) -> None:
    response = as_client(charlie).post(
        reverse("chats:create"),
        {
            "title": "Kaizen across sites",
            "description": "Bring one example.",
            "starts_at": f"{FUTURE_YEAR}-03-04T10:00",
            "duration": "45",
            "language": "en",
            "visibility": "organisation",
            "prompts": "What did you change?\nWhat did it fix?",
        },
    )
    assert response.status_code == 302
    chat = Chat.objects.get(title="Kaizen across sites")
    # Charlie is in Lisbon (UTC+0 in March): 10:00 there is 10:00 UTC.
    assert chat.starts_at.isoformat() == f"{FUTURE_YEAR}-03-04T10:00:00+00:00"
    assert chat.ends_at - chat.starts_at == timedelta(minutes=45)
    assert list(chat.prompts.values_list("number", "body")) == [
        (1, "What did you change?"),
        (2, "What did it fix?"),
    ]
    assert list(chat.hosts.all()) == [charlie]


def test_an_invalid_chat_form_is_answered_with_400_and_kept(
    as_client: Any, charlie: Person
) -> None:
    response = as_client(charlie).post(reverse("chats:create"), {"title": "No time"})
    assert response.status_code == 400
    assert "No time" in response.text
    assert not Chat.objects.exists()


def test_only_hosts_can_edit_a_chat(as_client: Any, live_chat: Chat, charlie: Person) -> None:
    assert as_client(charlie).get(reverse("chats:edit", args=[live_chat.pk])).status_code == 403


def test_the_detail_shows_times_in_the_viewers_time_zone(
    as_client: Any, alice: Person, charlie: Person
) -> None:
    start = datetime(FUTURE_YEAR + 1, 1, 15, 9, 0, tzinfo=UTC)
    chat = ChatFactory(created_by=alice, starts_at=start, ends_at=start + timedelta(hours=1))
    assert "10:00" in as_client(alice).get(chat.get_absolute_url()).text  # Paris, UTC+1
    assert "09:00" in as_client(charlie).get(chat.get_absolute_url()).text  # Lisbon, UTC+0


def test_a_person_rsvps_and_the_answer_is_kept(
    as_client: Any, live_chat: Chat, charlie: Person
) -> None:
    response = as_client(charlie).post(
        reverse("chats:rsvp", args=[live_chat.pk]), {"rsvp": "going"}
    )
    assert response.status_code == 302
    assert live_chat.participants.get(person=charlie).rsvp == "going"


def test_rsvp_refuses_get_and_other_peoples_private_chats(
    as_client: Any, private_chat: Chat, charlie: Person
) -> None:
    url = reverse("chats:rsvp", args=[private_chat.pk])
    assert as_client(charlie).get(url).status_code == 405
    assert as_client(charlie).post(url, {"rsvp": "going"}).status_code == 404


def test_a_host_invites_people_by_email(
    as_client: Any, private_chat: Chat, alice: Person, charlie: Person
) -> None:
    as_client(alice).post(
        reverse("chats:invite", args=[private_chat.pk]), {"people": "charlie@example.com"}
    )
    assert as_client(charlie).get(private_chat.get_absolute_url()).status_code == 200


def test_a_non_host_cannot_invite(as_client: Any, live_chat: Chat, charlie: Person) -> None:
    url = reverse("chats:invite", args=[live_chat.pk])
    assert as_client(charlie).post(url, {"people": "bob@example.com"}).status_code == 403


# --- calendars -------------------------------------------------------------------------------


def test_the_invite_is_a_valid_icalendar_event(
    as_client: Any, live_chat: Chat, charlie: Person
) -> None:
    response = as_client(charlie).get(reverse("chats:ics", args=[live_chat.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == [live_chat.title]
    assert events[0].decoded("DTSTART") == live_chat.starts_at.replace(microsecond=0)


def test_the_calendar_feed_lists_visible_chats_by_token_without_a_session(
    client: Any, live_chat: Chat, private_chat: Chat, charlie: Person
) -> None:
    response = client.get(reverse("chats:feed", args=[feed_token(charlie)]))
    assert response.status_code == 200
    titles = [str(e["SUMMARY"]) for e in Calendar.from_ical(response.content).walk("VEVENT")]
    assert titles == [live_chat.title]


def test_a_forged_feed_token_is_not_found(client: Any, live_chat: Chat) -> None:
    assert client.get(reverse("chats:feed", args=["forged"])).status_code == 404


# --- the room and its polling fallback ---------------------------------------------------------


def test_the_room_renders_every_stored_message_for_a_reload(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    _answered(live_chat, alice, charlie)
    response = as_client(charlie).get(reverse("chats:room", args=[live_chat.pk]))
    assert "Pre-stage tools" in response.text
    assert 'data-last-seq="2"' in response.text


def test_the_room_of_a_private_chat_is_not_found_for_outsiders(
    as_client: Any, private_chat: Chat, charlie: Person
) -> None:
    assert as_client(charlie).get(reverse("chats:room", args=[private_chat.pk])).status_code == 404


def test_polling_returns_messages_after_a_sequence_number(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    _answered(live_chat, alice, charlie)
    body = as_client(charlie).get(reverse("chats:events", args=[live_chat.pk]) + "?after=1").json()
    assert [e["seq"] for e in body["events"]] == [2]
    assert body["last_seq"] == 2


def test_sending_over_http_is_idempotent_by_client_id(
    as_client: Any, live_chat: Chat, charlie: Person
) -> None:
    client = as_client(charlie)
    url = reverse("chats:send", args=[live_chat.pk])
    first = client.post(
        url, {"body": "hi", "client_id": "x1"}, HTTP_ACCEPT="application/json"
    ).json()
    again = client.post(
        url, {"body": "hi", "client_id": "x1"}, HTTP_ACCEPT="application/json"
    ).json()
    assert first["seq"] == again["seq"] == 1
    assert ChatMessage.objects.filter(chat=live_chat).count() == 1


def test_an_oversized_message_over_http_is_refused_with_its_reason(
    as_client: Any, live_chat: Chat, charlie: Person
) -> None:
    response = as_client(charlie).post(
        reverse("chats:send", args=[live_chat.pk]),
        {"body": "x" * 1001},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "too_long"
    assert not ChatMessage.objects.exists()


def test_a_plain_form_send_without_javascript_redirects_back_to_the_message(
    as_client: Any, live_chat: Chat, charlie: Person
) -> None:
    response = as_client(charlie).post(
        reverse("chats:send", args=[live_chat.pk]), {"body": "no js"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#m1")


# --- transcript, exports, moderation, promotion -----------------------------------------------


def test_the_transcript_puts_answers_under_their_prompt_most_reacted_first(
    as_client: Any, live_chat: Chat, alice: Person, bob: Person, charlie: Person
) -> None:
    services.prompt_release(actor=alice, chat=live_chat, number=1)
    services.message_post(actor=bob, chat=live_chat, body="First but quiet", prompt_number=1)
    loved, _ = services.message_post(
        actor=charlie, chat=live_chat, body="Later but loved", prompt_number=1
    )
    services.reaction_toggle(actor=alice, message=loved, emoji="👍")
    text = as_client(bob).get(reverse("chats:transcript", args=[live_chat.pk])).text
    assert text.index("Q1. Q one?") < text.index("Later but loved") < text.index("First but quiet")


def test_the_transcript_of_a_private_chat_is_not_found_for_outsiders(
    as_client: Any, private_chat: Chat, charlie: Person
) -> None:
    for name in ("chats:transcript",):
        assert as_client(charlie).get(reverse(name, args=[private_chat.pk])).status_code == 404
    url = reverse("chats:export", args=[private_chat.pk, "md"])
    assert as_client(charlie).get(url).status_code == 404


def test_markdown_and_html_exports_contain_the_prompt_and_answer(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    _answered(live_chat, alice, charlie)
    client = as_client(charlie)
    markdown = client.get(reverse("chats:export", args=[live_chat.pk, "md"]))
    assert markdown["Content-Disposition"].startswith("attachment")
    assert "## Q1. Q one?" in markdown.text
    assert "> Pre-stage tools" in markdown.text
    html = client.get(reverse("chats:export", args=[live_chat.pk, "html"])).text
    assert "<h2>Q1. Q one?</h2>" in html and "Pre-stage tools" in html
    assert client.get(reverse("chats:export", args=[live_chat.pk, "pdf"])).status_code == 404


def test_a_hidden_message_leaves_the_transcript_for_members(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    message = _answered(live_chat, alice, charlie)
    response = as_client(alice).post(reverse("chats:hide", args=[live_chat.pk, message.seq]))
    assert response.status_code == 302
    assert (
        "Pre-stage tools"
        not in as_client(charlie).get(reverse("chats:transcript", args=[live_chat.pk])).text
    )


def test_a_member_cannot_hide_messages(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    message = _answered(live_chat, alice, charlie)
    assert (
        as_client(charlie).post(reverse("chats:hide", args=[live_chat.pk, message.seq])).status_code
        == 403
    )
    assert (
        as_client(charlie).get(reverse("chats:hide", args=[live_chat.pk, message.seq])).status_code
        == 405
    )


def test_a_moderator_from_another_site_can_hide_messages(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person, mod: Person
) -> None:
    message = _answered(live_chat, alice, charlie)
    as_client(mod).post(reverse("chats:hide", args=[live_chat.pk, message.seq]))
    message.refresh_from_db()
    assert message.is_hidden


def test_the_host_promotes_an_answer_to_a_practice_draft_and_the_link_is_kept(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    message = _answered(live_chat, alice, charlie)
    response = as_client(alice).post(reverse("chats:promote", args=[live_chat.pk, message.seq]))
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.promoted_to and response["Location"] == message.promoted_to
    from pollinate.practices.models import Practice

    practice = Practice.objects.get()
    assert "Pre-stage tools" in practice.steps
    assert "Charlie" in practice.steps


def test_a_participant_cannot_promote_answers(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    message = _answered(live_chat, alice, charlie)
    assert (
        as_client(charlie)
        .post(reverse("chats:promote", args=[live_chat.pk, message.seq]))
        .status_code
        == 403
    )


def test_the_transcript_uses_a_bounded_number_of_queries(
    as_client: Any,
    live_chat: Chat,
    alice: Person,
    bob: Person,
    charlie: Person,
    django_assert_max_num_queries: Any,
    settings: Any,
) -> None:
    settings.CHAT_RATE_LIMIT = 1000
    services.prompt_release(actor=alice, chat=live_chat, number=1)
    services.prompt_release(actor=alice, chat=live_chat, number=2)
    for n in range(20):
        services.message_post(
            actor=bob if n % 2 else charlie,
            chat=live_chat,
            body=f"answer {n}",
            prompt_number=1 + n % 2,
        )
    client = as_client(charlie)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("chats:transcript", args=[live_chat.pk]))
    assert response.text.count('class="transcript__answer"') == 20


# --- promotion into a collection -------------------------------------------------------------


def _episode(**kwargs: Any) -> Any:
    from pollinate.curation.tests.factories import EpisodeFactory

    return EpisodeFactory(**kwargs)


def test_an_editor_host_adds_an_answer_to_a_collection_and_the_link_back_is_kept(
    as_client: Any, editor: Person, charlie: Person
) -> None:
    from pollinate.curation.models import Item, ItemKind

    chat = ChatFactory(created_by=editor, title="Kanban at scale", prompts=["Where to start?"])
    message = _answered(chat, editor, charlie)
    episode = _episode(title="Starting with kanban")
    response = as_client(editor).post(
        reverse("chats:collect", args=[chat.pk, message.seq]), {"episode": episode.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == episode.get_absolute_url()
    item = Item.objects.get()
    assert (item.episode, item.kind, item.target_id) == (episode, ItemKind.CHAT, chat.pk)
    assert item.edition_site is None
    # The collection points at the whole chat; the answer is quoted, credited and linked.
    assert "Pre-stage tools" in item.commentary
    assert "Charlie" in item.commentary and "Q1" in item.commentary
    assert reverse("chats:transcript", args=[chat.pk]) + f"#a{message.seq}" in item.commentary
    message.refresh_from_db()
    assert message.collected_to == episode.get_absolute_url()
    transcript = as_client(editor).get(reverse("chats:transcript", args=[chat.pk]))
    assert f'href="{episode.get_absolute_url()}"' in transcript.text
    assert "Added to a collection" in transcript.text
    # On the collection page the quote is a quote and the address a link back to the answer.
    page = as_client(editor).get(episode.get_absolute_url()).text
    answer_url = reverse("chats:transcript", args=[chat.pk]) + f"#a{message.seq}"
    assert "<blockquote>" in page and "Pre-stage tools" in page
    assert re.search(r'<a href="[^"]*' + re.escape(answer_url) + '"', page)
    # Promoting again does not add a second item.
    as_client(editor).post(
        reverse("chats:collect", args=[chat.pk, message.seq]), {"episode": episode.pk}
    )
    assert Item.objects.count() == 1


def test_the_transcript_offers_the_episodes_the_host_can_add_to(
    as_client: Any, editor: Person, charlie: Person
) -> None:
    chat = ChatFactory(created_by=editor, prompts=["Where to start?"])
    _answered(chat, editor, charlie)
    episode = _episode(title="Starting with kanban")
    response = as_client(editor).get(reverse("chats:transcript", args=[chat.pk]))
    assert f'<option value="{episode.pk}">{episode.collection.title} · ' in response.text


def test_a_site_lead_host_adds_an_answer_to_their_sites_edition(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    from pollinate.curation.models import Item

    message = _answered(live_chat, alice, charlie)
    episode = _episode()
    response = as_client(alice).post(
        reverse("chats:collect", args=[live_chat.pk, message.seq]), {"episode": episode.pk}
    )
    assert response.status_code == 302
    assert Item.objects.get().edition_site == alice.site


def test_a_host_who_cannot_edit_the_collection_adds_nothing(
    as_client: Any, bob: Person, charlie: Person
) -> None:
    from pollinate.curation.models import Item

    chat = ChatFactory(created_by=bob, prompts=["Where to start?"])
    message = _answered(chat, bob, charlie)
    episode = _episode(collection__publish_at=None)
    response = as_client(bob).post(
        reverse("chats:collect", args=[chat.pk, message.seq]), {"episode": episode.pk}
    )
    assert response.status_code == 302
    assert not Item.objects.exists()
    message.refresh_from_db()
    assert message.collected_to == ""


def test_only_the_host_can_add_an_answer_to_a_collection(
    as_client: Any, live_chat: Chat, alice: Person, charlie: Person, editor: Person
) -> None:
    from pollinate.curation.models import Item

    message = _answered(live_chat, alice, charlie)
    episode = _episode()
    url = reverse("chats:collect", args=[live_chat.pk, message.seq])
    # Being an editor is not enough: the answer belongs to the host's chat.
    assert as_client(editor).post(url, {"episode": episode.pk}).status_code == 403
    assert as_client(charlie).post(url, {"episode": episode.pk}).status_code == 403
    assert not Item.objects.exists()


def test_an_outsider_cannot_reach_a_private_chats_answers_to_collect_them(
    as_client: Any, private_chat: Chat, alice: Person, bob: Person, charlie: Person
) -> None:
    from pollinate.curation.models import Item

    services.prompt_release(actor=alice, chat=private_chat, number=1)
    message, _ = services.message_post(actor=bob, chat=private_chat, body="Only for us")
    url = reverse("chats:collect", args=[private_chat.pk, message.seq])
    assert as_client(charlie).post(url, {"episode": _episode().pk}).status_code == 404
    assert not Item.objects.exists()


def test_answers_from_a_private_chat_stay_out_of_collections(
    as_client: Any, admin: Person, bob: Person
) -> None:
    from pollinate.curation.models import Item

    chat = ChatFactory(created_by=admin, visibility=ChatVisibility.PRIVATE, prompts=["Q?"])
    chat.participants.create(person=bob, is_invited=True)
    message = _answered(chat, admin, bob)
    episode = _episode()
    response = as_client(admin).post(
        reverse("chats:collect", args=[chat.pk, message.seq]), {"episode": episode.pk}
    )
    assert response.status_code == 302
    assert not Item.objects.exists()
    assert (
        "Add to collection"
        not in as_client(admin).get(reverse("chats:transcript", args=[chat.pk])).text
    )


def test_collecting_needs_a_signed_in_member_and_a_post(
    client: Any, as_client: Any, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    message = _answered(live_chat, alice, charlie)
    url = reverse("chats:collect", args=[live_chat.pk, message.seq])
    response = client.post(url, {"episode": 1})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:sign_in"))
    assert as_client(alice).get(url).status_code == 405
