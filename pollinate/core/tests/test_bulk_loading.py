"""The larger page cache a bulk write asks for, and the connection's own afterwards."""

from __future__ import annotations

import pytest
from django.db import connection

from pollinate.core.bulk_loading import bulk_page_cache

pytestmark = pytest.mark.django_db


def _cache_size() -> int | None:
    """SQLite's page cache in KiB (negative) or pages; None on a server database."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return int(cursor.fetchone()[0])


def test_the_page_cache_grows_for_the_block_and_returns_to_the_connections_own() -> None:
    sqlite = connection.vendor == "sqlite"
    own = _cache_size()
    ran = []
    with bulk_page_cache(64):
        ran.append("outer")
        assert _cache_size() == (-64 * 1024 if sqlite else None)
        with bulk_page_cache():  # nested: the outer size comes back, not the connection's
            ran.append("inner")
            assert _cache_size() == (-1024 * 1024 if sqlite else None)
        assert _cache_size() == (-64 * 1024 if sqlite else None)
    assert _cache_size() == own and ran == ["outer", "inner"]
    with pytest.raises(RuntimeError), bulk_page_cache(64):
        raise RuntimeError("the load failed")
    assert _cache_size() == own
