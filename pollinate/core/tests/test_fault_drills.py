"""Fault drills: real processes are killed, the database fails, and nothing acknowledged is lost.

Each drill runs Pollinate as an operator does (gunicorn with ``pollinate/gunicorn_conf.py``,
``manage.py run_worker``) on a scratch database of the configured vendor, breaks something for
real, and checks what people see during the fault and what is left after recovery. What each drill
shows is written up in docs/operations.md.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from pollinate.activity.models import Activity
from pollinate.core.testing import SmtpInbox, free_port
from pollinate.core.tests.drill import (
    PYTHON,
    ROOT,
    Process,
    drill,
    http,
    instance_env,
    manage,
    scratch_database,
    wait_until,
)
from pollinate.people.models import Person
from pollinate.practices.models import Comment
from pollinate.practices.services import practice_create

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Instance:
    var_dir: Path
    database_url: str
    env: dict[str, str]
    practice: int
    sessions: list[str]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Reads the scratch database directly, bypassing the app under test."""
        if self.database_url.startswith("sqlite"):
            opened = sqlite3.connect(self.database_url.removeprefix("sqlite:///"))
            try:
                return opened.execute(sql).fetchall()
            finally:
                opened.close()
        import psycopg

        with psycopg.connect(self.database_url.replace("postgres://", "postgresql://")) as pg:
            return pg.execute(sql).fetchall()  # type: ignore[arg-type]

    def integrity_ok(self) -> bool:
        if self.database_url.startswith("sqlite"):
            return self.query("PRAGMA integrity_check") == [("ok",)]
        # PostgreSQL: every comment still points at a practice and a person (no half rows).
        orphans = self.query(
            "SELECT COUNT(*) FROM practices_comment c LEFT JOIN practices_practice p"
            " ON p.id = c.practice_id WHERE p.id IS NULL"
        )
        return orphans == [(0,)]


@pytest.fixture(scope="module")
def instance(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup: None, django_db_blocker: Any
) -> Iterator[Instance]:
    """One migrated scratch instance with three signed-in writers, shared by the drills."""
    var_dir = tmp_path_factory.mktemp("instance")
    with django_db_blocker.unblock(), scratch_database(var_dir / "db") as database_url:
        env = instance_env(var_dir, database_url)
        manage("migrate", "-v0", env=env)
        handles = json.loads(drill("setup", "3", env=env))
        yield Instance(var_dir, database_url, env, handles["practice"], handles["sessions"])


@pytest.fixture(scope="module")
def server(instance: Instance) -> Iterator[str]:
    """gunicorn (pollinate/gunicorn_conf.py) on a free loopback port; yields its base URL.

    Connections are not kept between requests: the drills pull the database out from under the
    server, and a kept SQLite connection would go on using the file it already has open. The
    write-ahead-log checkpointer is off for the same reason: while any connection of a process is
    open, SQLite may hand a new connection a file descriptor opened before the fault.
    """
    process, base = _gunicorn(instance, DB_CONN_MAX_AGE="0", SQLITE_WAL_CHECKPOINTER="false")
    try:
        yield base
    finally:
        process.stop()


def _gunicorn(instance: Instance, **overrides: str) -> tuple[Process, str]:
    port = free_port()
    env = {
        **instance.env,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_WORKERS": "2",
        "WEB_THREADS": "2",
        **overrides,
    }
    server = Process(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "-c",
            "pollinate/gunicorn_conf.py",
            "pollinate.wsgi:application",
        ],
        env=env,
        log=instance.var_dir / f"gunicorn-{port}.log",
    )
    base = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        if server.popen.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{server.output()}")
        try:
            return http("GET", f"{base}/healthz")[0] == 200
        except OSError:
            return False

    wait_until(answering, timeout=60, what="gunicorn to answer")
    return server, base


def _comment(base: str, instance: Instance, session: str, body: str) -> int | None:
    """Posts a comment; returns its id when the server acknowledged it, else None."""
    status, headers, _ = http(
        "POST",
        f"{base}/practices/{instance.practice}/comments/",
        session=session,
        form={"body": body},
    )
    if status != 302:
        return None
    match = re.search(r"#comment-(\d+)$", headers.get("location", ""))
    return int(match.group(1)) if match else None


