"""A socket's writes stay in order when the server holds one back (a slow reader)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from pollinate.chats.consumers import ChatConsumer


class SlowSocket:
    """Stands in for the server's send: records frames; while ``blocked``, a send waits."""

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.open = asyncio.Event()
        self.open.set()

    async def send(self, message: dict[str, Any]) -> None:
        await self.open.wait()  # what uvicorn does while the socket's buffer is full
        self.frames.append(message["text"])


def _seqs(frames: list[str]) -> list[int]:
    seqs: list[int] = []
    for frame in frames:
        data = json.loads(frame)
        events = data["events"] if data["type"] == "batch" else [data]
        seqs.extend(event["seq"] for event in events)
    return seqs


def _event(seq: int) -> tuple[int, str]:
    return seq, json.dumps({"type": "message", "seq": seq})


def test_events_held_back_by_a_full_socket_go_out_later_in_order_and_once() -> None:
    async def scenario() -> tuple[list[int], list[int]]:
        socket = SlowSocket()
        consumer = ChatConsumer()
        consumer.pending, consumer.waiter, consumer.held, consumer.writing = [], None, None, True
        consumer.direct_send = socket.send
        consumer.last_seq = 0
        consumer.writer = asyncio.get_running_loop().create_task(consumer._write())
        await asyncio.sleep(0)  # the writer parks: the room now writes directly
        consumer.deliver(_event(1))
        written_directly = _seqs(socket.frames)
        socket.open.clear()
        for seq in (2, 3, 4, 3):  # 3 repeats: the layer may deliver twice
            consumer.deliver(_event(seq))
        await asyncio.sleep(0.01)
        socket.open.set()
        for _ in range(20):
            await asyncio.sleep(0)
        consumer.deliver(_event(5))
        for _ in range(20):
            await asyncio.sleep(0)
        consumer.writer.cancel()
        return written_directly, _seqs(socket.frames)

    written_directly, seqs = asyncio.run(scenario())
    assert written_directly == [1]
    assert seqs == [1, 2, 3, 4, 5]
