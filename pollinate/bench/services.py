"""The scale-out layout for ``python -m pollinate.bench --layout scale-out``: PostgreSQL and Redis.

Both run on loopback for the length of the run, as the operator's own services would (the
PostgreSQL cluster keeps its data in the benchmark's data directory, so a generated organisation
is reused like the SQLite file is). Debian's packages, installed by
``scripts/install-system-packages``; as root, PostgreSQL runs as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    if not found:
        raise RuntimeError("PostgreSQL is missing: run scripts/install-system-packages")
    return found[-1].parent


def _as_postgres(argv: list[str]) -> list[str]:
    """Runs a server tool as ``postgres`` when this process is root (initdb refuses root)."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def _run(argv: list[str]) -> None:
    done = subprocess.run(  # noqa: S603 -- fixed tools
        argv, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C.UTF-8"}
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip() or done.stdout}")


def _wait_for_port(port: int, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


@dataclass
class Postgres:
    url: str
    reset: Callable[[], None]  # drops and recreates the empty database


@contextlib.contextmanager
def postgres(data_dir: Path) -> Iterator[Postgres]:
    """A PostgreSQL cluster in ``data_dir`` (created once) on a free port."""
    tools = _postgres_bin()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(data_dir.parent, user="postgres")
    fresh = not (data_dir / "PG_VERSION").exists()
    if fresh:
        _run(
            _as_postgres(
                [
                    str(tools / "initdb"),
                    "-D",
                    str(data_dir),
                    "-U",
                    "pollinate",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                ]
            )
        )
    port = free_port()
    options = f"-k {data_dir} -p {port} -c listen_addresses=127.0.0.1 -c shared_buffers=256MB"
    log = data_dir.parent / "postgres.log"
    _run(
        _as_postgres(
            [
                str(tools / "pg_ctl"),
                "-D",
                str(data_dir),
                "-o",
                options,
                "-l",
                str(log),
                "-w",
                "start",
            ]
        )
    )
    client = ["-h", "127.0.0.1", "-p", str(port), "-U", "pollinate"]

    def reset() -> None:
        _run([str(tools / "dropdb"), *client, "--if-exists", "--force", "pollinate"])
        _run([str(tools / "createdb"), *client, "pollinate"])

    try:
        if fresh:
            _run([str(tools / "createdb"), *client, "pollinate"])
        yield Postgres(url=f"postgres://pollinate@127.0.0.1:{port}/pollinate", reset=reset)
    finally:
        _run(_as_postgres([str(tools / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "stop"]))


def redis_argv(server: str, port: int, work_dir: Path) -> list[str]:
    """``redis-server`` on loopback without persistence (a cache, queue and channel layer)."""
    return [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(work_dir)]  # fmt: skip


@contextlib.contextmanager
def redis(work_dir: Path) -> Iterator[str]:
    """A Redis server without persistence on a free port; yields its URL."""
    server = shutil.which("redis-server")
    if server is None:
        raise RuntimeError("redis-server is missing: run scripts/install-system-packages")
    work_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with (work_dir / "redis.log").open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 -- Debian's redis-server
            redis_argv(server, port, work_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, "Redis")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def scale_out(services_dir: Path) -> Iterator[tuple[dict[str, str], Callable[[], None]]]:
    """PostgreSQL and Redis for one benchmark run, their data in ``services_dir`` (kept apart from
    the run's data directory, which a new generation deletes); yields the environment that points
    at them and the function that empties the database before a generation."""
    with (
        postgres(services_dir / "postgres" / "data") as database,
        redis(services_dir / "redis") as url,
    ):
        yield {"DATABASE_URL": database.url, "REDIS_URL": url}, database.reset
