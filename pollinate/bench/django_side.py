"""The harness's steps that run inside Django, against ``POLLINATE_VAR_DIR``'s database.

Run as ``python -m pollinate.bench.django_side STEP ...`` by ``pollinate.bench.run`` with the
benchmark's environment; each step writes its result as JSON to ``--out``. Kept out of the
orchestrator so the process that drives load never imports Django or touches the database.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import inspect
import io
import json
import os
import pstats
import random
import secrets
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django

# Members who sign in to share the write load; each may post 60 comments per 10 minutes. A run
# posts up to ~3 500 within that window (closed loop at ~300/s for 5 s, the open loop's 500, then
# 15 s at 100/s alongside reads): 120 writers allow 7 200, so no post meets the limiter.
WRITERS = 120


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pollinate.settings")
    django.setup()
    # As the server's workers do (pollinate/gunicorn_conf.py): in-process figures then match.
    gc.freeze()


def generate(*, scale: str, seed: int) -> dict[str, Any]:
    """Fills an empty database at ``scale`` with ``generate_org`` (or a small stand-in)."""
    from django.core.management import call_command, get_commands, load_command_class

    from pollinate.bench.scales import SCALES

    wanted = dict(SCALES[scale])
    started = time.perf_counter()
    if "generate_org" not in get_commands():
        _placeholder_org(rng=random.Random(seed), sites=wanted["sites"], members=wanted["members"])
        return {
            "generator": "placeholder (generate_org not available)",
            "options": wanted,
            "dropped": [],
            "seconds": round(time.perf_counter() - started, 1),
        }
    command = load_command_class(get_commands()["generate_org"], "generate_org")
    parser = command.create_parser("manage.py", "generate_org")
    accepted = {action.dest for action in parser._actions}
    options: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in wanted.items():
        if key in accepted:
            options[key] = value
        elif f"scale_{key}" in accepted:  # per-app volumes: --scale-practices N
            options[f"scale_{key}"] = value
        else:
            dropped.append(key)
    cpu = time.process_time()
    call_command("generate_org", seed=seed, **options)
    return {
        "generator": "generate_org",
        "options": options,
        "dropped": dropped,
        "seconds": round(time.perf_counter() - started, 1),
        # On a shared machine the wall time mostly measures the others: CPU is what it costs.
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
    }


def _placeholder_org(*, rng: random.Random, sites: int, members: int) -> None:
    """Sites, topics, members and skills only: enough to load the people pages."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from pollinate.people.models import Person, Site, Skill, Topic, TopicKind, User

    places = [
        ("Lyon", "FR", "Europe/Paris", ["fr"]),
        ("Porto", "PT", "Europe/Lisbon", ["pt"]),
        ("Monterrey", "MX", "America/Monterrey", ["es"]),
        ("Pune", "IN", "Asia/Kolkata", ["hi", "en"]),
        ("Łódź", "PL", "Europe/Warsaw", ["pl"]),
        ("Ohio", "US", "America/New_York", ["en"]),
    ]
    words = ["Welding", "Lean", "Safety", "Maintenance", "Quality", "Packaging", "Forklift"]
    unusable = make_password(None)
    with transaction.atomic():
        site_rows = [
            Site.objects.create(
                name=f"{places[i % len(places)][0]} {i + 1}",
                code=f"site-{i + 1}",
                country=places[i % len(places)][1],
                time_zone=places[i % len(places)][2],
                languages=places[i % len(places)][3],
            )
            for i in range(sites)
        ]
        topics = [
            Topic.objects.create(kind=TopicKind.SKILL, name=f"{word} {level}")
            for word in words
            for level in ("basics", "advanced")
        ]
        users = User.objects.bulk_create(
            User(email=f"member{i}@bench.example", password=unusable) for i in range(members)
        )
        people = Person.objects.bulk_create(
            Person(
                user=user,
                display_name=f"Member {i:05d}",
                site=site_rows[i % sites],
                time_zone=site_rows[i % sites].time_zone,
                languages=site_rows[i % sites].languages,
                job_title=rng.choice(["Operator", "Technician", "Engineer"]),
            )
            for i, user in enumerate(users)
        )
        Skill.objects.bulk_create(
            Skill(person=person, topic=topic, level=rng.randint(1, 4))
            for person in people
            for topic in rng.sample(topics, 3)
        )


