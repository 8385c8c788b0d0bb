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

A benchmark that builds its own throw-away instance (its own data directory, settings read at
``django.setup()``) cannot run inside the harness's Django step: it is a ``CommandEngine``, a
``python -m <module> <args>`` child process that prints one JSON object last, run by the harness
with a clean environment (no ``DATABASE_URL``, ``REDIS_URL`` or ``POLLINATE_VAR_DIR``), one run per
scale read into several figures.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


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
    # One child process with its own 300k-question database (3k at XS/S), run once, read thrice.
    *(
        Engine(
            f"questions_{figure}_p95",
            "pollinate.questions.bench",
            "bench_questions",
            field=f"{figure}_p95_ms",
            unit=f"ms p95 ({what}; 300k questions, 1M answers; 3k/10k at XS and S)",
        )
        for figure, what in (
            ("question_page", "question page, server time"),
            ("could_answer", "questions I could answer, server time"),
            ("routing", "routing a new question"),
        )
    ),
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


@dataclass(frozen=True)
class CommandEngine:
    module: str
    # Arguments per scale; a scale not listed uses "S"'s.
    args: dict[str, tuple[str, ...]]
    # (engine name, field of the printed JSON, unit) for each figure read from the one run.
    figures: tuple[tuple[str, str, str], ...]
    timeout: int = 900


COMMAND_ENGINES: list[CommandEngine] = [
    # Real websocket clients in one room of the realtime process started as in the Procfile.
    CommandEngine(
        "pollinate.chats.bench",
        {
            "XS": ("--clients", "20", "--rate", "5", "--seconds", "3", "--gap", "0"),
            "S": ("--clients", "100", "--rate", "10", "--seconds", "10", "--gap", "0"),
            "M": ("--clients", "500", "--rate", "10", "--seconds", "30", "--gap", "0"),
            "L": ("--clients", "500", "--rate", "10", "--seconds", "30", "--gap", "0"),
        },
        (
            ("chat_fanout_p99", "delay_ms_p99", "ms send → receive, p99 (size in run.json)"),
            ("chat_fanout_delivered", "delivered_percent", "% of (client, message) pairs"),
            (
                "chat_fanout_cpu_per_delivery",
                "server_cpu_microseconds_per_delivery",
                "µs CPU of the realtime process per delivery",
            ),
        ),
    ),
    # The weekly digest job over real SMTP (a sink in its own process), members = the scale's.
    CommandEngine(
        "pollinate.digests.bench",
        {
            "XS": ("--members", "200"),
            "S": ("--members", "1000"),
            "M": ("--members", "20000"),
            "L": ("--members", "100000"),
        },
        (
            ("digest_build_rate", "members_per_s", "members/s (build + send, wall time)"),
            ("digest_cpu_per_member", "cpu_ms_per_member", "ms CPU per member (shards)"),
            ("digest_peak_rss", "peak_rss_mb", "MB peak RSS of the run"),
        ),
        timeout=1800,
    ),
]

_HIDDEN = {"DATABASE_URL", "REDIS_URL", "POLLINATE_VAR_DIR", "POLLINATE_TESTING", "SECRET_KEY"}


def last_json_object(output: str) -> dict[str, Any]:
    """The last JSON object printed: from the last line that opens one to the end of the text."""
    lines = output.rstrip().splitlines()
    for start in range(len(lines) - 1, -1, -1):
        if lines[start].startswith("{"):
            try:
                value = json.loads("\n".join(lines[start:]))
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    raise ValueError("the command printed no JSON object")


def command_engines_run(*, scale: str, root: Path) -> dict[str, Any]:
    """Runs every ``CommandEngine`` as a child process; returns engines, skipped and details."""
    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    details: dict[str, Any] = {}
    # The child builds its own instance: nothing of the caller's database or cache may leak in.
    env = {key: value for key, value in os.environ.items() if key not in _HIDDEN}
    for engine in COMMAND_ENGINES:
        names = [name for name, _field, _unit in engine.figures]
        try:
            found = importlib.util.find_spec(engine.module) is not None
        except ModuleNotFoundError:  # the app (parent package) itself is not there
            found = False
        if not found:
            skipped.update({name: f"{engine.module} does not exist yet" for name in names})
            continue
        argv = [sys.executable, "-m", engine.module, *engine.args.get(scale, engine.args["S"])]
        started, cpu = time.monotonic(), os.times()
        try:
            done = subprocess.run(  # noqa: S603 -- our interpreter, a module from the registry
                argv, env=env, cwd=root, capture_output=True, text=True, timeout=engine.timeout
            )
            printed = last_json_object(done.stdout)
        except (subprocess.TimeoutExpired, ValueError) as exc:
            why = f"failed: {type(exc).__name__}: {str(exc)[:200]}"
            skipped.update({name: why for name in names})
            continue
        after = os.times()
        leftover = Path(str(printed.get("workdir", "")))
        if leftover.name and leftover.parent == Path(tempfile.gettempdir()):
            # The child's throw-away instance (the digest bench keeps it for inspection).
            shutil.rmtree(leftover, ignore_errors=True)
        children_cpu = sum(after[2:4]) - sum(cpu[2:4])  # children's user + system seconds
        for name, field, unit in engine.figures:
            if field in printed:
                results[name] = {"value": printed[field], "unit": unit}
            else:
                skipped[name] = f"{engine.module} printed no {field!r}"
        details[engine.module] = {
            "command": " ".join(["python", "-m", engine.module, *argv[3:]]),
            "exit_status": done.returncode,
            "wall_s": round(time.monotonic() - started, 1),
            "children_cpu_s": round(children_cpu, 1),
            "printed": printed,
        }
    return {"engines": results, "skipped": skipped, "details": details}
