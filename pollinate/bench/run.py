"""``python -m pollinate.bench --scale S``: generate or reuse, serve, load, report.

This process never imports Django: it starts ``django_side`` steps and gunicorn as child
processes with the benchmark's environment and drives load at the server over loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pollinate.bench import load, report
from pollinate.bench.engines import command_engines_run
from pollinate.bench.scales import SCALES
from pollinate.bench.services import free_port, scale_out

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# The open loop runs at most at this share of the closed-loop capacity: on a shared machine the
# capacity moves between the two runs, and past saturation an open loop only measures its queue.
OPEN_LOOP_SHARE = 0.5


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def bench_env(var_dir: Path, secret_key: str) -> dict[str, str]:
    """Production settings on the benchmark's own data directory."""
    env = {
        key: value
        for key, value in os.environ.items()
        # A developer's own database, cache or settings must never receive generated data.
        if key not in {"DATABASE_URL", "REDIS_URL", "POLLINATE_TESTING", "POLLINATE_DEV_SECRET"}
        and not key.endswith("_FILE")
    }
    env.update(
        POLLINATE_VAR_DIR=str(var_dir),
        SECRET_KEY=secret_key,
        DEBUG="false",
        # No mail server here; production would use SMTP, the bench measures pages.
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        DJANGO_SETTINGS_MODULE="pollinate.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def django_step(step: str, env: dict[str, str], var_dir: Path, *args: str) -> Any:
    out = var_dir / f"step-{step}.json"
    command = [PYTHON, "-m", "pollinate.bench.django_side", step, "--out", str(out), *args]
    subprocess.run(command, env=env, cwd=ROOT, check=True)  # noqa: S603 -- fixed argv
    return json.loads(out.read_text(encoding="utf-8"))


def generation_key(scale: str, seed: int) -> str:
    """Changes when the scale, the seed or any code that shapes the generated data changes."""
    digest = hashlib.sha256(json.dumps([scale, seed, SCALES[scale]]).encode())
    sources = [ROOT / "pollinate/people/management/commands/generate_org.py"]
    sources += sorted((ROOT / "pollinate").glob("*/demo.py"))
    for source in sources:
        if source.exists():
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def ensure_org(
    scale: str,
    seed: int,
    var_dir: Path,
    env: dict[str, str],
    *,
    keep: bool = False,
    reset_database: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Reuses the organisation generated for this scale and seed, or generates it afresh.

    The SQLite database lives in ``var_dir``, deleted before a generation; a server database
    (the scale-out layout) is emptied by ``reset_database`` instead."""
    key_file = var_dir / "bench-key.json"
    key = generation_key(scale, seed)
    if key_file.exists():
        stored = json.loads(key_file.read_text(encoding="utf-8"))
        stale = stored.get("key") != key
        if stale and keep:
            # M takes ~15 minutes to generate: a colleague's edit to a demo.py must not force it.
            log(f"Keeping {var_dir} although the generator changed since (--keep-org).")
        if not stale or keep:
            log(f"Reusing the organisation in {var_dir} (key {stored.get('key')}).")
            subprocess.run(  # noqa: S603 -- migrations that landed since it was generated
                [PYTHON, "manage.py", "prepare_instance", "--no-demo"],
                env=env,
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            return {**stored["generation"], "reused": True, "stale": stale}
    log(f"Generating the organisation at scale {scale} (seed {seed}) in {var_dir}…")
    if var_dir.exists():
        shutil.rmtree(var_dir)
    var_dir.mkdir(parents=True)
    if reset_database is not None:
        reset_database()
    subprocess.run(  # noqa: S603 -- fixed argv
        [PYTHON, "manage.py", "prepare_instance", "--no-demo"],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    generation = django_step("generate", env, var_dir, "--scale", scale, "--seed", str(seed))
    key_file.write_text(json.dumps({"key": key, "generation": generation}), encoding="utf-8")
    log(f"Generated in {generation['seconds']} s with {generation['generator']}.")
    return {**generation, "reused": False}


@contextlib.contextmanager
def server(env: dict[str, str], var_dir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """gunicorn with the production configuration on a free loopback port, until /healthz."""
    port = free_port()
    server_env = {
        **env,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
    }
    server_env.pop("ACCESS_LOG", None)  # an access log line per request would be measured too
    log_file = (var_dir / "server.log").open("ab")
    process = subprocess.Popen(  # noqa: S603 -- fixed argv
        [
            str(Path(PYTHON).with_name("gunicorn")),
            "pollinate.wsgi:application",
            "--config",
            "pollinate/gunicorn_conf.py",
        ],
        env=server_env,
        cwd=ROOT,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}; see server.log")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer /healthz within 60 s")
            time.sleep(0.2)
        log(f"Server up on {base} (pid {process.pid}).")
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log_file.close()


def worker_memory_mb(master_pid: int, field: str = "VmRSS") -> list[float]:
    """Memory of each gunicorn worker from /proc/<pid>/status (Linux; empty elsewhere).

    ``VmRSS`` is all resident memory; ``RssAnon`` the worker's own (Python's heap and SQLite's
    page cache), without the database file SQLite maps into memory (``mmap_size``), which the
    kernel shares between workers and reclaims as page cache."""
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
        sizes = []
        for pid in children:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(f"{field}:"):
                    sizes.append(round(int(line.split()[1]) / 1024, 1))
        return sizes
    except OSError:
        return []


def worker_memory(master_pid: int) -> tuple[list[float], list[float]]:
    return worker_memory_mb(master_pid), worker_memory_mb(master_pid, "RssAnon")


def measure(
    base: str,
    request: load.Request,
    sessions: list[load.Session],
    *,
    args: argparse.Namespace,
) -> tuple[load.Result, load.Result, float, bool]:
    """Closed loop to saturation, then open loop at the chosen rate (capped under saturation)."""
    if load.wrk_available():
        closed = load.closed_loop(
            base, request, sessions, seconds=args.duration, connections=args.connections
        )
    else:
        closed = load.closed_loop_python(
            base, request, sessions, seconds=args.duration, connections=args.connections
        )
    # Past saturation an open loop only measures a growing queue: cap the rate below capacity.
    rate = min(args.rate, round(OPEN_LOOP_SHARE * closed.rps, 1)) if closed.rps else args.rate
    capped = rate < args.rate
    opened = load.open_loop(base, request, sessions, rate=max(rate, 1.0), seconds=args.duration)
    return closed, opened, rate, capped


MIXED_READS = ("home", "practice", "search_common")  # the pages read while comments are written


def writes_alongside_reads(
    base: str,
    targets: dict[str, Any],
    reader: list[load.Session],
    writers: list[load.Session],
    var_dir: Path,
    *,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Comments posted at ``--write-rate`` while members read pages, all open loop at once.

    The issue's write target is stated for this mix ("100 writes/s alongside reads"); the server
    log is searched for "database is locked" afterwards.
    """
    if "comment_post" not in targets or not writers or args.write_rate <= 0:
        return {}
    spec = targets["comment_post"]
    write = load.Request(
        spec["path"], spec["method"], load.form_body(spec["data"]), tuple(spec["ok_status"])
    )
    reads = [name for name in MIXED_READS if name in targets]
    streams = [load.Stream(write, writers, args.write_rate)] + [
        load.Stream(load.Request(targets[name]["path"]), reader, args.read_rate / len(reads))
        for name in reads
    ]
    log_file = var_dir / "server.log"
    log_start = log_file.stat().st_size if log_file.exists() else 0
    log(f"Writes at {args.write_rate:g}/s alongside reads of {', '.join(reads)} at"
        f" {args.read_rate:g}/s…")  # fmt: skip
    results = load.open_loops(base, streams, seconds=args.mixed_duration)
    with log_file.open("rb") as server_log:
        server_log.seek(log_start)
        locked = server_log.read().count(b"database is locked")
    mixed: dict[str, Any] = {
        "write_rate": args.write_rate,
        "read_rate": args.read_rate,
        "seconds": args.mixed_duration,
        "reads": reads,
        "database_locked": locked,
    }
    for name, result in zip(["comment_post", *reads], results, strict=True):
        mixed[name] = {
            "requests": result.requests,
            "p50_ms": round(result.p50_ms, 2),
            "p95_ms": round(result.p95_ms, 2),
            "p99_ms": round(result.p99_ms, 2),
            "errors": result.errors,
        }
    log(
        f"Mixed: writes p50 {results[0].p50_ms:.1f} / p99 {results[0].p99_ms:.1f} ms,"
        f" {results[0].errors} errors; reads p99 {max(r.p99_ms for r in results[1:]):.1f} ms;"
        f" {locked} 'database is locked' in the server log."
    )
    return mixed


def git_revision() -> str:
    """The commit measured, with ``+dirty`` when tracked files had uncommitted changes."""
    try:
        revision = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 -- git from PATH
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{revision}+dirty" if changed else revision


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pollinate.bench", description="Pollinate's benchmark harness (issue 9)."
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=int, default=5, help="seconds per load run")
    parser.add_argument("--rate", type=float, default=100.0, help="open-loop requests/s")
    parser.add_argument("--connections", type=int, default=8, help="closed-loop connections")
    parser.add_argument(
        "--write-rate", type=float, default=100.0, help="comments/s in the mixed run (0: skip)"
    )
    parser.add_argument(
        "--read-rate", type=float, default=30.0, help="page reads/s alongside those writes"
    )
    parser.add_argument(
        "--mixed-duration",
        type=int,
        default=15,
        help="seconds of the mixed run (its p99 is the target: 1 500 writes, not 500)",
    )
    parser.add_argument("--only", default="", help="comma-separated endpoint names")
    parser.add_argument("--no-profile", action="store_true", help="skip the pyinstrument step")
    parser.add_argument("--no-engines", action="store_true", help="skip the engine benchmarks")
    parser.add_argument(
        "--keep-org",
        action="store_true",
        help="reuse the generated organisation even if the generator code changed since",
    )
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument(
        "--var-dir", type=Path, default=None, help="data directory (default var/bench-<scale>)"
    )
    parser.add_argument(
        "--layout",
        choices=("single", "scale-out"),
        default="single",
        help="single: SQLite and no Redis (the default install); scale-out: PostgreSQL and Redis"
        " started on loopback for the run (engines skipped: they measure the single layout)",
    )
    args = parser.parse_args(argv)
    suffix = "" if args.layout == "single" else f"-{args.layout}"
    var_dir = (args.var_dir or ROOT / "var" / f"bench-{args.scale}{suffix}").resolve()
    env = bench_env(var_dir, secrets.token_urlsafe(50))
    if args.layout == "single":
        return _run(args, argv, var_dir, env)
    args.no_engines = True
    with scale_out(var_dir.with_name(var_dir.name + "-services")) as (services, reset):
        log(f"Scale-out layout: {services['DATABASE_URL']}, {services['REDIS_URL']}.")
        return _run(args, argv, var_dir, {**env, **services}, reset_database=reset)


