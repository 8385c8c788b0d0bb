"""Benchmark: build and send a weekly digest to N members over real SMTP.

Run: ``.venv/bin/python -m pollinate.digests.bench --members 20000``

It makes a throwaway instance in a temporary directory (its own SQLite file), generates sites,
topics, members, follows of topics and collections, last week's practices and episodes, starts an
SMTP sink in a separate process on loopback, runs ``digest_run`` once (the same code the worker
runs) and reports members/s, messages/s and the peak resident memory of the run. A second run
checks that nothing is sent twice. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the SMTP sink did not start")


ZONES = [
    "UTC",
    "Europe/Paris",
    "Europe/Lisbon",
    "America/New_York",
    "America/Sao_Paulo",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "Australia/Sydney",
]


def _period() -> str:
    from pollinate.digests.models import Frequency
    from pollinate.digests.services import period_bounds

    return period_bounds(Frequency.WEEKLY)[0].isoformat()


def _populate(members: int, seed: int) -> dict[str, int]:
    from django.apps import apps
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from pollinate.curation.models import Collection, CollectionFollow, Episode
    from pollinate.digests.models import Frequency
    from pollinate.digests.services import period_bounds
    from pollinate.people.models import Person, Site, Topic, User

    rng = random.Random(seed)
    start, _end = period_bounds(Frequency.WEEKLY)
    when = start + timedelta(days=2)
    sites = Site.objects.bulk_create(
        [
            Site(
                name=f"Site {i}",
                code=f"s{i}",
                country=rng.choice(["FR", "DE", "PT", "PL", "CN", "US"]),
                time_zone="UTC",
                languages=["en"],
                region=rng.choice(["EMEA", "APAC", "AMER"]),
            )
            for i in range(100)
        ]
    )
    topics = Topic.objects.bulk_create(
        [Topic(name=f"Topic {i}", slug=f"topic-{i}", kind="process") for i in range(200)]
    )
    password = make_password(None)
    batch = 2000
    for offset in range(0, members, batch):
        users = User.objects.bulk_create(
            [
                User(email=f"member{i}@bench.example", password=password)
                for i in range(offset, min(members, offset + batch))
            ]
        )
        Person.objects.bulk_create(
            [
                Person(
                    user=user,
                    display_name=f"Member {user.pk}",
                    site=rng.choice(sites),
                    # Members across time zones, so the run reads one period per zone offset.
                    time_zone=rng.choice(ZONES),
                    languages=["en"],
                )
                for user in users
            ]
        )
    person_ids = list(Person.objects.values_list("pk", flat=True))
    editor = Person.objects.first()
    collections = []
    for i in range(20):
        collection = Collection.objects.create(
            title=f"Series {i}", created_by=editor, publish_at=when - timedelta(days=30)
        )
        Episode.objects.create(collection=collection, number=1, title="Part 1", publish_at=when)
        collections.append(collection)
    follows = [
        CollectionFollow(person_id=pid, collection=rng.choice(collections))
        for pid in person_ids
        if rng.random() < 0.5
    ]
    CollectionFollow.objects.bulk_create(follows, batch_size=2000, ignore_conflicts=True)
    counts = {"collection_follows": len(follows)}

    try:
        Practice = apps.get_model("practices", "Practice")
        Follow = apps.get_model("practices", "Follow")
    except LookupError:
        return counts
    practices = []
    for i in range(300):
        practices.append(
            Practice(
                title=f"Practice {i}",
                language="en",
                site=rng.choice(sites),
                owner_id=rng.choice(person_ids),
                status="shared",
                shared_at=when,
            )
        )
    practices = Practice.objects.bulk_create(practices)
    through = Practice.topics.through
    through.objects.bulk_create(
        [through(practice_id=p.pk, topic_id=t.pk) for p in practices for t in rng.sample(topics, 2)]
    )
    topic_follows = [
        Follow(person_id=pid, topic=t, created_at=timezone.now())
        for pid in person_ids
        for t in rng.sample(topics, 3)
    ]
    Follow.objects.bulk_create(topic_follows, batch_size=2000, ignore_conflicts=True)
    counts.update(practices=len(practices), topic_follows=len(topic_follows))
    return counts


def _shard(queue: Any, shard: int, shards: int, chunk_size: int) -> None:
    from django.db import connections

    from pollinate.digests.services import digest_run

    connections.close_all()
    report = digest_run(period_start=_period(), chunk_size=chunk_size, shard=shard, shards=shards)
    queue.put((report.sent, report.empty, report.failed))


def _run_sharded(shards: int, chunk_size: int) -> tuple[int, int, int]:
    """Runs the shards in forked processes, as the worker's process pool does."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    procs = [
        context.Process(target=_shard, args=(queue, i, shards, chunk_size)) for i in range(shards)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    sent, empty, failed = (sum(column) for column in zip(*results, strict=True))
    return sent, empty, failed


