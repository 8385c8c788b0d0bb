"""xAPI delivery against real LRSs: Ralph (from scripts/install-ralph) and a small one in-test."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from pollinate.analytics.models import XapiStatement
from pollinate.analytics.xapi import LrsUnavailable, statement_id, xapi_flush

pytestmark = pytest.mark.django_db
WHEN = datetime(2026, 4, 1, 10, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MiniLrs:
    """The statements resource of xAPI 1.0.3: POST a batch, PUT one by id, 409 on a known id."""

    def __init__(self) -> None:
        self.statements: dict[str, dict[str, Any]] = {}
        self.down = False
        self.requests = 0
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> Any:
                return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

            def do_POST(self) -> None:
                lrs.requests += 1
                batch = self._body()
                if lrs.down:
                    return self._answer(503)
                if any(s["id"] in lrs.statements for s in batch):
                    return self._answer(409, {"error": "known statement id"})
                for statement in batch:
                    lrs.statements[statement["id"]] = statement
                return self._answer(200, [s["id"] for s in batch])

            def do_PUT(self) -> None:
                lrs.requests += 1
                statement = self._body()
                sid = parse_qs(urlparse(self.path).query)["statementId"][0]
                if lrs.down:
                    return self._answer(503)
                if sid in lrs.statements:
                    return self._answer(409)
                lrs.statements[sid] = statement
                return self._answer(204)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/xapi"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def mini_lrs(settings: Any) -> Iterator[MiniLrs]:
    lrs = MiniLrs()
    settings.XAPI_ENDPOINT = lrs.url
    settings.XAPI_BATCH_SIZE = 2
    yield lrs
    lrs.server.shutdown()


def _share(record, person, object_id: int) -> Any:  # type: ignore[no-untyped-def]
    return record(
        "practice.shared",
        actor=person,
        object_type="practices.practice",
        object_id=object_id,
        when=WHEN,
        payload={"title": f"Practice {object_id}", "practice_site": person.site_id},
    )


def test_learning_activity_reaches_the_lrs_with_a_statement_id_from_the_activity(
    record, bob, mini_lrs
):
    activity = _share(record, bob, 7)
    sid = str(statement_id(activity.pk))
    assert sid in mini_lrs.statements
    statement = mini_lrs.statements[sid]
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/shared"
    assert statement["actor"]["account"]["name"] == str(bob.pk)
    assert "email" not in json.dumps(statement)
    assert XapiStatement.objects.get(activity_id=activity.pk).sent_at is not None


def test_activity_that_is_not_learning_relevant_sends_nothing(record, bob, mini_lrs):
    record(
        "practice.photo_added", actor=bob, object_type="practices.practice", object_id=1, when=WHEN
    )
    assert mini_lrs.statements == {}
    assert XapiStatement.objects.count() == 0


def test_an_unreachable_lrs_keeps_statements_and_delivers_them_once_later(record, bob, mini_lrs):
    mini_lrs.down = True
    activities = [_share(record, bob, n) for n in range(5)]
    assert mini_lrs.statements == {}
    waiting = XapiStatement.objects.filter(sent_at=None)
    assert waiting.count() == 5
    # Every flush stops at the first refused batch, so the oldest batch carries the error.
    assert all(row.attempts >= 1 and "503" in row.last_error for row in waiting.order_by("id")[:2])
    mini_lrs.down = False
    assert xapi_flush() == 5
    assert set(mini_lrs.statements) == {str(statement_id(a.pk)) for a in activities}
    assert xapi_flush() == 0


def test_a_statement_sent_twice_is_stored_once(record, bob, mini_lrs):
    _share(record, bob, 1)
    _share(record, bob, 2)
    # As if the worker died after the LRS stored the batch but before we marked it sent.
    XapiStatement.objects.update(sent_at=None)
    assert xapi_flush() == 2
    assert len(mini_lrs.statements) == 2
    assert XapiStatement.objects.filter(sent_at=None).count() == 0


def test_a_closed_port_raises_so_the_task_is_retried(bob, settings, record):
    settings.XAPI_ENDPOINT = f"http://127.0.0.1:{_free_port()}/xapi"
    _share(record, bob, 3)
    with pytest.raises(LrsUnavailable):
        xapi_flush()
    assert XapiStatement.objects.filter(sent_at=None).count() == 1


def test_nothing_is_queued_when_no_lrs_is_configured(record, bob, settings):
    settings.XAPI_ENDPOINT = ""
    _share(record, bob, 4)
    assert XapiStatement.objects.count() == 0


# ---------------------------------------------------------------------- Ralph, a real LRS


RALPH_MISSING = (
    "The Ralph LRS is not installed at {path}. Run scripts/install-ralph (make pytest does), "
    "or set RALPH_BIN to a ralph executable. This test needs a real LRS; it is never skipped."
)


def _ralph_bin() -> Path:
    """The ralph executable: RALPH_BIN, else the venv that scripts/install-ralph creates."""
    from django.conf import settings as django_settings

    default = Path(django_settings.BASE_DIR) / "var" / "ralph" / "bin" / "ralph"
    return Path(os.environ.get("RALPH_BIN") or default)


@pytest.fixture
def ralph(tmp_path: Path, settings: Any) -> Iterator[str]:
    binary = _ralph_bin()
    if not binary.is_file():
        pytest.fail(RALPH_MISSING.format(path=binary), pytrace=False)
    python = binary.parent / "python"
    script = (
        "import bcrypt, json, sys; h = bcrypt.hashpw(b'lrs-secret', bcrypt.gensalt()).decode();"
        "json.dump([{'agent': {'account': {'name': 'pollinate', 'homePage': 'https://example.org'}},"
        "'scopes': ['all'], 'hash': h, 'username': 'pollinate'}], open(sys.argv[1], 'w'))"
    )
    subprocess.run([str(python), "-c", script, str(tmp_path / "auth.json")], check=True)  # noqa: S603
    (tmp_path / "data").mkdir()
    port = _free_port()
    env = {**os.environ, "RALPH_APP_DIR": str(tmp_path), "RALPH_RUNSERVER_BACKEND": "fs"}
    process = subprocess.Popen(  # noqa: S603 -- a fixed local binary
        [
            str(binary),
            "runserver",
            "-b",
            "fs",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "--fs-default-directory-path",
            str(tmp_path / "data"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/__heartbeat__", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        settings.XAPI_ENDPOINT = f"{url}/xAPI"
        settings.XAPI_USERNAME = "pollinate"
        settings.XAPI_PASSWORD = "lrs-secret"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _ralph_get(url: str, sid: str) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310
        f"{url}/xAPI/statements?statementId={sid}",
        headers={
            "X-Experience-API-Version": "1.0.3",
            "Authorization": "Basic cG9sbGluYXRlOmxycy1zZWNyZXQ=",
        },
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        body = json.loads(response.read())
    # Ralph answers a single-statement query in the list shape.
    return body["statements"][0] if "statements" in body else body  # type: ignore[no-any-return]


def test_statements_are_received_by_the_ralph_lrs_and_never_duplicated(
    record, bob, ralph, settings
):
    # Queue while the LRS is unreachable, then deliver in one batch: Ralph's filesystem backend
    # (its development backend) refuses a second write to its file, a production backend does not.
    settings.XAPI_ENDPOINT, endpoint = (
        f"http://127.0.0.1:{_free_port()}/xAPI",
        settings.XAPI_ENDPOINT,
    )
    activities = [_share(record, bob, n) for n in range(3)]
    settings.XAPI_ENDPOINT = endpoint
    assert xapi_flush() == 3
    for activity in activities:
        stored = _ralph_get(ralph, str(statement_id(activity.pk)))
        assert stored["verb"]["display"]["en-US"] == "shared"
    XapiStatement.objects.update(sent_at=None)
    assert xapi_flush() == 3  # accepted again without error: the LRS already holds these ids
    request = urllib.request.Request(  # noqa: S310
        f"{ralph}/xAPI/statements?limit=100",
        headers={
            "X-Experience-API-Version": "1.0.3",
            "Authorization": "Basic cG9sbGluYXRlOmxycy1zZWNyZXQ=",
        },
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        ids = [s["id"] for s in json.loads(response.read())["statements"]]
    assert sorted(ids) == sorted(str(statement_id(a.pk)) for a in activities)
