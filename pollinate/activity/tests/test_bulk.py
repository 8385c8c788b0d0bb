"""Loading many spine rows at once (generated history): rows as the ORM would store them, and
the spine's indexes deferred and put back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction

from pollinate.activity.bulk import SpineWriter, spine_indexes_deferred
from pollinate.activity.models import Activity
from pollinate.activity.services import activity_record

pytestmark = pytest.mark.django_db


def _spine_indexes() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Activity._meta.db_table)
    return {name for name, c in constraints.items() if c["index"] and not c["primary_key"]}


def test_loaded_rows_read_back_like_recorded_ones_and_sort_among_them(bob) -> None:
    recorded = activity_record(actor=bob, verb="test.recorded", target=bob)
    writer = SpineWriter(batch=2)
    start = recorded.created_at
    for n, offset in enumerate((30, -30, 10)):  # a batch of two, written in time order
        writer.add(
            "test.loaded",
            "people.person",
            bob.pk,
            bob.pk,
            bob.site_id,
            start + timedelta(seconds=offset, microseconds=n),
            {"n": n, "title": "Café ☕"},
        )
    assert writer.written == 2 and len(writer.rows) == 1
    writer.flush()
    assert writer.written == 3 and writer.rows == []

    loaded = Activity.objects.filter(verb="test.loaded")
    assert {(a.payload["n"], a.created_at) for a in loaded} == {
        (n, start + timedelta(seconds=offset, microseconds=n))
        for n, offset in enumerate((30, -30, 10))
    }
    assert all(a.payload["title"] == "Café ☕" and a.is_public for a in loaded)
    assert all(a.created_at.tzinfo is not None for a in loaded)
    # Ordered by time with the recorded row, and found by a date range, on either database.
    assert [a.payload.get("n") for a in Activity.objects.filter(actor=bob)] == [0, 2, None, 1]
    assert Activity.objects.filter(created_at__gt=start).count() == 2
    assert Activity.objects.filter(created_at__lt=datetime(2000, 1, 1, tzinfo=UTC)).count() == 0
    # On a whole second, where a timestamp written with its offset would sort after itself.
    second = datetime(2025, 3, 1, 8, 0, 0, tzinfo=UTC)
    writer.add("test.second", "people.person", bob.pk, bob.pk, bob.site_id, second, {})
    writer.flush()
    assert Activity.objects.filter(verb="test.second", created_at__lte=second).count() == 1


def test_deferred_indexes_are_put_back_after_a_load_and_after_a_failed_one(bob) -> None:
    indexes = _spine_indexes()
    assert len(indexes) >= 4
    with transaction.atomic(), spine_indexes_deferred():
        if connection.vendor == "sqlite":
            assert _spine_indexes() == set()
        activity_record(actor=bob, verb="test.loaded", target=bob)
    assert _spine_indexes() == indexes
    assert Activity.objects.filter(verb="test.loaded").count() == 1

    def failing_load() -> None:
        with transaction.atomic(), spine_indexes_deferred():
            activity_record(actor=bob, verb="test.failed", target=bob)
            raise RuntimeError("the load stopped halfway")

    with pytest.raises(RuntimeError):
        failing_load()
    assert _spine_indexes() == indexes
    assert not Activity.objects.filter(verb="test.failed").exists()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            assert cursor.fetchone()[0] == -20000  # the connection's own setting, restored
