"""Fan-out benchmark of the live room: many clients in one room, a steady message rate.

    .venv/bin/python -m pollinate.chats.bench --clients 500 --rate 10 --seconds 30 --gap 60

What it does, end to end and over real sockets:

1. builds a throw-away instance (SQLite file in a temporary directory, migrated), with one live
   chat, ``--clients`` members and a signed-in session for each;
2. starts the realtime process as the Procfile does (uvicorn serving ``pollinate.asgi``, the
   in-process channel layer) in a subprocess;
3. connects every client with its session cookie. The load generator is split over
   ``--workers`` processes (plus this one, which holds the ``--senders``), so 5 000 received
   frames a second do not make the clients the bottleneck; each reports its CPU time;
4. the senders send ``--rate`` messages per second in total for ``--seconds``, message *n* at
   its *scheduled* time ``start + n / rate``; the body carries that time, so every receiver
   measures scheduled send → receive (a late sender counts against the server, never for it);
5. reports the share of (client, message) pairs delivered, the p50/p95/p99/max delay, the
   senders' *delivered* acknowledgements, and the CPU time of the server and of the load
   generator next to the machine's load average;
6. disconnects ``--reconnect`` clients, keeps sending for ``--gap`` seconds, reconnects them with
   ``?after=<last seq seen>`` and checks each receives exactly the messages it missed, in order.

``--profile FILE`` runs the server under a profiler: cProfile when FILE ends in ``.prof``
(CPU time of the event loop's thread, read it with ``python -m pstats``), else pyinstrument's
text report (wall time, idle included).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "pollinate.settings",
            "POLLINATE_DEV_SECRET": "1",
            "POLLINATE_VAR_DIR": str(workdir),
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            # The benchmark measures fan-out, not the spam limit; senders still rotate.
            "CHAT_RATE_LIMIT": "100000",
            "LOG_LEVEL": "WARNING",
            "TASKS_IMMEDIATE": "1",
        }
    )
    env.pop("REDIS_URL", None)
    return env


def _prepare(clients: int) -> tuple[int, list[str]]:
    """Migrates the throw-away database and returns (chat id, session keys)."""
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from pollinate.chats.models import Chat, ChatParticipant, ChatVisibility
    from pollinate.people.models import Person, Site, User

    call_command("migrate", verbosity=0)
    site = Site.objects.create(
        name="Bench Plant", code="bench", country="FR", time_zone="Europe/Paris", languages=["en"]
    )
    users = User.objects.bulk_create(
        # "!" is Django's unusable password: the benchmark signs in through sessions.
        [User(email=f"bench{n}@example.com", password="!") for n in range(clients)]  # noqa: S106
    )
    people = Person.objects.bulk_create(
        [
            Person(user=u, display_name=f"Bench {n}", site=site, time_zone="UTC", languages=["en"])
            for n, u in enumerate(users)
        ]
    )
    now = timezone.now()
    chat = Chat.objects.create(
        title="Bench room",
        created_by=people[0],
        site=site,
        visibility=ChatVisibility.ORGANISATION,
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=6),
    )
    chat.hosts.add(people[0])
    ChatParticipant.objects.bulk_create([ChatParticipant(chat=chat, person=p) for p in people])
    keys = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "pollinate.people.backends.MemberBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(str(session.session_key))
    return chat.pk, keys


class Client:
    """One participant: reconnects like the page does (``after`` = last seq seen) if dropped."""

    def __init__(self, index: int, cookie: str) -> None:
        self.index = index
        self.cookie = cookie
        self.ws: Any = None
        self.url = ""
        self.seqs: list[int] = []
        self.delays: list[float] = []
        self.acks: list[float] = []
        self.task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()
        self.closing = False
        self.reconnects = 0

    async def connect(self, url: str, after: int = 0) -> None:
        import websockets

        self.url = url
        self.closing = False
        self.ready = asyncio.Event()
        # Like a browser, the client offers permessage-deflate; the server decides.
        self.ws = await websockets.connect(
            f"{url}?after={after}",
            additional_headers={"Cookie": f"sessionid={self.cookie}"},
            origin="http://127.0.0.1:8000",  # type: ignore[arg-type]
            max_queue=None,
            open_timeout=60,
            # The benchmark measures delivery; client keepalive pings would only add timeouts.
            ping_interval=None,
        )
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.time()
                frame = json.loads(raw)
                for event in frame["events"] if frame.get("type") == "batch" else [frame]:
                    kind = event.get("type")
                    if kind == "message":
                        self.seqs.append(event["seq"])
                        body = event["body"]
                        if body.startswith("t="):
                            self.delays.append(now - float(body[2:].split(" ", 1)[0]))
                    elif kind == "delivered":
                        scheduled = event.get("client_id", "").rsplit("@", 1)[-1]
                        if scheduled.replace(".", "", 1).isdigit():
                            self.acks.append(now - float(scheduled))
                    elif kind == "hello":
                        self.ready.set()
        except Exception:  # noqa: S110 -- a dropped socket is handled below, like the page does
            pass
        if not self.closing:
            self.reconnects += 1
            await asyncio.sleep(0.5)
            await self.connect(self.url, after=self.seqs[-1] if self.seqs else 0)

    async def send(self, payload: str) -> None:
        from websockets.exceptions import ConnectionClosed

        while True:
            try:
                await self.ws.send(payload)
                return
            except ConnectionClosed:
                # Resending is safe: the client id makes the second copy a no-op.
                await asyncio.sleep(0.2)
                await self.ready.wait()

    async def close(self) -> None:
        self.closing = True
        await self.ws.close()
        if self.task:
            await self.task


async def _connect_all(clients: list[Client], url: str) -> None:
    for batch in range(0, len(clients), 50):
        await asyncio.gather(*(c.connect(url) for c in clients[batch : batch + 50]))
    await asyncio.gather(*(asyncio.wait_for(c.ready.wait(), 60) for c in clients))


async def _until_delivered(clients: list[Client], sent: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(len(set(c.seqs)) < sent for c in clients):
        await asyncio.sleep(0.1)


def _tally(clients: list[Client], sent: int) -> dict[str, Any]:
    expected = set(range(1, sent + 1))
    return {
        "delivered": sum(len(expected & set(c.seqs)) for c in clients),
        "duplicates": sum(len(c.seqs) - len(set(c.seqs)) for c in clients),
        "reconnects": sum(c.reconnects for c in clients),
        "delays": [d for c in clients for d in c.delays],
    }


async def _rejoin(clients: list[Client], url: str, last_seen: dict[int, int], missed: int) -> dict:
    for c in clients:
        c.seqs, c.delays = [], []
    t1 = time.monotonic()
    await asyncio.gather(*(c.connect(url, after=last_seen[c.index]) for c in clients))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and any(len(c.seqs) < missed for c in clients):
        await asyncio.sleep(0.05)
    exact = sum(
        1
        for c in clients
        if c.seqs[:missed] == list(range(last_seen[c.index] + 1, last_seen[c.index] + 1 + missed))
    )
    return {"exact": exact, "catch_up_seconds": time.monotonic() - t1}


def _worker(conn: Connection, url: str, indexed_keys: list[tuple[int, str]], away: int) -> None:
    """A load-generator process: holds some clients and answers the coordinator's commands."""
    # Its own session and scheduling group (see the server's), so the clients are not what
    # falls behind on a machine shared with other people's work.
    os.setsid()
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        pass
    asyncio.run(_worker_loop(conn, url, indexed_keys, away))


