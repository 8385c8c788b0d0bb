"""What every engine benchmark shares: a throw-away data directory and timing summaries."""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Mapping
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


SCRATCH_KEY_FILE = "bench-key.json"


def scratch_database_reused(var_dir: Path, key: Mapping[str, object]) -> bool:
    """Keeps the scratch database when it was built for ``key``, else starts it afresh.

    Either way it is migrated: new migrations (indexes) must reach a reused database, or their
    effect goes unmeasured. The caller records ``key`` with ``scratch_database_built`` once the
    data is complete, so an interrupted build is never mistaken for a finished one.
    """
    from django.core.management import call_command
    from django.db import connection

    key_file = var_dir / SCRATCH_KEY_FILE
    if key_file.exists() and json.loads(key_file.read_text()) == dict(key):
        call_command("migrate", verbosity=0)
        return True
    connection.close()
    key_file.unlink(missing_ok=True)
    for path in var_dir.glob("pollinate.sqlite3*"):
        path.unlink()
    call_command("migrate", verbosity=0)
    return False


def scratch_database_built(var_dir: Path, key: Mapping[str, object]) -> None:
    (var_dir / SCRATCH_KEY_FILE).write_text(json.dumps(dict(key)))
