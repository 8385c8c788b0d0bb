"""The scale-out layout's services: a real PostgreSQL cluster and a real Redis, started, stopped."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest
import redis

from pollinate.bench.services import scale_out


def _listening(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def services_dir() -> Iterator[Path]:
    # Not pytest's tmp_path: as root, PostgreSQL runs as ``postgres``, which cannot enter it.
    root = Path(tempfile.mkdtemp(prefix="pollinate-services-"))
    root.chmod(0o755)  # mkdtemp's 0700 would keep it out too
    yield root / "services"
    shutil.rmtree(root, ignore_errors=True)


def test_the_layout_serves_postgres_and_redis_and_resets_and_stops_them(
    services_dir: Path,
) -> None:
    with scale_out(services_dir) as (env, reset):
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as database:
            database.execute("CREATE TABLE kept (n int)")
            assert database.execute("SHOW server_version").fetchone()[0]
        client = redis.Redis.from_url(env["REDIS_URL"])
        client.set("k", "v")
        assert client.get("k") == b"v"
        reset()  # what a new generation starts from: an empty database
        with psycopg.connect(env["DATABASE_URL"]) as database:
            tables = database.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()
            assert tables == (0,)
    assert not _listening(env["DATABASE_URL"])
    assert not _listening(env["REDIS_URL"])
    # The cluster is kept for the next run, as a generated organisation is.
    with (
        scale_out(services_dir) as (again, _reset),
        psycopg.connect(again["DATABASE_URL"]) as database,
    ):
        assert database.execute("SELECT 1").fetchone() == (1,)
