"""Fixtures for live chat tests, including a real realtime (ASGI + websocket) server."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
import websockets
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

from pollinate.chats.models import Chat, ChatVisibility
from pollinate.chats.tests.factories import ChatFactory
from pollinate.people.models import Person


@pytest.fixture
def live_chat(alice: Person) -> Chat:
    """Alice hosts an organisation-wide chat that is live now, with prompts Q1 and Q2."""
    return ChatFactory(
        created_by=alice, title="Changeovers in under ten minutes", prompts=["Q one?", "Q two?"]
    )


@pytest.fixture
def private_chat(alice: Person, bob: Person) -> Chat:
    """Alice's private chat; Bob is invited, nobody else."""
    chat = ChatFactory(created_by=alice, visibility=ChatVisibility.PRIVATE, title="Private review")
    chat.participants.create(person=bob, is_invited=True)
    return chat


class RealtimeServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = "http://127.0.0.1:8000"

    def url(self, chat: Chat, after: int = 0) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chats/{chat.pk}/?after={after}"

    def headers(self, person: Person | None) -> dict[str, str]:
        from conftest import client_for

        headers = {}
        if person is not None:
            client = client_for(person)
            headers["Cookie"] = f"sessionid={client.cookies['sessionid'].value}"
        return headers


@contextmanager
def _one_shared_connection() -> Iterator[None]:
    """Every thread uses the test thread's connection: an in-memory SQLite database only exists
    on that connection (Django's live server does the same, and only in this case)."""
    connection = connections["default"]
    connection.ensure_connection()
    connection.inc_thread_sharing()
    original = connections._connections
    connections._connections = types.SimpleNamespace(default=connection)  # type: ignore[assignment]
    try:
        yield
    finally:
        connections._connections = original
        connection.dec_thread_sharing()


@contextmanager
def _own_connections() -> Iterator[None]:
    """Every thread opens its own connection, as in production; closed again at the end.

    One connection must not be shared here: threads would interleave on it, and the consumers'
    ``close_old_connections()`` drops a connection that another thread holds in a transaction
    (its autocommit is off then), so that thread's COMMIT finds the connection closed. The
    database is a real server and the test is transactional, so every connection sees the
    committed data. Connections left open in long-lived threads (asgiref's executor) would keep
    the test database busy, so they are closed when the server stops.
    """
    test_thread = threading.get_ident()
    opened: list[BaseDatabaseWrapper] = []

    def remember(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
        if threading.get_ident() != test_thread:
            opened.append(connection)

    connection_created.connect(remember, weak=False)
    try:
        yield
    finally:
        connection_created.disconnect(remember)
        for connection in opened:
            connection.inc_thread_sharing()
            try:
                connection.close()
            finally:
                connection.dec_thread_sharing()


@pytest.fixture
def realtime(transactional_db: None) -> Iterator[RealtimeServer]:
    """Uvicorn serving ``pollinate.asgi`` in a thread, on the test database."""
    connection = connections["default"]
    in_memory = connection.vendor == "sqlite" and connection.is_in_memory_db()
    from pollinate.asgi import application
    from pollinate.chats import consumers

    # Each test gets a fresh database whose ids start again at 1; rooms left over from the
    # previous test's server (stopped without closing every socket) must not answer for them.
    consumers._relays.clear()

    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=0,
        ws="websockets-sansio",
        lifespan="off",
        log_level="warning",
    )
    with _one_shared_connection() if in_memory else _own_connections():
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield RealtimeServer(port)
        finally:
            server.should_exit = True
            thread.join(timeout=10)


class Socket:
    """A real websocket client with helpers to wait for a given event."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []
        self.unread: list[dict[str, Any]] = []

    async def send(self, **data: Any) -> None:
        await self.ws.send(json.dumps(data))

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next event; a catch-up ``batch`` frame is unpacked into its events."""
        if not self.unread:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            self.unread = frame["events"] if frame.get("type") == "batch" else [frame]
            if not self.unread:
                return await self.next(timeout)
        event = self.unread.pop(0)
        self.seen.append(event)
        return event

    async def until(self, event_type: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            event = await self.next(max(0.01, deadline - time.monotonic()))
            if event.get("type") == event_type and all(event.get(k) == v for k, v in match.items()):
                return event

    async def drain(self, quiet: float = 0.3) -> list[dict[str, Any]]:
        events = []
        while True:
            try:
                events.append(await self.next(quiet))
            except TimeoutError:
                return events


async def open_socket(
    server: RealtimeServer,
    chat: Chat,
    person: Person | None,
    *,
    after: int = 0,
    origin: str | None = None,
) -> Socket:
    headers = await asyncio.to_thread(server.headers, person)
    ws = await websockets.connect(
        server.url(chat, after),
        additional_headers=headers,
        origin=origin or server.origin,  # type: ignore[arg-type]
    )
    return Socket(ws)
