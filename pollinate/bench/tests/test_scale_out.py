"""Pollinate beyond one process, for real: docs/scale-out.md's layout started and stopped here.

Redis (Debian's ``redis-server``) on a free loopback port; two gunicorn web processes and two
uvicorn realtime processes started as the Procfile starts them, with production settings
(``DEBUG`` off, Argon2, manifest static files, ``TASKS_IMMEDIATE`` off) and ``REDIS_URL``; one
task worker (``manage.py run_worker``); and in front, nginx (Debian's ``nginx-light``) serving the
sample configuration deploy/nginx.conf, only its upstream addresses and port rewritten to
loopback: ``/ws/`` to the realtime pool, everything else to the web pool. The database is the test
database: on PostgreSQL (CI's second pass) every process connects to it; on SQLite the migrated
in-memory test database is copied to a file that every process opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import redis
import websockets
from django.contrib.auth.hashers import make_password
from django.db import connection

from conftest import PASSWORD
from pollinate.chats.models import Chat
from pollinate.chats.tests.factories import ChatFactory
from pollinate.people.models import Person

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
STARTUP_SECONDS = 90  # generous: the shared CI machine may be busy


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


# --- HTTP, with a cookie jar, one connection per request (so the proxy picks a backend each time)


@dataclass
class Browser:
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, port: int, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        headers = {"Connection": "close", "Host": f"127.0.0.1:{port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode({"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for raw in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(raw).items():
                    self.cookies[name] = morsel.value
            return response.status, dict(response.headers), text
        finally:
            conn.close()

    def sign_in(self, port: int, email: str, password: str) -> tuple[int, str]:
        self.request(port, "GET", "/sign-in/")  # the CSRF cookie
        status, _headers, text = self.request(
            port, "POST", "/sign-in/", {"username": email, "password": password}
        )
        return status, text


# --- The processes


@dataclass
class Cluster:
    tmp: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    killed: set[str] = field(default_factory=set)
    log_files: list[Any] = field(default_factory=list)

    def start(self, name: str, argv: list[str], **extra_env: str) -> None:
        log = (self.tmp / f"{name}.log").open("wb")
        self.log_files.append(log)
        self.processes[name] = subprocess.Popen(  # noqa: S603 -- our interpreter and modules
            argv,
            env={**self.env, **extra_env},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: killing it kills gunicorn's workers too
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes[name]
        self.killed.add(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)

    def stop_all(self) -> None:
        for name in self.processes:
            self.kill(name, signal.SIGTERM)
        for name, process in self.processes.items():
            if process.poll() is None:
                self.kill(name)
        for log in self.log_files:
            log.close()

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.tmp.glob("*.log"))
        )

    def wait_until(self, ready: Any, what: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if ready():
                return
            exited = {n for n, p in self.processes.items() if p.poll() is not None}
            dead = sorted(exited - self.killed)
            assert not dead, f"{dead} exited while waiting for {what}\n{self.logs()}"
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")

    def django(self, code: str) -> Any:
        """Runs ``code`` in a fresh Django process of the cluster; it prints one JSON value."""
        done = subprocess.run(  # noqa: S603 -- our interpreter and manage.py
            [sys.executable, "manage.py", "shell", "-c", code],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])


def _nginx_config(tmp: Path, *, listen: int, web: list[int], realtime: list[int]) -> Path:
    """deploy/nginx.conf with loopback addresses, inside a main configuration kept in ``tmp``."""
    text = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    for service, ports in (("web:8000", web), ("realtime:8001", realtime)):

        def servers(match: re.Match[str], ports: list[int] = ports) -> str:
            return "\n    ".join(f"server 127.0.0.1:{port} {match.group(1)};" for port in ports)

        text, count = re.subn(rf"server {service} ([^;]*);", servers, text)
        assert count == 1, f"deploy/nginx.conf no longer has one 'server {service} ...;' line"
    text, count = re.subn(r"listen 80;", f"listen 127.0.0.1:{listen};", text)
    assert count == 1, "deploy/nginx.conf no longer has one 'listen 80;' line"
    (tmp / "pollinate-nginx.conf").write_text(text, encoding="utf-8")
    temp = tmp / "nginx-temp"
    temp.mkdir()
    paths = "\n".join(
        f"    {kind}_temp_path {temp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = tmp / "nginx-main.conf"
    main.write_text(
        # As root, nginx's workers would switch to "nobody", which cannot enter pytest's tmp dir.
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\ndaemon off;\npid {tmp / 'nginx.pid'};\n"
        + f"error_log {tmp / 'nginx.log'} warn;\nevents {{ worker_connections 512; }}\n"
        + f"http {{\n    access_log off;\n{paths}\n"
        + f"    include {tmp / 'pollinate-nginx.conf'};\n}}\n",
        encoding="utf-8",
    )
    return main


def _shared_database_url(tmp: Path) -> str:
    """The test database as every process of the cluster can open it."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        # The test database lives in memory: copy it, migrated and with this test's rows, to a file.
        path = tmp / "pollinate.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return f"sqlite:///{path}"
    assert connection.vendor == "postgresql", connection.vendor
    credentials = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        credentials += ":" + quote(settings["PASSWORD"], safe="")
    host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{settings['NAME']}"