def _comments(instance: Instance) -> dict[int, str]:
    return dict(instance.query("SELECT id, body FROM practices_comment"))  # type: ignore[arg-type]


# --- (1) the task worker is killed mid-task ---------------------------------------------------


def test_a_task_worker_killed_mid_task_completes_it_once_after_restart(
    instance: Instance, smtp: SmtpInbox
) -> None:
    env = {
        **instance.env,
        "TASKS_IMMEDIATE": "0",
        "TASKS_WORKERS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
    }
    hold = instance.var_dir / "hold"
    hold.touch()
    run_id = int(drill("enqueue", "k1", str(hold), env=env).strip())
    attempts = Path(f"{hold}.attempts")

    worker = Process(
        [
            PYTHON,
            str(ROOT / "manage.py"),
            "run_worker",
            "--no-periodic",
            "--worker-type",
            "process",
        ],
        env=env,
        log=instance.var_dir / "worker-1.log",
    )
    try:
        wait_until(attempts.exists, timeout=60, what="the task to start")
        status = instance.query(f"SELECT status FROM core_taskrun WHERE id = {run_id}")  # noqa: S608
        assert status == [("running",)]
        worker.kill_group(signal.SIGKILL)  # consumer and its worker process, mid-task
        worker.popen.wait(timeout=10)
    finally:
        worker.stop()
    assert smtp.messages == []  # the killed attempt never reached its effect
    hold.unlink()

    restarted = Process(
        [
            PYTHON,
            str(ROOT / "manage.py"),
            "run_worker",
            "--no-periodic",
            "--worker-type",
            "process",
        ],
        env=env,
        log=instance.var_dir / "worker-2.log",
    )
    try:
        wait_until(
            lambda: (
                instance.query(f"SELECT status FROM core_taskrun WHERE id = {run_id}")  # noqa: S608
                == [("succeeded",)]
            ),
            timeout=60,
            what="the restarted worker to finish the task",
        )
    finally:
        restarted.stop()
    assert "Re-queued 1 tasks" in restarted.output()
    assert [m["Subject"] for m in smtp.messages] == ["Drill k1"]
    assert len(attempts.read_text().split()) == 2  # killed once, completed once
    assert instance.query(f"SELECT attempts FROM core_taskrun WHERE id = {run_id}") == [(2,)]  # noqa: S608


# --- (2) and (3): the database is unavailable, then read-only --------------------------------


def _database_name(instance: Instance) -> str:
    return instance.database_url.rsplit("/", 1)[1]


def _pg_admin(sql: str, instance: Instance) -> None:
    """Runs ``sql`` about the drill database from the test database's connection, then drops
    the drill database's sessions so the change applies to every new request at once."""
    name = _database_name(instance)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(db=f'"{name}"'))
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )


def _sqlite_file(instance: Instance) -> Path:
    return Path(instance.database_url.removeprefix("sqlite:///"))


def _take_database_away(instance: Instance) -> None:
    if connection.vendor == "sqlite":
        folder = _sqlite_file(instance).parent
        folder.rename(folder.with_name("db-away"))  # as if its disk were unmounted
    else:
        _pg_admin("ALTER DATABASE {db} ALLOW_CONNECTIONS false", instance)


def _bring_database_back(instance: Instance) -> None:
    if connection.vendor == "sqlite":
        folder = _sqlite_file(instance).parent
        folder.with_name("db-away").rename(folder)
    else:
        _pg_admin("ALTER DATABASE {db} ALLOW_CONNECTIONS true", instance)


def _make_read_only(instance: Instance, on: bool) -> None:
    if connection.vendor == "sqlite":
        # chattr +i holds even for root, whom file permissions do not stop.
        flag = "+i" if on else "-i"
        if os.geteuid() == 0:
            subprocess.run(["chattr", flag, str(_sqlite_file(instance))], check=True)  # noqa: S603, S607
        else:
            _sqlite_file(instance).chmod(0o444 if on else 0o644)
    elif on:
        _pg_admin("ALTER DATABASE {db} SET default_transaction_read_only = on", instance)
    else:
        _pg_admin("ALTER DATABASE {db} RESET default_transaction_read_only", instance)


