"""SQLite write-ahead-log checkpoints from a thread instead of the committing request."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pollinate.core.checkpoint import THREAD_NAME, wal_checkpoint_once, wal_checkpointer_start

ROOT = Path(__file__).resolve().parents[3]


def _database_without_autocheckpoint(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    connection.execute("CREATE INDEX note_body ON note (body)")
    return connection


def _write(connection: sqlite3.Connection, rows: int) -> None:
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        "INSERT INTO note (body) VALUES (?)", [(os.urandom(64).hex(),) for _ in range(rows)]
    )
    connection.execute("COMMIT")


def _eventually(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_the_thread_copies_committed_pages_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    writer = _database_without_autocheckpoint(path)
    _write(writer, 2000)
    size_before = path.stat().st_size
    # Nothing checkpoints on its own: the rows live only in the log.
    assert (tmp_path / "db.sqlite3-wal").stat().st_size > size_before

    stop = threading.Event()
    thread = wal_checkpointer_start(path, interval=0.02, stop=stop)
    assert thread.daemon and thread.name == THREAD_NAME
    try:
        assert _eventually(lambda: path.stat().st_size > size_before + 100_000)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    # What reached the file is the committed data, readable without the log.
    writer.close()
    (tmp_path / "db.sqlite3-wal").unlink(missing_ok=True)
    (tmp_path / "db.sqlite3-shm").unlink(missing_ok=True)
    reader = sqlite3.connect(path)
    assert reader.execute("SELECT count(*) FROM note").fetchone() == (2000,)


def test_a_grown_log_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    writer = _database_without_autocheckpoint(path)
    _write(writer, 2000)
    wal = tmp_path / "db.sqlite3-wal"
    checkpointer = sqlite3.connect(path, isolation_level=None)

    assert wal_checkpoint_once(checkpointer, wal, truncate_above=10**9)[0] == 0
    assert wal.stat().st_size > 0  # a passive checkpoint leaves the file as it is
    busy, _log, _done = wal_checkpoint_once(checkpointer, wal, truncate_above=1)
    assert busy == 0
    assert wal.stat().st_size == 0


def test_the_thread_survives_a_failing_turn(tmp_path: Path, caplog) -> None:
    # A directory where the database should be: every turn fails, and the thread goes on.
    (tmp_path / "db.sqlite3").mkdir()
    stop = threading.Event()
    thread = wal_checkpointer_start(tmp_path / "db.sqlite3", interval=0.01, stop=stop)
    try:
        assert _eventually(lambda: caplog.text.count("WAL checkpoint") >= 3)
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(5)


@pytest.mark.parametrize("checkpointer", ["true", "false"])
def test_the_setting_turns_off_sqlites_own_checkpoints(checkpointer: str, tmp_path: Path) -> None:
    code = (
        "import django; django.setup();"
        "from django.db import connection; connection.ensure_connection();"
        "print(connection.cursor().execute('PRAGMA wal_autocheckpoint').fetchone()[0])"
    )
    env = {**os.environ, "SQLITE_WAL_CHECKPOINTER": checkpointer}
    env.pop("DATABASE_URL", None)
    env.update(DJANGO_SETTINGS_MODULE="pollinate.settings", POLLINATE_VAR_DIR=str(tmp_path))
    out = subprocess.run(  # noqa: S603 -- fixed argv
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ("0" if checkpointer == "true" else "1000")
