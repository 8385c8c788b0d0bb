"""The two load generators: wrk for closed loop to saturation, and an open-loop generator.

Closed loop (wrk, Debian's package): N connections each send the next request when the previous
answer arrives. It finds capacity (requests per second at saturation) but under-reports latency
when the server stalls (coordinated omission), so its latencies are not the headline.

Open loop (below, on aiohttp): requests are *scheduled* at fixed intervals, sent whether or not
earlier ones have returned, and each latency is measured from its scheduled send time, so a stall
shows up in the percentiles of every request that should have been sent during it.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")


@dataclass(frozen=True)
class Session:
    """What a signed-in client sends: the cookies and the CSRF token for writes."""

    cookie: str
    csrf: str


@dataclass(frozen=True)
class Request:
    path: str
    method: str = "GET"
    body: str = ""
    ok_status: tuple[int, ...] = (200,)


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def form_body(data: dict[str, str]) -> str:
    # The CSRF token travels in the X-CSRFToken header, per session, so one body serves all.
    return urlencode(data) if data else ""


async def sign_in(base: str, *, email: str, password: str) -> Session:
    """Signs in through the real sign-in form, as a browser would, and returns its cookies."""
    jar = aiohttp.CookieJar(unsafe=True)  # unsafe: cookies for an IP address host (127.0.0.1)
    async with aiohttp.ClientSession(cookie_jar=jar) as client:
        async with client.get(f"{base}/sign-in/") as response:
            html = await response.text()
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if match is None:
            raise RuntimeError("The sign-in page has no CSRF token field.")
        form = {"username": email, "password": password, "csrfmiddlewaretoken": match.group(1)}
        async with client.post(f"{base}/sign-in/", data=form, allow_redirects=False) as response:
            if response.status != 302:
                raise RuntimeError(f"Sign-in answered {response.status}, not a redirect.")
        cookies = {cookie.key: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise RuntimeError("Sign-in set no session cookie.")
    cookie = "; ".join(f"{key}={value}" for key, value in sorted(cookies.items()))
    return Session(cookie=cookie, csrf=cookies.get("csrftoken", ""))


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def closed_loop(
    base: str, request: Request, sessions: list[Session], *, seconds: int, connections: int
) -> Result:
    """Saturation with wrk: ``connections`` connections on one thread for ``seconds``."""
    env = {
        **os.environ,
        "BENCH_METHOD": request.method,
        "BENCH_BODY": request.body,
        "BENCH_COOKIES": "|".join(session.cookie for session in sessions),
        "BENCH_CSRFS": "|".join(session.csrf for session in sessions),
    }
    command = [
        "wrk",
        "-t1",  # one client thread: the server needs the other core more than wrk does
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        f"{base}{request.path}",
    ]
    output = subprocess.run(  # noqa: S603 -- fixed argv, no shell
        command, env=env, capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    line = next(row for row in output.splitlines() if row.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return Result(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["status_errors"] + data["socket_errors"],
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
    )


def closed_loop_python(
    base: str, request: Request, sessions: list[Session], *, seconds: int, connections: int
) -> Result:
    """The closed loop without wrk (slower client, so a lower ceiling): for machines lacking it."""
    return asyncio.run(_closed_loop(base, request, sessions, seconds, connections))


async def _closed_loop(
    base: str, request: Request, sessions: list[Session], seconds: int, connections: int
) -> Result:
    latencies: list[float] = []
    errors = 0
    sent = 0
    async with _client(connections) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors, sent
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                headers = _headers(request, sessions, sent)
                sent += 1
                ok = await _send(client, base, request, headers)
                latencies.append(time.perf_counter() - started)
                errors += 0 if ok else 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return _result(latencies, errors, elapsed)


def open_loop(
    base: str, request: Request, sessions: list[Session], *, rate: float, seconds: float
) -> Result:
    """``rate`` requests per second for ``seconds``, latency measured from each scheduled send."""
    return asyncio.run(_open_loop(base, request, sessions, rate, seconds))


async def _open_loop(
    base: str, request: Request, sessions: list[Session], rate: float, seconds: float
) -> Result:
    count = max(1, int(rate * seconds))
    interval = 1.0 / rate
    loop = asyncio.get_running_loop()
    async with _client(512) as client:

        async def one(scheduled: float, headers: dict[str, str]) -> tuple[float, bool]:
            ok = await _send(client, base, request, headers)
            return loop.time() - scheduled, ok

        start = loop.time() + 0.05
        tasks = []
        for index in range(count):
            scheduled = start + index * interval
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            # Sent late if the generator itself fell behind: the lateness counts, as it would
            # for a user who clicked at the scheduled time.
            tasks.append(asyncio.create_task(one(scheduled, _headers(request, sessions, index))))
        outcomes = await asyncio.gather(*tasks)
        elapsed = loop.time() - start
    latencies = [latency for latency, _ok in outcomes]
    return _result(latencies, sum(1 for _l, ok in outcomes if not ok), elapsed)


@dataclass(frozen=True)
class Stream:
    """One open-loop stream of a mixed run: what to send, as whom, how often."""

    request: Request
    sessions: list[Session]
    rate: float


def open_loops(base: str, streams: list[Stream], *, seconds: float) -> list[Result]:
    """Several open loops at once (writes alongside reads), one result per stream."""

    async def together() -> list[Result]:
        return list(
            await asyncio.gather(
                *(
                    _open_loop(base, stream.request, stream.sessions, stream.rate, seconds)
                    for stream in streams
                )
            )
        )

    return asyncio.run(together())


def _client(connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=10),
        cookie_jar=aiohttp.DummyCookieJar(),  # the session cookie is sent as a fixed header
    )


def _headers(request: Request, sessions: list[Session], index: int) -> dict[str, str]:
    """Request ``index``'s headers: sessions take turns (one for reads, several for writes)."""
    if not sessions:
        return {}
    session = sessions[index % len(sessions)]
    headers = {"Cookie": session.cookie}
    if request.method != "GET":
        headers["X-CSRFToken"] = session.csrf
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return headers


async def _send(
    client: aiohttp.ClientSession, base: str, request: Request, headers: dict[str, str]
) -> bool:
    try:
        async with client.request(
            request.method,
            f"{base}{request.path}",
            data=request.body or None,
            headers=headers,
            allow_redirects=False,
        ) as response:
            await response.read()
            return response.status in request.ok_status
    except (aiohttp.ClientError, TimeoutError):
        return False


def _result(latencies_s: list[float], errors: int, elapsed: float) -> Result:
    values = sorted(latency * 1000 for latency in latencies_s)
    return Result(
        requests=len(values),
        seconds=elapsed,
        errors=errors,
        p50_ms=percentile(values, 50),
        p95_ms=percentile(values, 95),
        p99_ms=percentile(values, 99),
        max_ms=values[-1] if values else 0.0,
    )
