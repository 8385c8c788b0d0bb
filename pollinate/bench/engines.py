"""Engine benchmarks: pure or batch code timed on its own, outside the HTTP path.

An app exposes one by writing a function in ``pollinate/<app>/bench.py``::

    def batch_matching(*, scale: str) -> dict[str, float | str]:
        ...
        return {"value": 1.8, "unit": "s for 10k requests x 1k coaches"}

and adding it to ``ENGINES`` below. A function that already returns a dict of several figures
can be registered as it is, naming the ``field`` to record and its ``unit``. The harness runs it
inside Django against the benchmark database (so it may read generated rows), before the server
starts, and records what it returns.
A module or function that does not exist yet is skipped; one that raises is recorded as failed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Engine:
    name: str
    module: str
    function: str
    # For functions returning several figures: which one is the headline, and in what unit.
    field: str = ""
    unit: str = ""


ENGINES: list[Engine] = [
    Engine(
        "coaching_batch_matching_10k_x_1k",
        "pollinate.coaching.bench",
        "bench_batch",
        field="seconds",
        unit="s (best of 3, 10k requests x 1k coaches)",
    ),
    Engine(
        "coaching_suggest_p95",
        "pollinate.coaching.bench",
        "bench_suggest",
        field="p95_ms",
        unit="ms per suggestion among 5k coaches",
    ),
    Engine("search_worst_query", "pollinate.practices.bench", "search_worst_query"),
    Engine("search_worst_query_core", "pollinate.core.bench", "search_worst_query"),
    Engine("chat_fanout_p99", "pollinate.chats.bench", "fanout_p99"),
    # One child process with its own 300k-question database (3k at XS), run once, read thrice.
    *(
        Engine(
            f"questions_{figure}_p95",
            "pollinate.questions.bench",
            "bench_questions",
            field=f"{figure}_p95_ms",
            unit=f"ms p95 ({what}; 300k questions, 1M answers)",
        )
        for figure, what in (
            ("question_page", "question page, server time"),
            ("could_answer", "questions I could answer, server time"),
            ("routing", "routing a new question"),
        )
    ),
    Engine("digest_build_rate", "pollinate.digests.bench", "build_rate"),
    # One child process with its own database (1M activities; 100k at XS/S), run once, read 4x.
    *(
        Engine(f"analytics_{field}", "pollinate.analytics.bench", "bench_analytics", field, unit)
        for field, unit in (
            ("dashboard_cold_p50_ms", "ms (organisation dashboard, cache empty, server time)"),
            ("dashboard_warm_p50_ms", "ms (organisation dashboard, cached, server time)"),
            ("rebuild_s", "s (full rollup rebuild from the spine)"),
            ("write_overhead_percent", "% added to a practice adoption by the rollups"),
            ("dashboard_cold_cpu_p50_ms", "ms CPU (organisation dashboard, cache empty)"),
            ("rebuild_cpu_s", "s CPU (full rollup rebuild from the spine)"),
            ("fold_cpu_ms_per_activity", "ms CPU per activity folded by the worker"),
        )
    ),
]