async def _worker_loop(
    conn: Connection, url: str, indexed_keys: list[tuple[int, str]], away: int
) -> None:
    loop = asyncio.get_running_loop()
    clients = [Client(i, key) for i, key in indexed_keys]
    await _connect_all(clients, url)
    conn.send({"ready": True})
    leaving = clients[len(clients) - away :] if away else []
    last_seen: dict[int, int] = {}
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        name = command["cmd"]
        if name == "tally":
            await _until_delivered(clients, command["sent"], command["timeout"])
            conn.send(_tally(clients, command["sent"]))
        elif name == "drop":
            last_seen = {c.index: (c.seqs[-1] if c.seqs else 0) for c in leaving}
            await asyncio.gather(*(c.close() for c in leaving))
            conn.send({"dropped": len(leaving)})
        elif name == "rejoin":
            conn.send(await _rejoin(leaving, url, last_seen, command["missed"]))
        elif name == "stop":
            await asyncio.gather(
                *(c.close() for c in clients if c.ws is not None), return_exceptions=True
            )
            conn.send({"cpu_seconds": time.process_time()})
            return


def _cpu_seconds(pid: int, *, system_only: bool = False) -> float:
    """CPU time (user + system, or system only) a process has used so far, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    ticks = int(fields[12]) if system_only else int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine so far (all processes, everyone's), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _send_for(senders: list[Client], *, rate: float, seconds: float, label: str) -> int:
    """Sends ``rate`` messages per second for ``seconds``, rotating over the senders.

    Message n is due at ``start + n / rate``; its body and client id carry that scheduled time,
    so delays are measured from when it should have left, not from when the sender got to it.
    """
    total = int(rate * seconds)
    start_wall = time.time() + 0.2
    start = time.monotonic() + 0.2
    for n in range(total):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        scheduled = f"{start_wall + n / rate:.6f}"
        body = f"t={scheduled} {label} message {n}"
        payload = {"type": "send", "client_id": f"{label}-{n}@{scheduled}", "body": body}
        await senders[n % len(senders)].send(json.dumps(payload))
    return total


class Workers:
    """The load-generator processes and their command pipes."""

    def __init__(self, url: str, indexed_keys: list[tuple[int, str]], count: int, away: int):
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes: list[Any] = []
        count = max(1, min(count, len(indexed_keys)))
        for n in range(count):
            share = indexed_keys[n::count]
            mine, theirs = context.Pipe()
            away_here = away // count + (1 if n < away % count else 0)
            process = context.Process(
                target=_worker, args=(theirs, url, share, away_here), daemon=True
            )
            process.start()
            self.pipes.append(mine)
            self.processes.append(process)

    async def ask(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        for pipe in self.pipes:
            pipe.send(command)
        return [await loop.run_in_executor(None, pipe.recv) for pipe in self.pipes]

    async def ready(self) -> None:
        loop = asyncio.get_running_loop()
        for pipe in self.pipes:
            await loop.run_in_executor(None, pipe.recv)

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]


async def _run(
    args: argparse.Namespace, port: int, chat_id: int, keys: list[str], server_pid: int
) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{port}/ws/chats/{chat_id}/"
    senders = [Client(i, keys[i]) for i in range(args.senders)]
    others = list(enumerate(keys))[args.senders :]
    t0 = time.monotonic()
    workers = Workers(url, others, args.workers, args.reconnect if args.gap > 0 else 0)
    await _connect_all(senders, url)
    await workers.ready()
    connect_seconds = time.monotonic() - t0
    await asyncio.sleep(1.5)  # let the coalesced presence event pass

    own_cpu = time.process_time()
    worker_cpu = sum(_cpu_seconds(pid) for pid in workers.pids())
    cpu_before = _cpu_seconds(server_pid)
    system_before = _cpu_seconds(server_pid, system_only=True)
    machine_before = _machine_cpu_seconds()
    wall_before = time.monotonic()
    sent = await _send_for(senders, rate=args.rate, seconds=args.seconds, label="live")
    tallies = [*(await workers.ask({"cmd": "tally", "sent": sent, "timeout": 10.0}))]
    await _until_delivered(senders, sent, 1.0)
    tallies.append(_tally(senders, sent))
    wall_send = time.monotonic() - wall_before
    cpu_send = _cpu_seconds(server_pid) - cpu_before
    system_send = _cpu_seconds(server_pid, system_only=True) - system_before
    machine_busy = _machine_cpu_seconds() - machine_before
    load_cpu = (
        time.process_time() - own_cpu + sum(_cpu_seconds(p) for p in workers.pids()) - worker_cpu
    )
    delays = [d for t in tallies for d in t["delays"]]
    acks = [a for c in senders for a in c.acks]
    delivered = sum(t["delivered"] for t in tallies)
    cores = os.cpu_count() or 1
    result: dict[str, Any] = {
        "clients": args.clients,
        "load_generator_processes": len(workers.pids()) + 1,
        "connect_seconds": round(connect_seconds, 2),
        "messages": sent,
        "rate_per_second": args.rate,
        "deliveries_expected": sent * args.clients,
        "deliveries": delivered,
        "delivered_percent": round(100 * delivered / max(1, sent * args.clients), 3),
        "duplicates": sum(t["duplicates"] for t in tallies),
        "reconnects_during_run": sum(t["reconnects"] for t in tallies),
        # From each message's scheduled send time to its arrival at a client.
        "delay_ms_p50": round(1000 * _percentile(delays, 0.50), 1),
        "delay_ms_p95": round(1000 * _percentile(delays, 0.95), 1),
        "delay_ms_p99": round(1000 * _percentile(delays, 0.99), 1),
        "delay_ms_max": round(1000 * max(delays), 1) if delays else None,
        # From the scheduled send time to the sender's "delivered" (stored) acknowledgement.
        "ack_ms_p50": round(1000 * _percentile(acks, 0.50), 1),
        "ack_ms_p99": round(1000 * _percentile(acks, 0.99), 1),
        "sending_wall_seconds": round(wall_send, 2),
        # What the fan-out costs, independent of how busy the machine is.
        "server_cpu_seconds_while_sending": round(cpu_send, 2),
        "server_cpu_share_while_sending": round(cpu_send / wall_send, 2),
        "server_cpu_microseconds_per_delivery": round(1e6 * cpu_send / max(1, delivered), 1),
        # The kernel's part (socket writes; on loopback they include the receiver's TCP work).
        "server_system_cpu_seconds_while_sending": round(system_send, 2),
        "load_generator_cpu_seconds_while_sending": round(load_cpu, 2),
        # Everyone's busy CPU on the machine meanwhile, in cores (other engineers included).
        "machine_busy_cores_while_sending": round(machine_busy / wall_send, 2),
        "machine_busy_cores_others": round((machine_busy - cpu_send - load_cpu) / wall_send, 2),
        "machine_cores": cores,
    }

    # Reconnect after a gap: the missed messages come back exactly once and in order.
    if args.reconnect and args.gap > 0:
        await workers.ask({"cmd": "drop"})
        missed = await _send_for(senders, rate=args.rate, seconds=args.gap, label="gap")
        answers = await workers.ask({"cmd": "rejoin", "missed": missed})
        result.update(
            {
                "reconnect_clients": args.reconnect,
                "gap_seconds": args.gap,
                "missed_messages": missed,
                "reconnects_with_every_missed_message_in_order": sum(a["exact"] for a in answers),
                "catch_up_seconds": round(max(a["catch_up_seconds"] for a in answers), 2),
            }
        )
    await workers.ask({"cmd": "stop"})
    await asyncio.gather(*(c.close() for c in senders if c.ws is not None), return_exceptions=True)
    for process in workers.processes:
        process.join(10)
    return result


# cProfile timed by the event loop thread's own CPU clock: wall time would charge every function
# for the moments the (shared, busy) machine gave the process no core.
_CPROFILE_SERVER = """
import cProfile, sys, time, uvicorn.main
out = sys.argv.pop(1)
sys.argv[0] = "uvicorn"
profiler = cProfile.Profile(time.thread_time)
try:
    profiler.runcall(uvicorn.main.main)
