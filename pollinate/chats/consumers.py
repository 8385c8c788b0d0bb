"""The live room over a websocket: catch-up by sequence number, then live events.

Protocol (JSON both ways). The client connects to ``/ws/chats/<id>/?after=<seq>`` and receives
``hello`` (room state), then every stored message with a greater sequence number (in ``batch``
frames: ``{"type": "batch", "events": [...]}``), then live events. It sends
``{"type": "send", "client_id", "body", "prompt"}`` and gets ``delivered`` (with the stored
``seq``) or ``failed`` (with a ``code`` and a ``message`` to show). Hosts and moderators also send
``release``, ``hide``, ``mute`` and ``lock``; everyone can ``react``.

Each connection remembers the last sequence number it delivered: an event that is not the next
one either repeats (dropped) or skips ahead (the gap is read from the database first), so a client
sees every message exactly once and in order, whatever the channel layer does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import types
from collections.abc import Generator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from pollinate.chats import services
from pollinate.chats.access import access_chat, can_moderate
from pollinate.chats.models import Chat, ChatMessage, ChatParticipant
from pollinate.chats.selectors import CATCH_UP_LIMIT, chat_messages_after, message_event, room_state
from pollinate.people.models import Person

logger = logging.getLogger(__name__)

PRESENCE_DELAY = 1.0
# A socket that cannot keep up (this many events waiting) is closed; its page reconnects and
# catches up by sequence number, so a slow phone never slows the room down for everyone else.
OUTBOX_LIMIT = 2000
CLOSE_TOO_SLOW = 4008
BATCH_LIMIT = 200
# Where DirectSendMiddleware puts the ASGI server's own send callable in the scope.
DIRECT_SEND = "pollinate.direct_send"


class DirectSendMiddleware:
    """Puts the server's ``send`` in the scope before the session middleware wraps it.

    channels' SessionMiddleware wraps ``send`` to save sessions on HTTP responses; on a websocket
    it does nothing useful but still inspects the lazy session on every frame, which at 5 000
    frames a second cost more than writing them. The room writes its frames with this one.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        return await self.app({**scope, DIRECT_SEND: send}, receive, send)


class RoomRelay:
    """One channel-layer subscription per room and process, fanned out to the local sockets.

    Subscribing every socket to the group would make the layer copy and dispatch each event once
    per socket through the consumer machinery; the relay receives it once and hands the encoded
    text to each socket (a list append and a wake-up), which is several times cheaper.
    """

    def __init__(self, chat_id: int) -> None:
        self.chat_id = chat_id
        self.group = f"chat.{chat_id}"
        self.members: set[ChatConsumer] = set()
        self.channel = ""
        self.task: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()
        self.presence_pending = False
        self.watcher: asyncio.Task[None] | None = None
        # Highest message number this relay has handed out (or found stored when it started),
        # the lock state and the last hide it knows of: what the watcher compares against.
        self.seen_seq = 0
        self.locked = False
        self.hidden_since = timezone.now()

    async def join(self, consumer: ChatConsumer) -> None:
        async with self.lock:
            self.members.add(consumer)
            if self.task is None:
                layer = get_channel_layer()
                self.channel = await layer.new_channel(prefix="room.")
                await layer.group_add(self.group, self.channel)
                self.task = asyncio.get_running_loop().create_task(self._pump(layer))
                # Read after subscribing: anything stored later arrives by the layer or the watcher.
                self.hidden_since = timezone.now()
                self.seen_seq, self.locked, _hides = await database_sync_to_async(_room_changes)(
                    self.chat_id, self.hidden_since
                )
                self.watcher = asyncio.get_running_loop().create_task(self._watch())
        self.presence_changed(consumer)

    async def leave(self, consumer: ChatConsumer) -> None:
        async with self.lock:
            self.members.discard(consumer)
            if not self.members and self.task is not None:
                self.task.cancel()
                self.task = None
                if self.watcher is not None:
                    self.watcher.cancel()
                    self.watcher = None
                await get_channel_layer().group_discard(self.group, self.channel)
                _relays.pop(self.chat_id, None)
                return
        self.presence_changed(consumer)

    async def _pump(self, layer: Any) -> None:
        while True:
            self.fan_out(await layer.receive(self.channel))

    def fan_out(self, message: dict[str, Any]) -> None:
        seq = int(message.get("seq") or 0) if message.get("kind") == "message" else 0
        if seq:
            self.seen_seq = max(self.seen_seq, seq)
        item = (seq, str(message["text"]))
        for consumer in list(self.members):
            consumer.deliver(item)

    async def _watch(self) -> None:
        """Every few seconds, one cheap look at the room in the database.

        Messages, hides and the lock changed by another process (a page or API call served by
        gunicorn while the channel layer is in-process, or a broadcast that failed) reach live
        sockets this way within WATCH_INTERVAL; sockets drop messages they already have, by
        number, and a repeated hide or lock event changes nothing on the page.
        """
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            try:
                last, locked, hides = await database_sync_to_async(_room_changes)(
                    self.chat_id, self.hidden_since
                )
                missed = []
                if last > self.seen_seq:
                    missed = await database_sync_to_async(_messages_after)(
                        self.chat_id, self.seen_seq
                    )
            except Exception:
                logger.exception("watching chat %s failed", self.chat_id)
                continue
            for event in missed:
                text = json.dumps(event, ensure_ascii=False)
                self.fan_out(
                    {"type": "room.event", "text": text, "seq": event["seq"], "kind": "message"}
                )
            for seq, hidden_at in hides:
                self.hidden_since = max(self.hidden_since, hidden_at)
                text = json.dumps({"type": "hidden", "seq": seq})
                self.fan_out({"type": "room.event", "text": text, "seq": 0, "kind": "hidden"})
            if locked != self.locked:
                self.locked = locked
                text = json.dumps({"type": "locked", "locked": locked})
                self.fan_out({"type": "room.event", "text": text, "seq": 0, "kind": "locked"})

    def presence_changed(self, consumer: ChatConsumer) -> None:
        # Joins and leaves are coalesced: one presence event per room per second at most, not
        # one per connection (500 people arriving would otherwise be 250 000 sends).
        if self.presence_pending:
            return
        self.presence_pending = True
        layer = get_channel_layer()

        async def later() -> None:
            await asyncio.sleep(PRESENCE_DELAY)
            self.presence_pending = False
            text = json.dumps({"type": "presence", "count": len(self.members)})
            message = {"type": "room.event", "text": text, "seq": 0, "kind": "presence"}
            if self.members:
                await layer.group_send(self.group, message)

        asyncio.get_running_loop().create_task(later())


