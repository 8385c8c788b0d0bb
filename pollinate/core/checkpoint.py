"""SQLite write-ahead-log checkpoints off the request path.

By default SQLite checkpoints inside the commit that pushes the log past 1 000 pages: that
request copies a few megabytes into the database file and syncs it, 15–80 ms at 100 writes/s on
this project's benchmark machine, while the commits around it take 0.3 ms. The web workers turn
that off (``wal_autocheckpoint=0``, see ``pollinate/settings.py``) and each runs this thread
instead: a PASSIVE checkpoint every fraction of a second, which never takes the write lock, so
no writer waits for it.

A passive checkpoint cannot move the log back to its start while writers keep appending, so
under a long burst the log file grows; past ``truncate_above`` bytes one TRUNCATE checkpoint
(which briefly holds writers back) shrinks it again. Other processes (the task worker, the
realtime server, management commands) keep SQLite's own checkpoints.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

THREAD_NAME = "pollinate-wal-checkpoint"
INTERVAL_SECONDS = 0.2
TRUNCATE_ABOVE_BYTES = 64 * 1024 * 1024


def wal_checkpoint_once(
    connection: sqlite3.Connection, wal: Path, *, truncate_above: int
) -> tuple[int, int, int]:
    """One passive checkpoint; a truncating one too when the log has grown past the bound.

    Returns SQLite's (busy, frames in the log, frames checkpointed) of the last checkpoint."""
    busy, log, done = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    try:
        size = wal.stat().st_size
    except FileNotFoundError:
        size = 0
    if size > truncate_above:
        busy, log, done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return busy, log, done


def wal_checkpointer_start(
    database: str | os.PathLike[str],
    *,
    interval: float = INTERVAL_SECONDS,
    truncate_above: int = TRUNCATE_ABOVE_BYTES,
    stop: threading.Event | None = None,
) -> threading.Thread:
    """Starts the daemon thread that checkpoints ``database`` every ``interval`` seconds, until
    ``stop`` is set (a worker's thread ends with its process)."""
    stopped = stop or threading.Event()
    path = Path(database)
    wal = path.with_name(path.name + "-wal")

    def run() -> None:
        while not stopped.wait(interval):
            # A connection per turn (a fraction of a millisecond), not one kept open: a kept one
            # would hold the file open across a fault (a read-only or vanished database) and let
            # SQLite hand its descriptor to the requests' new connections.
            # A TRUNCATE checkpoint waits for writers up to 1 s.
            try:
                connection = sqlite3.connect(path, timeout=1.0, isolation_level=None)
                try:
                    wal_checkpoint_once(connection, wal, truncate_above=truncate_above)
                finally:
                    connection.close()
            except sqlite3.Error:
                # A busy or vanished database is retried on the next turn; the thread must
                # outlive any one failure or the log would grow until the worker restarts.
                logger.warning("WAL checkpoint of %s failed; retrying", path, exc_info=True)

    thread = threading.Thread(target=run, name=THREAD_NAME, daemon=True)
    thread.start()
    return thread
