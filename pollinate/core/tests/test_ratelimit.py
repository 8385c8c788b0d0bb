"""Fixed-window rate limits counted in the shared cache (the database, or Redis)."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pollinate.core.ratelimit import ratelimit_hit, ratelimit_used

CULL_CHECK = 'SELECT COUNT(*) FROM "pollinate_cache"'


def _cache_writes(queries: list[dict[str, str]]) -> int:
    # Each add() or set() of the database cache opens a write transaction and first counts the
    # table (its culling check), on SQLite and PostgreSQL alike.
    return sum(1 for query in queries if query["sql"].startswith(CULL_CHECK))


def test_the_limit_allows_that_many_uses_per_window_then_says_how_long_to_wait(db: None) -> None:
    cache.clear()
    assert [ratelimit_hit("test", "u1", limit=3, window=60) for _ in range(3)] == [None] * 3
    wait = ratelimit_hit("test", "u1", limit=3, window=60)
    assert wait is not None and 1 <= wait <= 60
    assert ratelimit_used("test", "u1", window=60) == 4
    # Per key and per scope.
    assert ratelimit_hit("test", "u2", limit=3, window=60) is None
    assert ratelimit_hit("other", "u1", limit=3, window=60) is None


def test_a_counted_use_costs_one_cache_write_once_the_window_has_begun(db: None, settings) -> None:
    # The suite runs without Redis, so the database cache counts (Redis would use INCR).
    assert settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")
    cache.clear()
    ratelimit_hit("test", "u1", limit=10, window=60)
    with CaptureQueriesContext(connection) as queries:
        ratelimit_hit("test", "u1", limit=10, window=60)
    assert _cache_writes(queries.captured_queries) == 1
    assert ratelimit_used("test", "u1", window=60) == 2


def test_a_new_window_starts_a_new_count_and_the_wait_is_what_is_left_of_the_window(
    db: None, monkeypatch
) -> None:
    from pollinate.core import ratelimit

    cache.clear()
    now = [1_800_000_045]  # 45 s into a 60-second window
    monkeypatch.setattr(ratelimit, "ratelimit_clock", lambda: now[0])
    assert ratelimit_hit("test", "u1", limit=1, window=60) is None
    assert ratelimit_hit("test", "u1", limit=1, window=60) == 15
    now[0] += 14
    assert ratelimit_hit("test", "u1", limit=1, window=60) == 1
    now[0] += 1  # the next window
    assert ratelimit_hit("test", "u1", limit=1, window=60) is None
    assert ratelimit_used("test", "u1", window=60) == 1


def test_the_count_expires_with_its_window_not_after_a_pause(db: None, monkeypatch) -> None:
    """Django's generic incr() would store the count with the cache's 5-minute default, so an
    hour's limit would forget earlier tries whenever someone paused for five minutes."""
    import time
    from datetime import UTC, datetime

    from pollinate.core import ratelimit

    cache.clear()
    hour = int(time.time()) // 3600 * 3600
    monkeypatch.setattr(ratelimit, "ratelimit_clock", lambda: hour + 10)  # 3 590 s left
    for _ in range(3):
        assert ratelimit_hit("test", "u1", limit=5, window=3600) is None
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT "expires" FROM "pollinate_cache" WHERE "cache_key" LIKE %s', ["%rl:test:u1:%"]
        )
        (expires,) = cursor.fetchone()
    if isinstance(expires, str):
        expires = datetime.fromisoformat(expires)
    expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    left = expires.timestamp() - time.time()
    assert 3500 < left <= 3600, left
    assert ratelimit_used("test", "u1", window=3600) == 3