_relays: dict[int, RoomRelay] = {}
WATCH_INTERVAL = 2.0


def _room_changes(chat_id: int, hidden_since: datetime) -> tuple[int, bool, list[tuple[int, Any]]]:
    """The room's last number and lock, and the messages hidden after ``hidden_since``."""
    row = Chat.objects.filter(pk=chat_id).values_list("last_seq", "is_locked").first()
    last, locked = row or (0, False)
    hides = list(
        ChatMessage.objects.filter(chat_id=chat_id, hidden_at__gt=hidden_since).values_list(
            "seq", "hidden_at"
        )
    )
    return int(last), bool(locked), hides


def _messages_after(chat_id: int, after: int) -> list[dict[str, Any]]:
    chat = Chat(pk=chat_id)
    return [message_event(m) for m in chat_messages_after(chat=chat, after=after)]


@types.coroutine
def _resume(coroutine: Any, suspended_on: Any) -> Generator[Any, Any, None]:
    """Finishes, inside a task, a coroutine that was started by hand and suspended.

    ``deliver`` calls the server's send directly; when the socket's buffer is full the send
    suspends on a future, and this hands that future (and then the rest of the send) to the
    awaiting task exactly as if the task had started the send itself.
    """
    while True:
        try:
            try:
                value = yield suspended_on
            except BaseException as exc:  # cancellation and errors go into the send
                suspended_on = coroutine.throw(exc)
            else:
                suspended_on = coroutine.send(value)
        except StopIteration:
            return