def prepare() -> dict[str, Any]:
    """Gives one member a fresh password, resolves every endpoint and counts its queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from pollinate.bench.endpoints import ENDPOINTS
    from pollinate.people.models import Person, RoleName

    bench = (
        Person.objects.filter(user__is_active=True, user__is_superuser=False)
        .exclude(roles__role=RoleName.ADMINISTRATOR)
        .select_related("user", "site")
        .order_by("pk")
        .first()
    )
    if bench is None:
        raise SystemExit("The benchmark organisation has no active member to sign in as.")
    # The benchmark's own cache: a run repeated within ten minutes would otherwise find its
    # writers' comment limits used up by the last one (the warm-up refills the rest).
    from django.core.cache import cache

    cache.clear()
    password = secrets.token_urlsafe(18)
    bench.user.set_password(password)
    bench.user.save(update_fields=["password"])

    # Writes rotate over several members: per-person rate limits (comments) would otherwise
    # answer 429 after a few dozen posts and the figure would time the limiter, not the write.
    writers = []
    for person in (
        Person.objects.filter(user__is_active=True, site=bench.site)
        .exclude(pk=bench.pk)
        .select_related("user")
        .order_by("pk")[:WRITERS]
    ):
        writer_password = secrets.token_urlsafe(18)
        person.user.set_password(writer_password)
        person.user.save(update_fields=["password"])
        writers.append({"email": person.user.email, "password": writer_password})

    # A failing page is a finding, not a reason to stop: it is loaded anyway and its errors counted.
    client = Client(raise_request_exception=False)
    client.force_login(bench.user)
    resolved: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for endpoint in ENDPOINTS:
        try:
            target = endpoint.resolve(bench)
        except (LookupError, ImportError, AttributeError) as exc:
            skipped[endpoint.name] = str(exc) or type(exc).__name__
            continue
        if target is None:
            skipped[endpoint.name] = "not available"
            continue
        send = client.post if target.method == "POST" else client.get
        send(target.path, target.data or None)  # warm: parsed templates, content types, caches
        with CaptureQueriesContext(connection) as queries:
            response = send(target.path, target.data or None)
        resolved[endpoint.name] = {
            "path": target.path,
            "method": target.method,
            "data": target.data,
            "ok_status": list(target.ok_status),
            "status": response.status_code,
            "queries": len(queries.captured_queries),
            "description": endpoint.description,
        }
    return {
        "email": bench.user.email,
        "password": password,
        "writers": writers,
        "endpoints": resolved,
        "skipped": skipped,
    }


def engines(*, scale: str) -> dict[str, Any]:
    from pollinate.bench.engines import ENGINES

    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for engine in ENGINES:
        try:
            module = importlib.import_module(engine.module)
        except ModuleNotFoundError:
            skipped[engine.name] = f"{engine.module} does not exist yet"
            continue
        function = getattr(module, engine.function, None)
        if function is None:
            skipped[engine.name] = f"{engine.module}.{engine.function} does not exist yet"
            continue
        kwargs = {"scale": scale} if "scale" in inspect.signature(function).parameters else {}
        try:
            value = function(**kwargs)
            if engine.field:
                results[engine.name] = {"value": value[engine.field], "unit": engine.unit}
            else:
                results[engine.name] = {"value": value["value"], "unit": str(value["unit"])}
        except Exception as exc:  # one broken engine must not lose the others' figures
            skipped[engine.name] = f"failed: {type(exc).__name__}: {exc}"
    return {"engines": results, "skipped": skipped}


def _bench_member() -> Any:
    from pollinate.people.models import Person

    bench = Person.objects.select_related("user").order_by("pk").first()
    assert bench is not None
    return bench


def _signed_in_client(bench: Any = None) -> Any:
    """A test client signed in as the bench member, as the load run's requests are."""
    from django.test import Client

    client = Client()
    client.force_login((bench or _bench_member()).user)
    return client


