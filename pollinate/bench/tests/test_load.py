from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pollinate.bench import load


def test_percentile_uses_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert load.percentile(values, 50) == 50.0
    assert load.percentile(values, 99) == 99.0
    assert load.percentile([], 99) == 0.0


def test_writes_rotate_over_sessions_and_carry_their_csrf_token() -> None:
    sessions = [load.Session("sessionid=a", "ta"), load.Session("sessionid=b", "tb")]
    post = load.Request("/x/", "POST", "body=hi")
    assert load._headers(post, sessions, 0)["X-CSRFToken"] == "ta"
    assert load._headers(post, sessions, 1)["Cookie"] == "sessionid=b"
    assert "X-CSRFToken" not in load._headers(load.Request("/"), sessions, 0)


class _SlowOnce(BaseHTTPRequestHandler):
    """Answers at once, except the first request, which stalls for 300 ms."""

    stalled = False
    arrivals: list[str] = []

    def do_GET(self) -> None:
        _SlowOnce.arrivals.append(self.path)
        if not _SlowOnce.stalled:
            _SlowOnce.stalled = True
            time.sleep(0.3)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_server() -> Iterator[str]:
    _SlowOnce.stalled = False
    _SlowOnce.arrivals = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowOnce)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_open_loop_sends_on_schedule_and_counts_the_stall(slow_server: str) -> None:
    result = load.open_loop(slow_server, load.Request("/"), [], rate=50, seconds=1)
    assert result.requests == 50
    assert result.errors == 0
    # The stalled request is late by ~300 ms; requests keep being sent meanwhile (open loop),
    # so the others stay fast and the maximum reflects the stall.
    assert result.max_ms >= 290
    assert result.p50_ms < 100


def test_sign_in_fails_loudly_without_a_form(slow_server: str) -> None:
    with pytest.raises(RuntimeError, match="CSRF"):
        asyncio.run(load.sign_in(slow_server, email="a@b.example", password="x"))


def test_mixed_streams_run_at_once_each_at_its_own_rate(slow_server: str) -> None:
    write = load.Stream(load.Request("/w"), [], rate=40)
    read = load.Stream(load.Request("/r"), [], rate=10)
    written, read_result = load.open_loops(slow_server, [write, read], seconds=1)
    assert (written.requests, read_result.requests) == (40, 10)
    assert written.errors == read_result.errors == 0
    # Together, not one after the other: reads arrive between the writes.
    arrivals = _SlowOnce.arrivals
    assert arrivals.index("/r") < len(arrivals) - 1 - arrivals[::-1].index("/w")
    assert max(written.max_ms, read_result.max_ms) >= 290  # the one stall lands in one stream
