from __future__ import annotations

from pathlib import Path

from pollinate.bench.scratch import scratch_environment, timing_summary


def test_timing_summary_reports_nearest_rank_percentiles() -> None:
    summary = timing_summary([float(n) for n in range(1, 101)])
    assert summary == {"p50_ms": 50.5, "p95_ms": 96.0, "p99_ms": 100.0, "max_ms": 100.0, "n": 100}


def test_a_scratch_environment_never_carries_the_developers_database(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://me@db/prod")
    monkeypatch.setenv("REDIS_URL", "redis://cache")
    env = scratch_environment(Path("var/bench-x"), CHAT_RATE_LIMIT="100000")
    assert "DATABASE_URL" not in env
    assert "REDIS_URL" not in env
    assert env["POLLINATE_VAR_DIR"] == "var/bench-x"
    assert env["CHAT_RATE_LIMIT"] == "100000"
