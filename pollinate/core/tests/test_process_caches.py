"""The registry of what each process keeps for itself."""

from __future__ import annotations

from pollinate.core.process_caches import (
    process_cache,
    process_cache_register,
    process_caches_clear,
)


def test_clearing_empties_every_registered_cache_and_store() -> None:
    cards = process_cache("test-cards", timeout=60, max_entries=10)
    cards.set("card:1", "<li>…</li>")
    store = {"topics": [1, 2]}
    process_cache_register(store.clear)
    process_caches_clear()
    assert cards.get("card:1") is None
    assert store == {}


def test_a_process_cache_is_bounded_in_entries() -> None:
    small = process_cache("test-small", timeout=60, max_entries=3)
    for n in range(10):
        small.set(f"k{n}", n)
    assert sum(small.get(f"k{n}") is not None for n in range(10)) <= 3
