"""What every engine benchmark shares: a throw-away data directory and timing summaries."""

from __future__ import annotations

import os
import statistics
from pathlib import Path


def scratch_environment(var_dir: Path, **overrides: str) -> dict[str, str]:
    """Environment for a benchmark process working on its own data directory.

    Tasks run inline, sign-in throttling and outside services are off, and a developer's own
    database, cache or secrets are never handed to a process that writes generated data.
    """
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "POLLINATE_TESTING"):
        env.pop(name, None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "pollinate.settings",
            "POLLINATE_DEV_SECRET": "1",
            "POLLINATE_VAR_DIR": str(var_dir),
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "TASKS_IMMEDIATE": "1",
            "AXES_ENABLED": "false",
            "XAPI_ENDPOINT": "",
        }
    )
    env.update(overrides)
    return env


def timing_summary(samples_ms: list[float]) -> dict[str, float]:
    """p50 / p95 / p99 / max (milliseconds) and the sample count (nearest-rank percentiles)."""
    ordered = sorted(samples_ms)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)

    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1], 2),
        "n": len(ordered),
    }