@pytest.fixture
def chat(alice: Person, bob: Person, charlie: Person) -> Chat:
    for person in (alice, bob, charlie):
        # The cluster runs production settings, whose hashers do not include the tests' fast one.
        person.user.password = make_password(PASSWORD, hasher="argon2")
        person.user.save(update_fields=["password"])
    return ChatFactory(created_by=alice, title="Changeovers across plants")


@pytest.fixture
def cluster(chat: Chat, tmp_path: Path) -> Iterator[tuple[Cluster, dict[str, int]]]:
    redis_server = shutil.which("redis-server")
    assert redis_server, "redis-server is missing: run scripts/install-system-packages"
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: run scripts/install-system-packages"
    names = ("redis", "web_a", "web_b", "rt_a", "rt_b", "proxy")
    ports = {name: _free_port() for name in names}
    nginx_conf = _nginx_config(
        tmp_path,
        listen=ports["proxy"],
        web=[ports["web_a"], ports["web_b"]],
        realtime=[ports["rt_a"], ports["rt_b"]],
    )
    nginx_argv = [nginx, "-p", str(tmp_path), "-e", str(tmp_path / "nginx.log")]
    nginx_argv += ["-c", str(nginx_conf)]
    checked = subprocess.run(  # noqa: S603 -- Debian's nginx on a file written here
        [*nginx_argv, "-t"], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr
    hidden = {"DATABASE_URL", "REDIS_URL", "POLLINATE_TESTING", "POLLINATE_DEV_SECRET"}
    env = {k: v for k, v in os.environ.items() if k not in hidden and not k.endswith("_FILE")}
    env.update(
        DJANGO_SETTINGS_MODULE="pollinate.settings",
        POLLINATE_VAR_DIR=str(tmp_path),
        DATABASE_URL=_shared_database_url(tmp_path),
        REDIS_URL=f"redis://127.0.0.1:{ports['redis']}/0",
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{ports['proxy']}",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ACCOUNT_SIGNIN_FAILURES_PER_HOUR="2",
        ANALYTICS_FOLD_DELAY="0",
        TASKS_IMMEDIATE="false",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    nodes = Cluster(tmp_path, env)
    try:
        nodes.start(
            "redis",
            [redis_server, "--port", str(ports["redis"]), "--bind", "127.0.0.1", "--save", ""],
        )
        # Production static files (hashed names from the manifest), as `prepare_instance` makes.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        gunicorn = [sys.executable, "-m", "gunicorn", "pollinate.wsgi:application"]
        for name in ("web_a", "web_b"):
            nodes.start(
                name,
                [*gunicorn, "--config", "pollinate/gunicorn_conf.py"],
                HOST="127.0.0.1",
                PORT=str(ports[name]),
                WEB_WORKERS="1",
                WEB_THREADS="2",
            )
        uvicorn = [sys.executable, "-m", "uvicorn", "pollinate.asgi:application", "--no-access-log"]
        for name in ("rt_a", "rt_b"):
            nodes.start(
                name,
                [*uvicorn, "--port", str(ports[name]), "--ws", "websockets-sansio"],
            )
        nodes.start(
            "proxy",
            nginx_argv,
        )
        nodes.start(
            "worker",
            [sys.executable, "manage.py", "run_worker", "--worker-type", "thread", "--no-periodic"],
            TASKS_WORKERS="1",
        )
        for name in ("web_a", "web_b"):
            nodes.wait_until(
                lambda port=ports[name]: (
                    _port_open(port) and Browser().request(port, "GET", "/healthz")[0] == 200
                ),
                f"{name} to answer /healthz",
            )
        for name in ("rt_a", "rt_b", "proxy"):
            nodes.wait_until(lambda port=ports[name]: _port_open(port), f"{name} to listen")
        yield nodes, ports
    finally:
        nodes.stop_all()


def _run(coro: Any) -> Any:
    # In its own thread: the session's Playwright browser may hold an event loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _socket(port: int, chat: Chat, browser: Browser, origin_port: int) -> Any:
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/ws/chats/{chat.pk}/",
        additional_headers={"Cookie": f"sessionid={browser.cookies['sessionid']}"},
        origin=f"http://127.0.0.1:{origin_port}",  # type: ignore[arg-type]
    )
    return ws


async def _until(ws: Any, event_type: str, timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        for event in frame["events"] if frame.get("type") == "batch" else [frame]:
            if event.get("type") == event_type:
                return dict(event)


def test_two_web_two_realtime_processes_and_a_worker_behave_as_one_service(
    cluster: tuple[Cluster, dict[str, int]],
    chat: Chat,
    alice: Person,
    bob: Person,
    charlie: Person,
) -> None:
    nodes, ports = cluster
    redis_client = redis.Redis.from_url(nodes.env["REDIS_URL"])

    # A session made by web A is valid on web B: it lives in the shared database and Redis.
    alice_browser = Browser()
    assert alice_browser.sign_in(ports["web_a"], alice.user.email, PASSWORD)[0] == 302
    session_key = alice_browser.cookies["sessionid"]
    status, _headers, page = alice_browser.request(ports["web_b"], "GET", "/me/")
    assert status == 200
    assert alice.display_name in page
    assert Browser().request(ports["web_b"], "GET", "/me/")[0] == 302  # anonymous: to sign-in
    assert any(session_key.encode() in key for key in redis_client.scan_iter("*cached_db*"))

    # The per-account sign-in limit (2 failures an hour here) counts across processes.
    bob_browser = Browser()
    for port in (ports["web_a"], ports["web_b"]):
        status, text = bob_browser.sign_in(port, bob.user.email, "not-the-password")
        assert status == 200
        assert "do not match an account" in text
    status, text = bob_browser.sign_in(ports["web_a"], bob.user.email, PASSWORD)
    assert status == 200
    assert "too many failed sign-ins" in text
    assert "sessionid" not in bob_browser.cookies
    [counter] = list(redis_client.scan_iter(f"*rl:signin-account:{bob.user.email}:*"))
    assert int(redis_client.get(counter) or 0) == 2

    # A message sent to realtime process B reaches a member connected to realtime process A,
    # and the proxy sends /ws/ to the realtime pool (gunicorn cannot answer a websocket).
    charlie_browser = Browser()
    assert charlie_browser.sign_in(ports["proxy"], charlie.user.email, PASSWORD)[0] == 302

    async def chat_across_processes() -> tuple[dict[str, Any], dict[str, Any]]:
        host = await _socket(ports["rt_a"], chat, alice_browser, ports["proxy"])
        guest = await _socket(ports["rt_b"], chat, charlie_browser, ports["proxy"])
        via_proxy = await _socket(ports["proxy"], chat, charlie_browser, ports["proxy"])
        try:
            for ws in (host, guest, via_proxy):
                await _until(ws, "hello")
            body = "Our SMED board cut changeovers to 9 minutes."
            await guest.send(json.dumps({"type": "send", "client_id": "x-1", "body": body}))
            return await _until(host, "message"), await _until(via_proxy, "message")
        finally:
            for ws in (host, guest, via_proxy):
                await ws.close()

    seen_on_a, seen_via_proxy = _run(chat_across_processes())
    assert seen_on_a["body"] == "Our SMED board cut changeovers to 9 minutes."
    assert seen_on_a["author"]["name"] == charlie.display_name
    assert seen_via_proxy["seq"] == seen_on_a["seq"]

    # A question asked through the proxy enqueues its follow-up work on Redis; only the worker
    # consumes that queue (web processes run no tasks), and it records each run as succeeded.
    status, headers, _page = charlie_browser.request(
        ports["proxy"],
        "POST",
        "/questions/ask/",
        {"title": "How do you keep SMED boards current?", "body": "", "language": "en"},
    )
    assert status == 302, _page[:500]
    assert re.match(r"^/questions/\d+/$", headers["Location"])
    runs = nodes.django(
        "import json, time\n"
        "from pollinate.core.models import TaskRun\n"
        "deadline = time.monotonic() + 60\n"
        "while True:\n"
        "    runs = list(TaskRun.objects.order_by('id').values('path', 'status', 'attempts'))\n"
        "    done = runs and all(r['status'] == 'succeeded' for r in runs)\n"
        "    if done or time.monotonic() > deadline:\n"
        "        break\n"
        "    time.sleep(0.3)\n"
        "print(json.dumps(runs))\n"
    )
    assert {"path": "pollinate.analytics.tasks.rollups_fold", "status": "succeeded"} in [
        {"path": r["path"], "status": r["status"]} for r in runs
    ], runs
    assert all(r["status"] == "succeeded" for r in runs), runs

    # With web A dead, the service still answers, signed-in pages included, through web B.
    nodes.kill("web_a")
    nodes.wait_until(lambda: not _port_open(ports["web_a"]), "web A's port to close")
    answers = [alice_browser.request(ports["proxy"], "GET", "/me/")[0] for _ in range(6)]
    assert answers == [200] * 6


def _program(argv: list[str]) -> list[str]:
    """The program and its entry point, without paths or the interpreter."""
    words = [word.rsplit("/", 1)[-1] for word in argv]
    return (words[1:] if words[0] == "python" else words)[:2]


def test_the_sample_compose_file_runs_every_procfile_process_behind_the_tested_nginx_config() -> (
    None
):
    import yaml

    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    procfile = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    for name, command in (line.split(": ", 1) for line in procfile if line):
        assert name in services, f"compose.yaml has no {name!r} service"
        assert _program(services[name]["command"]) == _program(command.split())
        assert services[name]["environment"]["REDIS_URL"].startswith("redis://redis:")
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://")
    assert services["postgres"]["image"] == "postgres:15"
    assert "./nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["proxy"]["volumes"]