def _signed_in_targets(names: list[str], client: Any = None) -> Iterator[tuple[Any, Any, Any]]:
    """(endpoint, target, client) for each named endpoint that resolves here (all when ``names``
    is empty), the client (``client``, or a new one) signed in as the bench member."""
    from pollinate.bench.endpoints import ENDPOINTS

    bench = _bench_member()
    client = client or _signed_in_client(bench)
    for endpoint in ENDPOINTS:
        if names and endpoint.name not in names:
            continue
        target = endpoint.resolve(bench)
        if target is not None:
            yield endpoint, target, client


def profile(*, names: list[str], out_dir: Path, scale: str, repeat: int) -> dict[str, Any]:
    """Profiles ``repeat`` requests per endpoint with pyinstrument; writes one text file each."""
    from pyinstrument import Profiler

    written: dict[str, str] = {}
    for endpoint, target, client in _signed_in_targets(names):
        client.get(target.path)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(repeat):
            client.get(target.path)
        profiler.stop()
        # The same requests under cProfile: a flat list by own time names the hot spots that the
        # call tree spreads over hidden framework frames (template rendering, form widgets).
        flat = cProfile.Profile()
        flat.enable()
        for _ in range(repeat):
            client.get(target.path)
        flat.disable()
        stats = io.StringIO()
        pstats.Stats(flat, stream=stats).sort_stats("tottime").print_stats(25)
        path = out_dir / f"{scale}-profile-{endpoint.name}.txt"
        text = (
            f"{repeat} requests to {target.path}\n\n"
            + profiler.output_text(unicode=True, color=False)
            + "\n\ncProfile, top 25 by own time:\n"
            + stats.getvalue()
        )
        # Paths relative to the checkout and site-packages, so results read the same anywhere.
        for prefix in (str(Path.cwd()), sysconfig.get_paths()["purelib"]):
            text = text.replace(prefix + "/", "")
        path.write_text(text, encoding="utf-8")
        written[endpoint.name] = str(path)
    return written


FLOOR_SIGNED_IN = "floor_signed_in"


def cpu(*, names: list[str], repeat: int) -> dict[str, Any]:
    """CPU milliseconds of each GET endpoint served in-process (all middleware, no network).

    The steadiest figure while working on a page: the same requests as the load run, without the
    server, the load generator and the other process competing. Prints one line per endpoint.
    ``floor_signed_in`` is ``/ping`` as the signed-in bench member: what session, user and member
    cost every signed-in page.
    """
    measured: dict[str, Any] = {}
    client = _signed_in_client()
    targets = [(FLOOR_SIGNED_IN, "/ping")] if not names or FLOOR_SIGNED_IN in names else []
    targets += [
        (endpoint.name, target.path)
        for endpoint, target, _client in _signed_in_targets(names, client)
        if target.method == "GET"
    ]
    for name, path in targets:
        measured[name] = row = _cpu_of(client, path, repeat)
        print(
            f"{name:20} {row['cpu_p50_ms']:7.2f} ms CPU p50 "
            f"(min {row['cpu_min_ms']:.2f}), {row['queries']} queries  {path}",
            file=sys.stderr,
        )
    return measured


def _cpu_of(client: Any, path: str, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm caches and template loading
        client.get(path)
    samples = []
    status = 0
    for _ in range(repeat):
        started = time.process_time()
        status = client.get(path).status_code
        samples.append((time.process_time() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    samples.sort()
    return {
        "path": path,
        "status": status,
        "cpu_p50_ms": round(samples[len(samples) // 2], 2),
        "cpu_min_ms": round(samples[0], 2),
        "queries": len(queries.captured_queries),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pollinate.bench.django_side")
    parser.add_argument("step", choices=["generate", "prepare", "engines", "profile", "cpu"])
    parser.add_argument("--scale", default="S")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--names", default="home,directory")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    _setup()
    result: Any
    if args.step == "generate":
        result = generate(scale=args.scale, seed=args.seed)
    elif args.step == "prepare":
        result = prepare()
    elif args.step == "engines":
        result = engines(scale=args.scale)
    elif args.step == "cpu":
        result = cpu(names=[n for n in args.names.split(",") if n], repeat=args.repeat)
    else:
        result = profile(
            names=args.names.split(","),
            out_dir=args.out.parent,
            scale=args.scale,
            repeat=args.repeat,
        )
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
