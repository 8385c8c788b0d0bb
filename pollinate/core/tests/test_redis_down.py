"""Fault drill: Redis stops while Pollinate uses it for sessions, rate limits and the cache.

A real ``redis-server`` is started on a free loopback port and killed mid-test. Pages keep
answering (sessions come from the database), writes still go through, and queued work is kept
in the database (``TaskRun``) until the queue is back: see test_tasks for ``task_recover``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.core.cache import caches
from django.urls import reverse

from pollinate.bench.services import redis_argv
from pollinate.core.cache import ResilientRedisCache
from pollinate.core.testing import free_port

ROOT = Path(__file__).resolve().parents[3]


class RedisServer:
    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        server = shutil.which("redis-server")
        assert server, "redis-server is missing: run scripts/install-system-packages"
        self.process = subprocess.Popen(  # noqa: S603 -- Debian's redis-server, fixed arguments
            redis_argv(server, port, workdir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), tmp_path)
    yield server
    if server.process.poll() is None:
        server.kill()


def _cache_settings(url: str) -> dict[str, object]:
    return {
        "default": {
            "BACKEND": "pollinate.core.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }


def test_with_redis_gone_reads_miss_writes_drop_and_limits_open(redis_server: RedisServer) -> None:
    cache = ResilientRedisCache(redis_server.url, {})
    cache.set("k", "v")
    assert cache.get("k") == "v"
    assert cache.add("k", "w") is False  # it is there: Redis really answered
    redis_server.kill()
    assert cache.get("k", "default") == "default"
    assert cache.get_many(["k"]) == {}
    assert cache.add("counter", 1) is True  # a rate limit counts this use as the first
    assert cache.incr("counter") == 1
    cache.set("k", "x")
    cache.delete("k")
    assert cache.has_key("k") is False


@pytest.mark.django_db
def test_pages_and_writes_keep_working_when_redis_goes_down(
    redis_server: RedisServer, settings, as_client, bob
) -> None:
    settings.CACHES = _cache_settings(redis_server.url)
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    caches["default"].clear()
    client = as_client(bob)
    assert client.get(reverse("questions:list")).status_code == 200
    redis_server.kill()
    # Still signed in (the session is read from the database) and the page renders.
    page = client.get(reverse("questions:list"))
    assert page.status_code == 200 and "Sign out" in page.text
    # A write goes through: its rate limit opens instead of failing the request.
    asked = client.post(
        reverse("questions:ask"),
        {
            "title": "How do you stop coolant foaming?",
            "body": "It overflows on line 3.",
            "language": "en",
        },
    )
    assert asked.status_code == 302, asked.text[:500]
    from pollinate.questions.models import Question

    assert Question.objects.filter(title="How do you stop coolant foaming?").exists()


def test_the_redis_settings_use_the_resilient_cache(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "POLLINATE_TESTING"}}
    env.update(
        REDIS_URL="redis://127.0.0.1:1/0",
        POLLINATE_DEV_SECRET="1",
        POLLINATE_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="pollinate.settings",
    )
    script = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    out = subprocess.run(  # noqa: S603 -- this interpreter, a fixed script
        [sys.executable, "-c", "import django; django.setup(); " + script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "pollinate.core.cache.ResilientRedisCache"
