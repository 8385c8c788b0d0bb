"""Loading millions of spine rows at once: generated history (``generate_org`` at the benchmark's
L scale, the analytics bench). Never used by requests: it bypasses ``activity_record`` and the
spine subscribers, so whoever loads rows rebuilds what reads them (e.g. ``rollups_rebuild``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db import connection

from pollinate.activity.models import Activity
from pollinate.core.bulk_loading import bulk_page_cache


class SpineWriter:
    """Collects activity rows and inserts them in batches, in time order within each batch.

    ``bulk_create`` builds a model instance per row, which alone would take most of an hour at
    10M rows on the benchmark machine; the same INSERT through ``executemany`` is what it runs
    underneath.
    """

    def __init__(self, batch: int = 50_000) -> None:
        table = Activity._meta.db_table
        self.sql = (
            f"INSERT INTO {table} (verb, object_type, object_id, actor_id, site_id, "  # noqa: S608 -- our table
            "created_at, payload, is_public) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        )
        self.batch = batch
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0

    def add(
        self,
        verb: str,
        object_type: str,
        object_id: int,
        actor_id: int,
        site_id: int,
        created_at: datetime,
        payload: dict[str, Any],
    ) -> None:
        # Stored as the ORM stores it (on SQLite: naive UTC text), so ordering and date ranges
        # compare these rows with the ones requests write.
        when = connection.ops.adapt_datetimefield_value(created_at)
        self.rows.append(
            (verb, object_type, object_id, actor_id, site_id, when, json.dumps(payload), True)
        )
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.rows.sort(key=lambda row: row[5])
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
            self.written += len(self.rows)
            self.rows = []


@contextlib.contextmanager
def spine_indexes_deferred() -> Iterator[None]:
    """On SQLite, loads the spine without its secondary indexes and builds them afterwards.

    Its indexes updated row by row through a 20 MB page cache are what made a 10M load take
    most of an hour; ``CREATE INDEX`` over the finished table sorts once instead. Call it inside
    the load's transaction, so that an interrupted load leaves the indexes as they were.
    """
    if connection.vendor != "sqlite":
        yield
        return
    table = Activity._meta.db_table
    with bulk_page_cache():  # 1 GiB for the load and for sorting the indexes
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
                " AND sql IS NOT NULL",
                [table],
            )
            indexes = cursor.fetchall()
            for name, _sql in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for _name, sql in indexes:
                    cursor.execute(sql)
