"""Helpers for the restore and fault drills: scratch databases, real processes, a page probe.

The drills run Pollinate the way an operator does: separate processes (``manage.py``, gunicorn,
the task worker) on their own database, given by ``DATABASE_URL``. On SQLite the scratch database
is a file; on PostgreSQL (the CI's second run) it is a new database on the same server, dropped
afterwards.

Run as ``python -m pollinate.core.tests.drill probe SESSION_KEY PATH...`` inside such an
environment, it prints JSON: the row count of every table and each page as a signed-in person sees
it (the session comes from the restored database, so signing in is part of what is checked).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]
PYTHON = sys.executable


def instance_env(var_dir: Path, database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of a separate Pollinate process on its own data directory and database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_")) and key not in ("REDIS_URL",)
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "pollinate.settings",
            "POLLINATE_TESTING": "1",
            "SECRET_KEY": settings.SECRET_KEY,  # sessions made here stay valid there
            "POLLINATE_VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            "DATABASE_URL": database_url,
            "TASKS_SQLITE_PATH": str(var_dir / "tasks.sqlite3"),
            "LOG_LEVEL": "WARNING",
            "XAPI_ENDPOINT": "",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def manage(*arguments: str, env: dict[str, str], check: bool = True, timeout: float = 180) -> Any:
    """Runs ``manage.py`` in a separate process and returns the completed process."""
    result = subprocess.run(  # noqa: S603 -- our own interpreter and manage.py
        [PYTHON, str(ROOT / "manage.py"), *arguments],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(arguments)} exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def drill(*arguments: str, env: dict[str, str], timeout: float = 120) -> str:
    """Runs this module (setup, probe, enqueue) in an instance's environment; returns stdout."""
    result = subprocess.run(  # noqa: S603 -- our own interpreter and this module
        [PYTHON, "-m", "pollinate.core.tests.drill", *arguments],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    )
    return result.stdout


@contextlib.contextmanager
def scratch_database(var_dir: Path) -> Iterator[str]:
    """A fresh, empty database of the configured vendor; yields its ``DATABASE_URL``."""
    from django.db import connection

    var_dir.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        yield f"sqlite:///{var_dir / 'pollinate.sqlite3'}"
        return
    conf = connection.settings_dict
    name = f"drill_{secrets.token_hex(6)}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    user = quote(conf.get("USER") or "")
    password = quote(conf.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = conf.get("HOST") or "127.0.0.1"
    port = conf.get("PORT") or 5432
    try:
        yield f"postgres://{credentials}{host}:{port}/{name}"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Process:
    """A real server or worker process in its own process group, always stopped by ``stop``."""

    def __init__(self, arguments: list[str], *, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._log_file = open(log, "wb")  # noqa: SIM115 -- closed in stop()
        self.popen = subprocess.Popen(  # noqa: S603 -- our own interpreter and tools
            arguments,
            env=env,
            cwd=ROOT,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.kill_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill_group(signal.SIGKILL)
                self.popen.wait(timeout=10)
        # Children (gunicorn workers, huey worker processes) share the group: none may linger.
        self.kill_group(signal.SIGKILL)
        self._log_file.close()


def wait_until(predicate: Any, *, timeout: float = 30.0, what: str = "the condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


_VOLATILE = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'), 'name="csrfmiddlewaretoken"'),
    (re.compile(r'(name="csrf-token" content=")[^"]*"'), r'\1"'),
    (re.compile(r'("X-CSRFToken": ?")[^"]*"'), r'\1"'),
    (re.compile(r"\b\d+\W(second|minute)s?\b"), "moments"),  # "2 minutes ago" drifts
]


def page_normalise(html: str) -> str:
    for pattern, replacement in _VOLATILE:
        html = pattern.sub(replacement, html)
    return html


def pages_render(session_key: str, paths: list[str]) -> dict[str, str]:
    """Each page as the person signed in with ``session_key`` sees it (normalised)."""
    from django.test import Client

    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    pages = {}
    for path in paths:
        response = client.get(path)
        pages[path] = f"{response.status_code}\n{page_normalise(response.content.decode())}"
    return pages


def drill_email(*, key: str, hold: str) -> None:
    """A test-only task: notes each attempt, waits while ``hold`` exists, then sends one email."""
    from django.core.mail import send_mail

    with open(f"{hold}.attempts", "a") as attempts:
        attempts.write(f"{os.getpid()}\n")
    while Path(hold).exists():
        time.sleep(0.02)
    send_mail(f"Drill {key}", "Sent once.", None, ["ops@example.com"])


def http(
    method: str, url: str, *, session: str = "", form: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    """One request without following redirects: (status, lower-cased headers, body)."""
    import http.client
    from urllib.parse import urlencode, urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Host": f"{parts.hostname}:{parts.port}"}
    body = None
    if session:
        headers["Cookie"] = f"sessionid={session}; csrftoken=drillcsrftoken0123456789abcdef01"
    if form is not None:
        # A fixed CSRF cookie and the same token in the form: what a browser sends, minus a page.
        body = urlencode({"csrfmiddlewaretoken": "drillcsrftoken0123456789abcdef01", **form})
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Origin"] = f"{parts.scheme}://{parts.hostname}:{parts.port}"
        headers["Referer"] = url
    try:
        connection.request(method, parts.path or "/", body=body, headers=headers)
        response = connection.getresponse()
        return (
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read().decode(errors="replace"),
        )
    finally:
        connection.close()


def _setup(writers: int) -> None:
    """Creates a site, ``writers`` people signed in, and a practice; prints their handles."""
    import django

    django.setup()
    from django.test import Client

    from pollinate.people.tests.factories import PersonFactory, SiteFactory, UserFactory
    from pollinate.practices.services import practice_create

    site = SiteFactory(name="Drill Plant", code="drill")
    people = [
        PersonFactory(user=UserFactory(email=f"writer{n}@example.com"), site=site)
        for n in range(writers)
    ]
    practice = practice_create(actor=people[0], title="Torque check before each shift")
    sessions = []
    for person in people:
        client = Client()
        client.force_login(person.user, backend="pollinate.people.backends.MemberBackend")
        sessions.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    print(json.dumps({"practice": practice.pk, "sessions": sessions}))


def _enqueue(key: str, hold: str) -> None:
    import django

    django.setup()
    from django.db import transaction

    from pollinate.core.models import TaskRun
    from pollinate.core.tasks import task_enqueue

    with transaction.atomic():
        task_enqueue("pollinate.core.tests.drill.drill_email", key=key, hold=hold)
    print(TaskRun.objects.latest("pk").pk)


def _probe(session_key: str, paths: list[str]) -> None:
    import django

    django.setup()
    from pollinate.core.backup import database_row_counts

    print(json.dumps({"rows": database_row_counts(), "pages": pages_render(session_key, paths)}))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "probe":
        _probe(sys.argv[2], sys.argv[3:])
    elif command == "setup":
        _setup(int(sys.argv[2]))
    elif command == "enqueue":
        _enqueue(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit("usage: python -m pollinate.core.tests.drill probe|setup|enqueue ...")
