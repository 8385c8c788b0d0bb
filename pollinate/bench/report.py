"""The machine description and the two result files: ``<scale>.json`` and ``<scale>.md``."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    """What the figures were measured on; ``loadavg_1m`` says how busy it was at the start."""
    cpu_model = platform.processor() or "unknown"
    memory_gb = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass  # not Linux: the model and memory stay unknown rather than failing the run
    return {
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "cpu_model": cpu_model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "os": platform.platform(terse=True),
        "loadavg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def write(results: dict[str, Any], details: dict[str, Any], *, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    scale = results["scale"]
    paths = [
        out_dir / f"{scale}.json",
        out_dir / f"{scale}.run.json",
        out_dir / f"{scale}.md",
    ]
    paths[0].write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(json.dumps(details, indent=2) + "\n", encoding="utf-8")
    paths[2].write_text(markdown(results, details), encoding="utf-8")
    return paths


def markdown(results: dict[str, Any], details: dict[str, Any]) -> str:
    m = results["machine"]
    floor = results["floor"]
    lines = [
        f"# Benchmark at scale {results['scale']}",
        "",
        f"Measured {details['finished_at']} with `{details['command']}` "
        f"(git {details['git']}), {details['generation']['options']}.",
        "",
        f"Machine: {m['cores']} cores ({m['cpu_model']}), {m['memory_gb']} GB, Python "
        f"{m['python']}, SQLite {m['sqlite']}; 1-minute load average {m['loadavg_1m']} at the "
        "start. Figures from a shared, busy machine are noisy: compare `ratio_to_floor`, "
        "not absolute numbers.",
        "",
        f"Server: gunicorn with `pollinate/gunicorn_conf.py` ({details['server']['workers']}), "
        f"DEBUG off, {details.get('layout', 'SQLite')}. "
        f"Closed loop to saturation: {details['closed_loop']}. "
        f"Open loop: {details['open_loop']}.",
        "",
        f"**Floor** (`/ping`): {floor['rps']:.0f} req/s at saturation, "
        f"p99 {floor['p99_ms']:.1f} ms open loop.{_signed_in_floor(details)}",
        "",
        "| endpoint | req/s (closed) | × floor | open-loop rate | p50 ms | p95 ms | p99 ms "
        "| errors | queries |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in results["endpoints"].items():
        rate = details["endpoints"].get(name, {}).get("open_rate", "")
        lines.append(
            f"| {name} | {row['rps']:.0f} | {row['ratio_to_floor']:.2f} | {rate} "
            f"| {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['p99_ms']:.1f} "
            f"| {row['errors']} | {row['queries']} |"
        )
    if results["engines"]:
        lines += ["", "| engine | value | unit |", "| --- | ---: | --- |"]
        for name, row in results["engines"].items():
            lines.append(f"| {name} | {row['value']} | {row['unit']} |")
    mixed = results.get("writes_alongside_reads") or {}
    if mixed:
        lines += [
            "",
            f"Writes alongside reads (open loop, together): comments at {mixed['write_rate']:g}/s,"
            f" reads of {', '.join(mixed['reads'])} at {mixed['read_rate']:g}/s in all,"
            f" {mixed.get('seconds', 5)} s;"
            f' {mixed["database_locked"]} "database is locked" in the server log.',
            "",
            "| stream | requests | p50 ms | p95 ms | p99 ms | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name in ["comment_post", *mixed["reads"]]:
            row = mixed[name]
            lines.append(
                f"| {name} | {row['requests']} | {row['p50_ms']} | {row['p95_ms']} |"
                f" {row['p99_ms']} | {row['errors']} |"
            )
    skipped = {**details.get("skipped_endpoints", {}), **details.get("skipped_engines", {})}
    if skipped:
        lines += ["", "Not measured yet (capability not landed):", ""]
        lines += [f"- {name}: {why}" for name, why in skipped.items()]
    memory = details["server"].get("worker_rss_mb")
    if memory:
        lines += [
            "",
            "Worker memory (MB, per worker) after warming every page → after the endpoint runs"
            f" → after writes alongside reads: resident {memory}",
        ]
        private = details["server"].get("worker_private_mb")
        if private:
            lines[-1] += (
                f"; of which the worker's own (heap and SQLite's page cache, without the database"
                f" file SQLite maps, shared and reclaimable) {private}"
            )
        lines[-1] += "."
    return "\n".join(lines) + "\n"


def _signed_in_floor(details: dict[str, Any]) -> str:
    signed = details.get("floor_signed_in")
    if not signed:
        return ""
    return (
        f" Signed in as the bench member, the same view serves {signed['rps']:.0f} req/s"
        f" ({signed['ratio_to_floor']}× floor): the share of the floor that session, user and"
        " member lookups leave to any signed-in page."
    )