def _run(
    args: argparse.Namespace,
    argv: list[str] | None,
    var_dir: Path,
    env: dict[str, str],
    *,
    reset_database: Callable[[], None] | None = None,
) -> int:
    started = time.monotonic()
    # Before the run writes its own results (tracked files) and marks the tree "+dirty".
    revision = git_revision()
    machine = report.machine()
    if not load.wrk_available():
        log("wrk is not installed (scripts/install-system-packages): closed loop uses Python.")
    generation = ensure_org(
        args.scale, args.seed, var_dir, env, keep=args.keep_org, reset_database=reset_database
    )

    log("Resolving endpoints and counting their queries in-process…")
    prepared = django_step("prepare", env, var_dir)
    only = {name for name in args.only.split(",") if name}
    targets = {
        name: spec for name, spec in prepared["endpoints"].items() if not only or name in only
    }
    log(f"Endpoints: {', '.join(targets)}; skipped: {', '.join(prepared['skipped']) or 'none'}.")
    engines: dict[str, Any] = {"engines": {}, "skipped": {}, "details": {}}
    if not args.no_engines:
        log("Running engine benchmarks…")
        engines.update(django_step("engines", env, var_dir, "--scale", args.scale))
        log("Running the engine benchmarks that build their own instance (chat, digest)…")
        own = command_engines_run(scale=args.scale, root=ROOT)
        engines["engines"].update(own["engines"])
        engines["skipped"].update(own["skipped"])
        engines["details"] = own["details"]

    endpoint_rows: dict[str, Any] = {}
    endpoint_details: dict[str, Any] = {}
    with server(env, var_dir) as (base, process):
        reader = [
            asyncio.run(load.sign_in(base, email=prepared["email"], password=prepared["password"]))
        ]
        writers: list[load.Session] = []
        if any(spec["method"] != "GET" for spec in targets.values()):
            writers = [
                asyncio.run(load.sign_in(base, email=w["email"], password=w["password"]))
                for w in prepared["writers"]
            ]
        floor_request = load.Request("/ping")
        # Warm-up: fills each worker's connection, template and session caches, then every
        # page's per-process caches (compiled queries, cards, chrome), so that the memory read
        # after it is the steady state the "no growth after warm-up" target speaks of.
        load.open_loop(base, floor_request, [], rate=50, seconds=2)
        for spec in targets.values():
            if spec["method"] == "GET":
                load.open_loop(base, load.Request(spec["path"]), reader, rate=20, seconds=1)
        rss_warm, own_warm = worker_memory(process.pid)
        log("Floor: /ping …")
        floor_closed, floor_open, floor_rate, floor_capped = measure(
            base, floor_request, [], args=args
        )
        floor = {"rps": round(floor_closed.rps, 1), "p99_ms": round(floor_open.p99_ms, 2)}
        log(f"Floor: {floor['rps']} req/s, p99 {floor['p99_ms']} ms at {floor_rate}/s.")
        # The same trivial view as the signed-in member: what every signed-in page pays before
        # its own content (session, user, member). Reported beside the floor, never instead.
        signed_closed, signed_open, _rate, _capped = measure(base, floor_request, reader, args=args)
        floor_signed_in = {
            "rps": round(signed_closed.rps, 1),
            "p99_ms": round(signed_open.p99_ms, 2),
            "ratio_to_floor": round(signed_closed.rps / floor_closed.rps, 3)
            if floor_closed.rps
            else 0.0,
        }
        log(f"Floor signed in: {floor_signed_in['rps']} req/s.")
        for name, spec in targets.items():
            body = load.form_body(spec["data"])
            request = load.Request(spec["path"], spec["method"], body, tuple(spec["ok_status"]))
            sessions = reader if spec["method"] == "GET" else writers or reader
            closed, opened, rate, capped = measure(base, request, sessions, args=args)
            endpoint_rows[name] = {
                "rps": round(closed.rps, 1),
                "p50_ms": round(opened.p50_ms, 2),
                "p95_ms": round(opened.p95_ms, 2),
                "p99_ms": round(opened.p99_ms, 2),
                "errors": closed.errors + opened.errors,
                "queries": spec["queries"],
                "ratio_to_floor": round(closed.rps / floor_closed.rps, 3)
                if floor_closed.rps
                else 0.0,
            }
            endpoint_details[name] = {
                "path": spec["path"],
                "method": spec["method"],
                "status_in_process": spec["status"],
                "open_rate": rate,
                "open_rate_capped": capped,
                "open_sent": opened.requests,
                "open_max_ms": round(opened.max_ms, 1),
                "closed_p50_ms": round(closed.p50_ms, 2),
                "closed_p99_ms": round(closed.p99_ms, 2),
                "closed_requests": closed.requests,
            }
            log(
                f"{name}: {closed.rps:.0f} req/s ({endpoint_rows[name]['ratio_to_floor']}× floor),"
                f" p50 {opened.p50_ms:.1f} / p99 {opened.p99_ms:.1f} ms at {rate}/s,"
                f" {endpoint_rows[name]['errors']} errors, {spec['queries']} queries"
            )
        rss_endpoints, own_endpoints = worker_memory(process.pid)
        mixed = writes_alongside_reads(base, targets, reader, writers, var_dir, args=args)
        rss_end, own_end = worker_memory(process.pid)

    profiles: dict[str, str] = {}
    if not args.no_profile:
        log("Profiling the home and directory pages (pyinstrument)…")
        profiles = django_step(
            "profile",
            env,
            var_dir,
            "--scale",
            args.scale,
            "--names",
            "home,directory",
        )
        for name, path in profiles.items():
            target = args.out_dir / Path(path).name
            args.out_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            profiles[name] = str(target.relative_to(ROOT))

    results = {
        "scale": args.scale + ("" if args.layout == "single" else f"-{args.layout}"),
        "machine": machine,
        "floor": floor,
        "endpoints": endpoint_rows,
        "engines": engines["engines"],
        "writes_alongside_reads": mixed,
    }
    workers = os.environ.get("WEB_WORKERS", "default")
    details = {
        "command": f"python -m pollinate.bench {' '.join(argv or sys.argv[1:])}".strip(),
        "git": revision,
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": round(time.monotonic() - started, 1),
        "generation": generation,
        "layout": "SQLite"
        if args.layout == "single"
        else "PostgreSQL and Redis (cache, sessions, task queue, channel layer)",
        "server": {
            "workers": f"WEB_WORKERS={workers}, WEB_THREADS={os.environ.get('WEB_THREADS', '2')}",
            "worker_rss_mb": f"{rss_warm} → {rss_endpoints} → {rss_end}",
            "worker_private_mb": f"{own_warm} → {own_endpoints} → {own_end}",
        },
        "closed_loop": (
            f"{'wrk' if load.wrk_available() else 'python'}, {args.connections} connections,"
            f" {args.duration} s"
        ),
        "open_loop": (
            f"aiohttp, {args.rate:g} req/s scheduled (at most {OPEN_LOOP_SHARE:.0%} of the"
            f" closed-loop rate), {args.duration} s, latency from the scheduled send time"
        ),
        "floor": {"open_rate": floor_rate, "open_rate_capped": floor_capped},
        "floor_signed_in": floor_signed_in,
        "endpoints": endpoint_details,
        "skipped_endpoints": prepared["skipped"],
        "skipped_engines": engines["skipped"],
        "engine_runs": engines["details"],
        "profiles": profiles,
    }
    for written in report.write(results, details, out_dir=args.out_dir):
        log(f"Wrote {written.relative_to(ROOT) if written.is_relative_to(ROOT) else written}")
    log(f"Done in {details['seconds']} s.")
    return 0
