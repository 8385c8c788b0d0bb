"""The shared cache on Redis, degraded rather than broken when Redis is down.

With ``REDIS_URL`` set, sessions (``cached_db``), rate limits and page fragments use Redis. If
Redis stops answering, Django's own Redis cache raises on every request and every page becomes a
server error. Here an unreachable Redis is a cache miss: reads return the default, writes are
dropped, sessions come from the database, and a rate limit counts each use as the first (limits
open rather than lock everyone out). Each failure is logged, so the outage is visible.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def _unreachable(operation: str) -> None:
    logger.warning("Redis is unreachable: cache %s answered as a miss", operation)


class ResilientRedisCache(RedisCache):
    def add(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> bool:
        try:
            return bool(super().add(key, value, timeout, version))
        except _UNREACHABLE:
            _unreachable("add")
            return True

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        try:
            return super().get(key, default, version)
        except _UNREACHABLE:
            _unreachable("get")
            return default

    def set(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except _UNREACHABLE:
            _unreachable("set")

    def touch(self, key: Any, timeout: Any = None, version: Any = None) -> bool:
        try:
            return bool(super().touch(key, timeout, version))
        except _UNREACHABLE:
            _unreachable("touch")
            return False

    def delete(self, key: Any, version: Any = None) -> bool:
        try:
            return bool(super().delete(key, version))
        except _UNREACHABLE:
            _unreachable("delete")
            return False

    def get_many(self, keys: Iterable[Any], version: Any = None) -> dict[Any, Any]:
        try:
            return dict(super().get_many(keys, version))
        except _UNREACHABLE:
            _unreachable("get_many")
            return {}

    def has_key(self, key: Any, version: Any = None) -> bool:
        try:
            return bool(super().has_key(key, version))
        except _UNREACHABLE:
            _unreachable("has_key")
            return False

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        try:
            return int(super().incr(key, delta, version))
        except _UNREACHABLE:
            _unreachable("incr")
            return delta

    def set_many(self, data: dict[Any, Any], timeout: Any = None, version: Any = None) -> list[Any]:
        try:
            return list(super().set_many(data, timeout, version))
        except _UNREACHABLE:
            _unreachable("set_many")
            return list(data)

    def delete_many(self, keys: Iterable[Any], version: Any = None) -> None:
        try:
            super().delete_many(keys, version)
        except _UNREACHABLE:
            _unreachable("delete_many")

    def clear(self) -> None:
        try:
            super().clear()
        except _UNREACHABLE:
            _unreachable("clear")