def _consistent(instance: Instance) -> bool:
    """Each comment's three writes (row, counter, activity) are all there or all absent."""
    comments = instance.query("SELECT COUNT(*) FROM practices_comment")[0][0]
    counter = instance.query(
        f"SELECT comment_count FROM practices_practice WHERE id = {instance.practice}"  # noqa: S608
    )[0][0]
    activities = instance.query(
        "SELECT COUNT(*) FROM activity_activity WHERE verb = 'practice.commented'"
    )[0][0]
    return comments == counter == activities and instance.integrity_ok()


def test_with_the_database_gone_pages_answer_503_and_recover_without_a_restart(
    instance: Instance, server: str
) -> None:
    page = f"{server}/practices/{instance.practice}/"
    writer = instance.sessions[0]
    before = _comments(instance)
    acknowledged = _comment(server, instance, writer, "Before the outage")
    assert acknowledged is not None
    _take_database_away(instance)
    try:
        status, headers, body = http("GET", page, session=writer)
        assert status == 503
        assert "cannot reach its database" in body
        assert "Traceback" not in body
        assert headers["retry-after"] == "30"
        health_status, _, health = http("GET", f"{server}/healthz")
        assert (health_status, json.loads(health)["database"]) == (503, "unavailable")
        assert _comment(server, instance, writer, "During the outage") is None
        api_status, _, api_body = http("GET", f"{server}/api/practices/", session=writer)
        assert api_status == 503
        assert json.loads(api_body)["code"] == "service_unavailable"
    finally:
        _bring_database_back(instance)

    # The same server, not restarted, serves again.
    assert http("GET", page, session=writer)[0] == 200
    assert http("GET", f"{server}/healthz")[0] == 200
    after_outage = _comment(server, instance, writer, "After the outage")
    assert after_outage is not None
    comments = _comments(instance)
    assert comments == {
        **before,
        acknowledged: "Before the outage",
        after_outage: "After the outage",
    }
    assert _consistent(instance)


def test_a_read_only_database_refuses_writes_with_a_clear_message_and_keeps_reading(
    instance: Instance, server: str
) -> None:
    page = f"{server}/practices/{instance.practice}/"
    writer = instance.sessions[1]
    acknowledged = _comment(server, instance, writer, "Saved before read-only")
    assert acknowledged is not None
    before = _comments(instance)
    _make_read_only(instance, True)
    try:
        status, _, body = http("GET", page, session=writer)
        assert status == 200 and "Saved before read-only" in body  # reading still works
        status, _, body = http(
            "POST", f"{page}comments/", session=writer, form={"body": "Refused while read-only"}
        )
        assert status == 503
        assert "read-only right now, so this change was not saved" in body
        assert "Traceback" not in body
        health_status, _, health = http("GET", f"{server}/healthz")
        assert (health_status, json.loads(health)["database"]) == (503, "read_only")
    finally:
        _make_read_only(instance, False)
    assert _comments(instance) == before
    assert http("GET", f"{server}/healthz")[0] == 200
    assert _comment(server, instance, writer, "Saved after read-only") is not None
    assert _consistent(instance)


# --- (4) the disk is full ---------------------------------------------------------------------


@pytest.fixture
def disk_full_switch() -> Iterator[Any]:
    """``switch(True)`` makes new rows fail as a full disk does; ``switch(False)`` frees space.

    SQLite: ``PRAGMA max_page_count`` just above the current size (SQLITE_FULL, exactly what a
    full disk gives). PostgreSQL cannot be filled safely on a shared server, so a trigger raises
    the server's own ``disk_full`` error (SQLSTATE 53100) on new comments.
    """

    def switch(on: bool) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                if on:
                    # Pages freed by earlier tests would take new rows without growing the file
                    # (how many depends on test order): use them up first.
                    cursor.execute("PRAGMA freelist_count")
                    free = cursor.fetchone()[0]
                    cursor.execute("PRAGMA page_size")
                    page_size = cursor.fetchone()[0]
                    cursor.execute("CREATE TABLE IF NOT EXISTS drill_filler (b BLOB)")
                    cursor.execute(
                        "INSERT INTO drill_filler VALUES (zeroblob(%s))", [free * page_size]
                    )
                cursor.execute("PRAGMA page_count")
                pages = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA max_page_count = {pages + 8 if on else 1073741823}")
            elif on:
                cursor.execute(
                    "CREATE OR REPLACE FUNCTION drill_disk_full() RETURNS trigger AS $$ BEGIN"
                    " RAISE EXCEPTION 'could not extend file: No space left on device'"
                    " USING ERRCODE = 'disk_full'; END $$ LANGUAGE plpgsql"
                )
                cursor.execute(
                    "CREATE TRIGGER drill_disk_full BEFORE INSERT ON practices_comment"
                    " FOR EACH ROW EXECUTE FUNCTION drill_disk_full()"
                )
            else:
                cursor.execute("DROP TRIGGER IF EXISTS drill_disk_full ON practices_comment")
                cursor.execute("DROP FUNCTION IF EXISTS drill_disk_full()")

    yield switch
    switch(False)


