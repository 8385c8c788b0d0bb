"""The live room over a real websocket, against a real uvicorn server."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from pollinate.chats.models import Chat, ChatMessage
from pollinate.chats.tests.conftest import RealtimeServer, open_socket
from pollinate.people.models import Person

pytestmark = pytest.mark.django_db(transaction=True)


def run(coro: object) -> object:
    # In its own thread: the session's Playwright browser keeps an event loop in the main one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()  # type: ignore[arg-type]


async def _closed_code(
    server: RealtimeServer, chat: Chat, person: Person | None, **kw: object
) -> int | None:
    try:
        socket = await open_socket(server, chat, person, **kw)  # type: ignore[arg-type]
        await socket.next(timeout=3)
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None
    except InvalidStatus as exc:
        return exc.response.status_code
    return None


def test_a_sent_message_is_stored_then_delivered_to_everyone_in_the_room(
    realtime: RealtimeServer, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    async def scenario() -> tuple[dict, dict]:
        host = await open_socket(realtime, live_chat, alice)
        guest = await open_socket(realtime, live_chat, charlie)
        await host.until("hello")
        await guest.until("hello")
        await guest.send(type="send", client_id="c-1", body="We use a SMED board.")
        ack = await guest.until("delivered")
        seen_by_host = await host.until("message")
        return ack, seen_by_host

    ack, seen = run(scenario())  # type: ignore[misc]
    stored = ChatMessage.objects.get(chat=live_chat, seq=ack["seq"])
    assert stored.body == "We use a SMED board."
    assert stored.author == charlie
    assert seen["seq"] == ack["seq"]
    assert seen["body"] == "We use a SMED board."
    assert seen["author"]["name"] == "Charlie"


def test_a_reconnecting_client_gets_every_missed_message_once_and_in_order(
    realtime: RealtimeServer, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    async def scenario() -> list[int]:
        host = await open_socket(realtime, live_chat, alice)
        guest = await open_socket(realtime, live_chat, charlie)
        await host.until("hello")
        await guest.until("hello")
        for n in range(5):
            await host.send(type="send", client_id=f"a-{n}", body=f"before {n}")
            await host.until("delivered")
        seen: list[int] = []
        while len(seen) < 5:
            event = await guest.until("message")
            seen.append(event["seq"])
        await guest.ws.close()
        # While the guest is away, ten more messages, one resent with the same client id.
        for n in range(10):
            await host.send(type="send", client_id=f"b-{n}", body=f"while away {n}")
            await host.until("delivered")
        await host.send(type="send", client_id="b-3", body="while away 3")
        await host.until("delivered")
        back = await open_socket(realtime, live_chat, charlie, after=seen[-1])
        await back.until("hello")
        # A live message arriving during catch-up must not be duplicated either.
        await host.send(type="send", client_id="c-0", body="after return")
        while len(seen) < 16:
            event = await back.until("message")
            seen.append(event["seq"])
        extra = [e for e in await back.drain() if e.get("type") == "message"]
        return seen + [e["seq"] for e in extra]

    seqs = run(scenario())
    assert seqs == list(range(1, 17))
    assert ChatMessage.objects.filter(chat=live_chat).count() == 16


def test_a_resent_message_with_the_same_client_id_is_stored_once(
    realtime: RealtimeServer, live_chat: Chat, charlie: Person
) -> None:
    async def scenario() -> tuple[int, int]:
        guest = await open_socket(realtime, live_chat, charlie)
        await guest.until("hello")
        await guest.send(type="send", client_id="same", body="hello")
        first = await guest.until("delivered")
        await guest.send(type="send", client_id="same", body="hello")
        second = await guest.until("delivered")
        return first["seq"], second["seq"]

    first, second = run(scenario())  # type: ignore[misc]
    assert first == second
    assert ChatMessage.objects.filter(chat=live_chat, client_id="same").count() == 1


def test_an_oversized_message_is_refused_with_a_notice_and_not_stored(
    realtime: RealtimeServer, live_chat: Chat, charlie: Person, settings: object
) -> None:
    async def scenario() -> dict:
        guest = await open_socket(realtime, live_chat, charlie)
        await guest.until("hello")
        await guest.send(type="send", client_id="big", body="x" * 1001)
        return await guest.until("failed")

    failed = run(scenario())
    assert failed["code"] == "too_long"  # type: ignore[index]
    assert "1000" in failed["message"]  # type: ignore[index]
    assert not ChatMessage.objects.filter(chat=live_chat).exists()


def test_the_host_releases_a_prompt_and_answers_thread_under_it(
    realtime: RealtimeServer, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    async def scenario() -> dict:
        host = await open_socket(realtime, live_chat, alice)
        guest = await open_socket(realtime, live_chat, charlie)
        await host.until("hello")
        await guest.until("hello")
        await host.send(type="release", number=1)
        prompt = await guest.until("message")
        assert prompt["kind"] == "prompt" and prompt["prompt"] == 1
        await guest.send(type="send", client_id="a1", body="Pre-staged tools.", prompt=1)
        return await host.until("message", kind="message")

    answer = run(scenario())
    assert answer["prompt"] == 1  # type: ignore[index]
    assert ChatMessage.objects.get(chat=live_chat, client_id="a1").prompt.number == 1  # type: ignore[union-attr]


def test_a_participant_cannot_release_prompts_or_hide_messages(
    realtime: RealtimeServer, live_chat: Chat, charlie: Person
) -> None:
    async def scenario() -> dict:
        guest = await open_socket(realtime, live_chat, charlie)
        await guest.until("hello")
        await guest.send(type="release", number=1, client_id="r")
        return await guest.until("failed")

    failed = run(scenario())
    assert failed["code"] == "forbidden"  # type: ignore[index]
    assert not live_chat.prompts.filter(released_at__isnull=False).exists()


def test_a_muted_participant_is_refused_with_a_notice(
    realtime: RealtimeServer, live_chat: Chat, alice: Person, charlie: Person
) -> None:
    async def scenario() -> tuple[dict, dict]:
        host = await open_socket(realtime, live_chat, alice)
        guest = await open_socket(realtime, live_chat, charlie)
        await host.until("hello")
        await guest.until("hello")
        await host.send(type="mute", person=charlie.pk)
        muted = await guest.until("muted")
        await guest.send(type="send", client_id="m", body="can I speak?")
        return muted, await guest.until("failed")

    muted, failed = run(scenario())  # type: ignore[misc]
    assert muted["person"] == charlie.pk and muted["muted"] is True
    assert failed["code"] == "muted"
    assert not ChatMessage.objects.filter(chat=live_chat, author=charlie).exists()


def test_anonymous_visitors_cannot_connect(realtime: RealtimeServer, live_chat: Chat) -> None:
    assert run(_closed_code(realtime, live_chat, None)) == 4401


def test_people_outside_a_private_chat_cannot_connect_to_its_socket(
    realtime: RealtimeServer, private_chat: Chat, charlie: Person, bob: Person
) -> None:
    assert run(_closed_code(realtime, private_chat, charlie)) == 4404

    async def invited() -> dict:
        socket = await open_socket(realtime, private_chat, bob)
        return await socket.until("hello")

    assert run(invited())["type"] == "hello"  # type: ignore[index]


def test_a_socket_from_another_origin_is_refused(
    realtime: RealtimeServer, live_chat: Chat, charlie: Person
) -> None:
    code = run(_closed_code(realtime, live_chat, charlie, origin="http://evil.example"))
    assert code in (403, 1006, None) and code != 4404
    assert code == 403 or code is None


def test_an_unknown_chat_closes_the_socket(
    realtime: RealtimeServer, live_chat: Chat, charlie: Person
) -> None:
    missing = Chat(pk=live_chat.pk + 999)
    assert run(_closed_code(realtime, missing, charlie)) == 4404


def test_websockets_module_is_the_real_client() -> None:
    assert websockets.__name__ == "websockets"


def test_a_message_stored_by_another_process_reaches_live_sockets(
    realtime: RealtimeServer, live_chat: Chat, charlie: Person, bob: Person
) -> None:
    """With the in-process layer, gunicorn's broadcasts never reach the realtime process."""

    def store_without_broadcast() -> None:
        Chat.objects.filter(pk=live_chat.pk).update(last_seq=1)
        ChatMessage.objects.create(chat=live_chat, seq=1, author=bob, body="sent from a form")

    async def scenario() -> dict:
        guest = await open_socket(realtime, live_chat, charlie)
        await guest.until("hello")
        await asyncio.to_thread(store_without_broadcast)
        return await guest.until("message", timeout=8)

    event = run(scenario())
    assert event["seq"] == 1 and event["body"] == "sent from a form"  # type: ignore[index]


def test_a_hide_and_a_lock_made_by_another_process_reach_live_sockets(
    realtime: RealtimeServer, live_chat: Chat, charlie: Person, bob: Person
) -> None:
    """A moderator hiding from the transcript page (gunicorn) while the room is live."""
    from django.utils import timezone

    message = ChatMessage.objects.create(chat=live_chat, seq=1, author=bob, body="off topic")
    Chat.objects.filter(pk=live_chat.pk).update(last_seq=1)

    def hide_and_lock_without_broadcast() -> None:
        ChatMessage.objects.filter(pk=message.pk).update(hidden_at=timezone.now())
        Chat.objects.filter(pk=live_chat.pk).update(is_locked=True)

    async def scenario() -> tuple[dict, dict]:
        guest = await open_socket(realtime, live_chat, charlie)
        await guest.until("message")  # the catch-up: the room is being watched
        await asyncio.to_thread(hide_and_lock_without_broadcast)
        hidden = await guest.until("hidden", timeout=8)
        locked = await guest.until("locked", timeout=8)
        return hidden, locked

    hidden, locked = run(scenario())  # type: ignore[misc]
    assert hidden["seq"] == 1
    assert locked["locked"] is True
