"""Caches each worker process keeps for itself (rendered cards, page heads, search candidates, the
taxonomy): one registry, so that whatever must start from nothing can empty them all at once.

The test suite does so before every test: a test's rows are rolled back and their ids reused by
the next test, but a process cache would still hold what it kept of them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache.backends.locmem import LocMemCache

_CLEARERS: list[Callable[[], None]] = []


def process_cache(name: str, *, timeout: int, max_entries: int) -> LocMemCache:
    """A cache in this process's memory, bounded in entries and time, emptied with the others."""
    cache = LocMemCache(name, {"TIMEOUT": timeout, "OPTIONS": {"MAX_ENTRIES": max_entries}})
    _CLEARERS.append(cache.clear)
    return cache


def process_cache_register(clear: Callable[[], None]) -> None:
    """Registers how to empty a per-process store that is not a ``process_cache``."""
    _CLEARERS.append(clear)


def process_caches_clear() -> None:
    for clear in _CLEARERS:
        clear()