def test_a_full_disk_refuses_the_write_clearly_and_keeps_what_was_saved(
    alice: Person, disk_full_switch: Any
) -> None:
    from django.test import Client

    practice = practice_create(actor=alice, title="Label the spare parts shelf")
    client = Client(raise_request_exception=False)
    client.force_login(alice.user, backend="pollinate.people.backends.MemberBackend")
    saved = client.post(f"/practices/{practice.pk}/comments/", {"body": "Saved first"})
    assert saved.status_code == 302
    disk_full_switch(True)
    refused = None
    for n in range(50):  # SQLite: a few comments still fit in the last pages (limit: 60)
        response = client.post(
            f"/practices/{practice.pk}/comments/", {"body": f"{n} " + "x" * 3000}
        )
        if response.status_code != 302:
            refused = response
            break
    assert refused is not None
    assert refused.status_code == 503
    assert "storage is full, so this change was not saved" in refused.content.decode()
    disk_full_switch(False)
    comments = list(Comment.objects.filter(practice=practice).values_list("body", flat=True))
    assert "Saved first" in comments
    practice.refresh_from_db()
    assert practice.comment_count == len(comments)
    assert Activity.objects.filter(verb="practice.commented").count() == len(comments)
    again = client.post(f"/practices/{practice.pk}/comments/", {"body": "Space freed"})
    assert again.status_code == 302


# --- (5) an app worker is killed mid-write ----------------------------------------------------


def _worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def test_killing_an_app_worker_during_writes_loses_nothing_acknowledged(
    instance: Instance, tmp_path: Path
) -> None:
    process, base = _gunicorn(instance)
    acknowledged: dict[int, str] = {}
    refused = 0
    lock = threading.Lock()
    killed = threading.Event()

    def write(session: str, writer: int) -> None:
        nonlocal refused
        for n in range(20):
            body = f"Load {writer}-{n}"
            try:
                comment = _comment(base, instance, session, body)
            except OSError:  # the connection died with the worker
                comment = None
            with lock:
                if comment is None:
                    refused += 1
                else:
                    acknowledged[comment] = body

    before = _comments(instance)
    try:
        writers = [
            threading.Thread(target=write, args=(session, n))
            for n, session in enumerate(instance.sessions)
        ]
        for thread in writers:
            thread.start()
        wait_until(lambda: len(acknowledged) >= 6, timeout=60, what="writes to be acknowledged")
        for pid in _worker_pids(process.popen.pid):
            os.kill(pid, signal.SIGKILL)  # every worker, so the kill lands mid-request
        killed.set()
        for thread in writers:
            thread.join(timeout=120)
        assert http("GET", f"{base}/healthz")[0] == 200  # the master started new workers
    finally:
        process.stop()

    assert killed.is_set() and len(acknowledged) >= 6
    # Three writers always have a request in flight, so the kill cut some short (3 of 3 observed).
    assert refused >= 1
    comments = _comments(instance)
    for comment_id, body in acknowledged.items():
        assert comments.get(comment_id) == body  # nothing acknowledged is lost
    unacknowledged = set(comments) - set(acknowledged) - set(before)
    assert len(unacknowledged) <= refused  # only requests cut short may have landed silently
    assert _consistent(instance)
