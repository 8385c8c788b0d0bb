"""Fan-out benchmark of the live room: many clients in one room, a steady message rate.

    .venv/bin/python -m pollinate.chats.bench --clients 500 --rate 10 --seconds 30 --gap 60

What it does, end to end and over real sockets:

1. builds a throw-away instance (SQLite file in a temporary directory, migrated), with one live
   chat, ``--clients`` members and a signed-in session for each;
2. starts the realtime process exactly as the Procfile does (uvicorn serving ``pollinate.asgi``,
   in-process channel layer) in a subprocess;
3. connects every client with its session cookie, then ``--senders`` of them send ``--rate``
   messages per second in total for ``--seconds``; each message carries its send time, so every
   receiver measures send → receive delay (store + broadcast + delivery);
4. reports the share of (client, message) pairs delivered and the p50/p95/p99/max delay;
5. disconnects ``--reconnect`` clients, keeps sending for ``--gap`` seconds, reconnects them with
   ``?after=<last seq seen>`` and checks each receives exactly the messages it missed, in order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
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
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
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
        self.task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()
        self.closing = False
        self.reconnects = 0

    async def connect(self, url: str, after: int = 0) -> None:
        import websockets

        self.url = url
        self.closing = False
        self.ready = asyncio.Event()
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
                    if kind == "hello":
                        self.ready.set()
                    elif kind == "message":
                        self.seqs.append(event["seq"])
                        body = event["body"]
                        if body.startswith("t="):
                            self.delays.append(now - float(body[2:].split(" ", 1)[0]))
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


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _send_for(
    senders: list[Client], *, rate: float, seconds: float, label: str, counter: list[int]
) -> int:
    """Sends ``rate`` messages per second for ``seconds``, rotating over the senders."""
    total = int(rate * seconds)
    start = time.monotonic()
    for n in range(total):
        target = start + n / rate
        delay = target - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        sender = senders[n % len(senders)]
        counter[0] += 1
        client_id = f"{label}-{n}"
        body = f"t={time.time():.6f} {label} message {n}"
        await sender.send(json.dumps({"type": "send", "client_id": client_id, "body": body}))
    return total


async def _run(
    args: argparse.Namespace, port: int, chat_id: int, keys: list[str], server_pid: int
) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{port}/ws/chats/{chat_id}/"
    clients = [Client(i, keys[i]) for i in range(args.clients)]
    t0 = time.monotonic()
    for batch in range(0, len(clients), 50):
        await asyncio.gather(*(c.connect(url) for c in clients[batch : batch + 50]))
    await asyncio.gather(*(asyncio.wait_for(c.ready.wait(), 60) for c in clients))
    connect_seconds = time.monotonic() - t0
    await asyncio.sleep(1.5)  # let the coalesced presence event pass

    senders = clients[: args.senders]
    counter = [0]
    cpu_before = _cpu_seconds(server_pid)
    wall_before = time.monotonic()
    sent = await _send_for(
        senders, rate=args.rate, seconds=args.seconds, label="live", counter=counter
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(len(set(c.seqs)) < sent for c in clients):
        await asyncio.sleep(0.1)
    cpu_send = _cpu_seconds(server_pid) - cpu_before
    wall_send = time.monotonic() - wall_before
    delays = [d for c in clients for d in c.delays]
    expected = set(range(1, sent + 1))
    delivered = sum(len(expected & set(c.seqs)) for c in clients)
    duplicates = sum(len(c.seqs) - len(set(c.seqs)) for c in clients)
    result: dict[str, Any] = {
        "clients": args.clients,
        "connect_seconds": round(connect_seconds, 2),
        "messages": sent,
        "rate_per_second": args.rate,
        "deliveries_expected": sent * args.clients,
        "deliveries": delivered,
        "delivered_percent": round(100 * delivered / max(1, sent * args.clients), 3),
        "duplicates": duplicates,
        "reconnects_during_run": sum(c.reconnects for c in clients),
        "delay_ms_p50": round(1000 * _percentile(delays, 0.50), 1),
        "delay_ms_p95": round(1000 * _percentile(delays, 0.95), 1),
        "delay_ms_p99": round(1000 * _percentile(delays, 0.99), 1),
        "delay_ms_max": round(1000 * max(delays), 1) if delays else None,
        # What the fan-out costs, independent of how busy the machine is.
        "server_cpu_seconds_while_sending": round(cpu_send, 2),
        "server_cpu_share_while_sending": round(cpu_send / wall_send, 2),
        "server_cpu_microseconds_per_delivery": round(1e6 * cpu_send / max(1, delivered), 1),
    }

    # Reconnect after a gap: the missed messages come back exactly once and in order.
    if args.reconnect and args.gap > 0:
        away = clients[-args.reconnect :]
        last_seen = {c.index: (c.seqs[-1] if c.seqs else 0) for c in away}
        await asyncio.gather(*(c.close() for c in away))
        missed = await _send_for(
            senders, rate=args.rate, seconds=args.gap, label="gap", counter=counter
        )
        for c in away:
            c.seqs, c.delays = [], []
        t1 = time.monotonic()
        await asyncio.gather(*(c.connect(url, after=last_seen[c.index]) for c in away))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and any(len(c.seqs) < missed for c in away):
            await asyncio.sleep(0.05)
        catch_up = time.monotonic() - t1
        exact = sum(
            1
            for c in away
            if c.seqs[:missed]
            == list(range(last_seen[c.index] + 1, last_seen[c.index] + 1 + missed))
        )
        result.update(
            {
                "reconnect_clients": len(away),
                "gap_seconds": args.gap,
                "missed_messages": missed,
                "reconnects_with_every_missed_message_in_order": exact,
                "catch_up_seconds": round(catch_up, 2),
            }
        )
    await asyncio.gather(*(c.close() for c in clients if c.ws is not None), return_exceptions=True)
    return result


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
        "--ws", default="websockets-sansio", help="uvicorn's websocket implementation"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="pollinate-chat-bench-") as tmp:
        workdir = Path(tmp)
        env = _environment(workdir)
        os.environ.update(env)
        chat_id, keys = _prepare(args.clients)
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603 -- our own interpreter and module
            [
                sys.executable,
                "-m",
                "uvicorn",
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
            ],
            env=env,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.1)
            cpu_start = time.process_time()
            result = asyncio.run(_run(args, port, chat_id, keys, server.pid))
            result["bench_client_cpu_seconds"] = round(time.process_time() - cpu_start, 2)
        finally:
            server.terminate()
            _pid, _status, usage = os.wait4(server.pid, 0)
        result["server_cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
        result["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=2))
    ok = result["delivered_percent"] == 100.0 and result.get(
        "reconnects_with_every_missed_message_in_order", 0
    ) == result.get("reconnect_clients", 0)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
