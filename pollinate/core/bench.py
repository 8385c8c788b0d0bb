"""Benchmark of the shared search module alone (no access filter, no ranking blend, no page).

The harness (``pollinate.bench.engines``) calls ``search_worst_query(scale=...)`` inside Django
against its benchmark database.
"""

from __future__ import annotations

import time
from typing import Any

from pollinate.core.search import search_ids, search_kinds

QUERIES = ["shadow", "check", "qualité", "焊接", "s", "torque wrench", "zzzz-no-match", "the a"]


def search_worst_query(*, scale: str = "") -> dict[str, Any]:
    """Slowest candidate lookup (best of 3 per query) over every registered kind, in ms."""
    timings: dict[str, float] = {}
    for kind in list(search_kinds()) or ["practice"]:
        for query in QUERIES:
            runs = []
            for _ in range(3):
                start = time.process_time()
                search_ids(kind, query)
                runs.append((time.process_time() - start) * 1000)
            timings[f"{kind}:{query}"] = round(min(runs), 2)
    return {
        "value": max(timings.values()) if timings else 0.0,
        "unit": "ms CPU, slowest candidate lookup",
        "queries": timings,
    }