def run(
    members: int = 20000,
    seed: int = 7,
    chunk_size: int = 500,
    profile: bool = False,
    shards: int = 1,
) -> dict[str, Any]:
    workdir = tempfile.mkdtemp(prefix="pollinate-digest-bench-")
    port = _free_port()
    os.environ.update(
        {
            "POLLINATE_VAR_DIR": workdir,
            "POLLINATE_DEV_SECRET": "1",
            "DJANGO_SETTINGS_MODULE": "pollinate.settings",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "TASKS_IMMEDIATE": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    sink = subprocess.Popen(  # noqa: S603 -- our own interpreter running a known module
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        counts = _populate(members, seed)
        generate_s = time.perf_counter() - t0
        _wait_port(port)

        from django.conf import settings

        # A long-lived worker loads the URL configuration once, not once per run.
        from django.urls import reverse

        from pollinate.digests.models import DigestSend, SendStatus
        from pollinate.digests.services import digest_run

        reverse("digests:home")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu0 = os.times()
        t0 = time.perf_counter()
        if shards > 1:
            sent, empty, failed = _run_sharded(shards, chunk_size)
            report = None
        elif profile:
            import cProfile
            import pstats

            # CPU time, not wall: on a loaded machine waits for a core would swamp the profile.
            profiler = cProfile.Profile(time.process_time)
            report = profiler.runcall(digest_run, period_start=_period(), chunk_size=chunk_size)
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats("cumulative").print_stats(30)
            stats.sort_stats("tottime").print_stats(30)
        else:
            report = digest_run(period_start=_period(), chunk_size=chunk_size)
        elapsed = time.perf_counter() - t0
        cpu1 = os.times()
        # CPU of this process and of the forked shards (the SMTP sink is not waited for yet).
        run_cpu = (cpu1.user + cpu1.system + cpu1.children_user + cpu1.children_system) - (
            cpu0.user + cpu0.system + cpu0.children_user + cpu0.children_system
        )
        load = os.getloadavg()[0]
        if report is not None:
            sent, empty, failed = report.sent, report.empty, report.failed
        rss_after = max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        t1 = time.perf_counter()
        rerun = digest_run(period_start=_period(), chunk_size=chunk_size)
        rerun_s = time.perf_counter() - t1
        result = {
            "members": members,
            "generated_in_s": round(generate_s, 1),
            **counts,
            "shards": shards,
            "smtp_connections_per_shard": settings.DIGESTS_SMTP_CONNECTIONS,
            "sent": sent,
            "empty": empty,
            "failed": failed,
            "run_s": round(elapsed, 1),
            "members_per_s": round(members / elapsed, 1),
            "messages_per_s": round(sent / elapsed, 1),
            "run_cpu_s": round(run_cpu, 1),
            "cpu_ms_per_member": round(1000 * run_cpu / members, 2),
            "load_average_1m_at_end": round(load, 1),
            "peak_rss_mb": round(rss_after / 1024, 1),
            "peak_rss_growth_during_run_mb": round((rss_after - rss_before) / 1024, 1),
            "rerun_sent": rerun.sent,
            "rerun_s": round(rerun_s, 1),
            "send_records_sent": DigestSend.objects.filter(status=SendStatus.SENT).count(),
            "workdir": workdir,
        }
    finally:
        before_sink = os.times()
        sink.terminate()
        sink.wait(timeout=10)
    after_sink = os.times()
    # The sink's CPU, to tell what the same run would take with the machine to itself.
    sink_cpu = (after_sink.children_user + after_sink.children_system) - (
        before_sink.children_user + before_sink.children_system
    )
    result["smtp_sink_cpu_s"] = round(sink_cpu, 1)
    result["idle_2_core_estimate_s"] = round((run_cpu + sink_cpu) / 2, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--shards", type=int, default=2, help="processes, as DIGESTS_SHARDS")
    parser.add_argument("--profile", action="store_true", help="cProfile a 1-shard run (stderr)")
    args = parser.parse_args()
    shards = 1 if args.profile else args.shards
    result = run(args.members, args.seed, args.chunk_size, args.profile, shards)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