except SystemExit:
    pass
finally:
    profiler.dump_stats(out)
"""


def _renice(pid: int, nice: int) -> None:
    """Sets the priority of the process and of its session's scheduling group (autogroup)."""
    os.setpriority(os.PRIO_PROCESS, pid, nice)
    autogroup = Path(f"/proc/{pid}/autogroup")
    if autogroup.exists():
        autogroup.write_text(str(nice))


def _server_command(args: argparse.Namespace, port: int) -> list[str]:
    command = [sys.executable]
    if args.profile.endswith(".prof"):
        command += ["-c", _CPROFILE_SERVER, args.profile]
    elif args.profile:
        command += ["-m", "pyinstrument", "-r", "text", "--show-all", "-o", args.profile]
        command += ["-m", "uvicorn"]
    else:
        command += ["-m", "uvicorn"]
    command += [
        "pollinate.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ws",
        args.ws,
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if not args.deflate:
        command += ["--ws-per-message-deflate", "false"]
    return command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second, in total")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument(
        "--gap", type=float, default=60.0, help="seconds the reconnecting clients are away"
    )
    parser.add_argument("--reconnect", type=int, default=50, help="clients that drop and come back")
    parser.add_argument(
        "--workers", type=int, default=2, help="load-generator processes besides this one"
    )
    parser.add_argument(
        "--ws", default="websockets-sansio", help="uvicorn's websocket implementation"
    )
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="let the server compress frames (permessage-deflate; off in the Procfile)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="scheduling priority of the server (negative needs root): emulates a machine where "
        "it does not compete with other people's work",
    )
    parser.add_argument(
        "--profile",
        default="",
        help="profile the server into FILE (.prof: cProfile; else pyinstrument)",
    )
    args = parser.parse_args(argv)
    args.senders = max(1, min(args.senders, args.clients - 1))

    with tempfile.TemporaryDirectory(prefix="pollinate-chat-bench-") as tmp:
        workdir = Path(tmp)
        env = _environment(workdir)
        os.environ.update(env)
        chat_id, keys = _prepare(args.clients)
        port = _free_port()
        # Its own session, so its own scheduling group: with Linux's autogroups the CPU is
        # shared between sessions first, and the clients would otherwise eat the server's share
        # (in production they are on other machines).
        server = subprocess.Popen(  # noqa: S603 -- our own interpreter and module
            _server_command(args, port), env=env, start_new_session=True
        )
        if args.nice:
            _renice(server.pid, args.nice)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if server.poll() is not None:
                        raise SystemExit(
                            f"the realtime server exited: {server.returncode}"
                        ) from None
                    time.sleep(0.1)
            load_before = os.getloadavg()[0]
            result = asyncio.run(_run(args, port, chat_id, keys, server.pid))
        finally:
            server.send_signal(2)  # SIGINT: uvicorn (and pyinstrument) shut down cleanly
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        result["nice"] = args.nice
        result["load_average_1m_before"] = round(load_before, 2)
        result["load_average_1m_after"] = round(os.getloadavg()[0], 2)
        result["server_args"] = " ".join(_server_command(args, 0)[-6:])
    print(json.dumps(result, indent=2))
    ok = result["delivered_percent"] == 100.0 and result.get(
        "reconnects_with_every_missed_message_in_order", 0
    ) == result.get("reconnect_clients", 0)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
