"""What a process that writes millions of rows at once (a generation, a rebuild) asks of SQLite.

Requests keep the connection's own page cache (``cache_size`` in ``pollinate/settings.py``,
20 MB). Sorting a new index over millions of rows, or a rebuild inserting millions of index
entries, spills and rereads pages through it all the time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def bulk_page_cache(mib: int = 1024) -> Iterator[None]:
    """A page cache of ``mib`` MiB on this connection while the block runs (SQLite only); the
    connection's own size afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = -{int(mib) * 1024}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous}")