class ChatConsumer(AsyncWebsocketConsumer):
    # No channel-layer channel per socket: the room's relay holds the one subscription per room
    # and process, and the in-memory layer scans every open channel on each send and receive.
    channel_layer_alias = "chats.no-channel-per-socket"

    person: Person
    chat: Chat
    last_seq: int
    moderator: bool

    async def connect(self) -> None:
        user = self.scope.get("user")
        chat_id = int(self.scope["url_route"]["kwargs"]["chat_id"])
        self.relay: RoomRelay | None = None
        # Room events waiting for this socket: (sequence number, or 0 for other events; JSON).
        self.pending: list[tuple[int, str]] = []
        self.waiter: asyncio.Future[None] | None = None
        self.writer: asyncio.Task[None] | None = None
        # True while the writer task is sending; a write the server held back (slow reader).
        self.writing = True
        self.held: Any = None
        # The server's own send (see DirectSendMiddleware): the session middleware's wrapper
        # only matters for HTTP responses and costs more than the write itself per delivery.
        self.direct_send = self.scope.get(DIRECT_SEND) or self.base_send
        # Refusals accept first and then close with a code the page understands (4401 sign in,
        # 4404 no such chat for you), so it stops retrying; nothing is sent before the close.
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=4401)
            return
        loaded = await database_sync_to_async(self._load)(user.pk, chat_id)
        if loaded is None:
            await self.accept()
            await self.close(code=4404)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            after = max(0, int(query.get("after", ["0"])[0]))
        except ValueError:
            after = 0
        await self.accept()
        # Join the room before reading the backlog: events that arrive meanwhile wait in
        # ``pending``, and the writer drops those the catch-up already delivered.
        self.relay = _relays.setdefault(chat_id, RoomRelay(chat_id))
        await self.relay.join(self)
        hello = await database_sync_to_async(self._hello)()
        hello["presence"] = len(self.relay.members)
        await self.send(text_data=json.dumps(hello))
        self.last_seq = after
        await self._catch_up(upto=None)
        self.writer = asyncio.get_running_loop().create_task(self._write())

    def deliver(self, item: tuple[int, str]) -> None:
        """Called by the room for every event, in the room's order.

        Fast path: nothing is waiting for this socket, so the event is written right here, with
        no task switch (the server's send completes without suspending unless the socket's
        buffer is full). Anything else (still catching up, a gap to read, writes held back by a
        slow reader) goes through the socket's writer task, in order.
        """
        seq, text = item
        if self.writer is not None and not self.writing and not self.pending:
            if seq and seq <= self.last_seq:
                return  # already delivered
            if not seq or seq == self.last_seq + 1:
                if seq:
                    self.last_seq = seq
                self._send_now(text)
                return
        if len(self.pending) >= OUTBOX_LIMIT:
            if self.writer is not None:
                self.writer.cancel()
                self.writer = None
                asyncio.get_running_loop().create_task(self.close(code=CLOSE_TOO_SLOW))
            return
        self.pending.append(item)
        self._wake()

    def _send_now(self, text: str) -> None:
        send = self.direct_send({"type": "websocket.send", "text": text})
        try:
            suspended_on = send.send(None)
        except StopIteration:
            return  # written
        except Exception:
            send.close()
            return  # the socket went away; disconnect() cleans up
        # Held back: the writer finishes this write before anything else goes to this socket.
        self.writing = True
        self.held = _resume(send, suspended_on)
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self.held is not None:
                held, self.held = self.held, None
                try:
                    await held
                except Exception:
                    logger.info("socket for chat %s went away while sending", self.chat.pk)
                    return
            if not self.pending:
                self.writing = False
                self.waiter = loop.create_future()
                await self.waiter
                self.waiter = None
                self.writing = True
                continue
            # When the room is busier than this socket can be written to, everything waiting goes
            # out in one frame: the cost per event falls exactly when the server falls behind.
            pending, self.pending = self.pending[:BATCH_LIMIT], self.pending[BATCH_LIMIT:]
            try:
                await self._room_events(pending)
            except Exception:
                logger.info("socket for chat %s went away while sending", self.chat.pk)
                return

    async def _room_events(self, events: list[tuple[int, str]]) -> None:
        texts: list[str] = []
        for seq, text in events:
            if seq:
                if seq <= self.last_seq:
                    continue  # already delivered (catch-up overlapped the live stream)
                if seq > self.last_seq + 1:
                    if texts:
                        await self._send_texts(texts)
                        texts = []
                    await self._catch_up(upto=seq - 1)
                self.last_seq = seq
            texts.append(text)
        if texts:
            await self._send_texts(texts)

    async def _send_texts(self, texts: list[str]) -> None:
        # The events are JSON already; joining the strings avoids decoding and encoding again.
        text = (
            texts[0]
            if len(texts) == 1
            else '{"type": "batch", "events": [' + ",".join(texts) + "]}"
        )
        await self.direct_send({"type": "websocket.send", "text": text})

    def _load(self, user_id: int, chat_id: int) -> bool | None:
        person = Person.objects.select_related("site", "user").filter(user_id=user_id).first()
        if person is None:
            return None
        try:
            self.chat = access_chat(person, chat_id)
        except (Http404, PermissionDenied):
            return None
        self.person = person
        self.moderator = can_moderate(person, self.chat)
        return True

    def _hello(self) -> dict[str, Any]:
        chat = Chat.objects.get(pk=self.chat.pk)
        participant = ChatParticipant.objects.filter(chat=chat, person=self.person).first()
        return {
            "type": "hello",
            "last_seq": chat.last_seq,
            "locked": chat.is_locked,
            "moderator": self.moderator,
            "muted": bool(participant and participant.muted_at),
            "me": self.person.pk,
            **room_state(chat=chat),
        }

    async def disconnect(self, code: int) -> None:
        if self.writer is not None:
            self.writer.cancel()
        if self.relay is not None:
            await self.relay.leave(self)
            self.relay = None

    async def _catch_up(self, *, upto: int | None) -> None:
        """Sends every stored message after ``last_seq`` (up to ``upto``) in order."""
        while upto is None or self.last_seq < upto:
            batch = await database_sync_to_async(chat_messages_after)(
                chat=self.chat, after=self.last_seq
            )
            if upto is not None:
                batch = [m for m in batch if m.seq <= upto]
            if not batch:
                return
            # One frame per database batch: a phone coming back after a minute gets its
            # missed messages in one write instead of hundreds.
            events = [message_event(message) for message in batch]
            await self.send(text_data=json.dumps({"type": "batch", "events": events}))
            self.last_seq = batch[-1].seq
            if upto is None and len(batch) < CATCH_UP_LIMIT:
                return

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            data = json.loads(text_data or "")
            kind = str(data.get("type", ""))
        except (ValueError, AttributeError):
            await self.send(text_data=json.dumps({"type": "error", "code": "bad_request"}))
            return
        if kind == "ping":
            await self.send(text_data=json.dumps({"type": "pong"}))
            return
        client_id = str(data.get("client_id", ""))[:64]
        try:
            reply, broadcasts = await database_sync_to_async(self._act_collecting)(kind, data)
            for group, message in broadcasts:
                await get_channel_layer().group_send(group, message)
        except services.ChatError as exc:
            reply = {
                "type": "failed",
                "client_id": client_id,
                "code": exc.code,
                "message": exc.message,
            }
        except Exception:
            logger.exception("chat action %s failed", kind)
            reply = {
                "type": "failed",
                "client_id": client_id,
                "code": "error",
                "message": _("Something went wrong; try again."),
            }
        if reply:
            await self.send(text_data=json.dumps(reply, ensure_ascii=False))

    def _act_collecting(
        self, kind: str, data: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, list[tuple[str, dict[str, Any]]]]:
        with services.broadcasts_collected() as broadcasts:
            reply = self._act(kind, data)
        return reply, broadcasts

    def _act(self, kind: str, data: dict[str, Any]) -> dict[str, Any] | None:
        chat = Chat.objects.select_related("site").get(pk=self.chat.pk)
        if kind == "send":
            prompt = data.get("prompt")
            message, _created = services.message_post(
                actor=self.person,
                chat=chat,
                body=str(data.get("body", "")),
                client_id=str(data.get("client_id", "")),
                prompt_number=int(prompt)
                if isinstance(prompt, int | str) and str(prompt).isdigit()
                else None,
            )
            return {"type": "delivered", "client_id": message.client_id, "seq": message.seq}
        if kind == "release":
            message = services.prompt_release(
                actor=self.person, chat=chat, number=int(data["number"])
            )
            return {
                "type": "delivered",
                "client_id": str(data.get("client_id", "")),
                "seq": message.seq,
            }
        if kind == "react":
            target = self._message(chat, data)
            services.reaction_toggle(
                actor=self.person, message=target, emoji=str(data.get("emoji"))
            )
            return None
        if kind == "hide":
            services.message_hide(actor=self.person, message=self._message(chat, data))
            return None
        if kind == "lock":
            services.chat_lock(actor=self.person, chat=chat, locked=bool(data.get("locked")))
            return None
        if kind == "mute":
            person = Person.objects.filter(pk=int(data.get("person", 0))).first()
            if person is None:
                raise services.ChatError("not_found", _("Not found."))
            services.participant_mute(
                actor=self.person, chat=chat, person=person, muted=bool(data.get("muted", True))
            )
            return None
        raise services.ChatError("bad_request", _("Unknown action."))

    def _message(self, chat: Chat, data: dict[str, Any]) -> ChatMessage:
        message = (
            ChatMessage.objects.select_related("chat__site")
            .filter(chat=chat, seq=int(data.get("seq", 0)))
            .first()
        )
        if message is None:
            raise services.ChatError("not_found", _("Not found."))
        return message
