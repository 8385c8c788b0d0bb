"""Analytics at scale: dashboard server time, full rollup rebuild and the subscriber's write cost.

    .venv/bin/python -m pollinate.analytics.bench                        # 10M activities
    .venv/bin/python -m pollinate.analytics.bench --activities 200000    # a quick try

1. Builds (once) a scratch organisation in its own data directory (default
   ``var/bench-analytics``; never the developer's database): ``org_generate`` without the other
   apps' demo data (100 sites, 20k members), then practices with topics, questions with topics,
   and ``--activities`` spine rows written with ``bulk_create`` in time order over two years: the
   verbs analytics folds (shares, trying → adopted/adapted/dropped with outcomes, questions and
   answers, coaching, reflections) plus the verbs it ignores (comments, reactions, views) that
   make up the rest of a real spine. The directory is reused while the sizes and the seed are
   unchanged (``bench-key.json``); delete it to rebuild.
2. Times the full rebuild (``rollups_rebuild``: replay of the spine into memory, tables replaced).
3. Times ``/analytics/`` through Django's test client in process (all middleware, session,
   templates; no network): **cold** (the dashboard cache is cleared before each request) and
   **warm** (served from ``ANALYTICS_CACHE_SECONDS``). Server time only.
4. Times a practice adoption (``adoption_record``, its commit and every spine subscriber) with the
   analytics rollup subscriber and without it, interleaved, on fresh (practice, site) pairs. The
   subscriber only enqueues a delayed fold (``ANALYTICS_FOLD_DELAY``); the fold of those
   adoptions (``rollups_fold``, the worker's part) is timed after them, per activity.

Prints one JSON object. The harness (``pollinate/bench/engines.py``) calls ``bench_analytics``,
which runs this module in a separate process (it needs its own database) and caches the result.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pollinate.bench.scratch import (
    scratch_database_built,
    scratch_database_reused,
    scratch_environment,
    timing_summary,
)

ROOT = Path(__file__).resolve().parents[2]
FULL = {"activities": 10_000_000, "sites": 100, "members": 20_000}
# What the harness runs at M and L: 10M takes most of an hour to generate on 2 shared cores.
HARNESS = {"activities": 1_000_000, "sites": 100, "members": 20_000}
SMALL = {"activities": 100_000, "sites": 10, "members": 1_000}
TARGET_DASHBOARD_MS = 50.0
TARGET_REBUILD_S = 120.0
TARGET_WRITE_OVERHEAD = 0.10
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_DAYS = 730
# Of a real spine, the share of each verb family (the rest is what analytics ignores).
IGNORED_VERBS = ("comment.posted", "reaction.added", "practice.viewed", "person.followed")


def _environment(var_dir: Path) -> dict[str, str]:
    return scratch_environment(var_dir)


def _percentiles(samples: list[float]) -> dict[str, float]:
    return timing_summary(samples)


# ------------------------------------------------------------------------------------ build


def _generate(*, activities: int, seed: int) -> dict[str, int]:
    """Practices, questions and ``activities`` spine rows with a heavy-tailed diffusion."""
    from pollinate.activity.bulk import SpineWriter
    from pollinate.people.models import Person, Site, Topic
    from pollinate.practices.models import Practice
    from pollinate.questions.models import Question, QuestionTopic

    rng = random.Random(seed)
    sites = list(Site.objects.values_list("pk", flat=True))
    people_by_site: dict[int, list[int]] = {s: [] for s in sites}
    for pk, site in Person.objects.values_list("pk", "site_id"):
        people_by_site[site].append(pk)
    sites = [s for s in sites if people_by_site[s]]
    topics = list(Topic.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    topics = topics or list(Topic.objects.values_list("pk", flat=True))
    n_practices = max(activities // 100, 50)
    n_questions = max(activities // 50, 50)

    def when() -> datetime:
        return START + timedelta(seconds=rng.uniform(0, SPAN_DAYS * 86400))

    origins = [rng.choice(sites) for _ in range(n_practices)]
    practices = Practice.objects.bulk_create(
        [
            Practice(
                title=f"Practice {n}",
                language="en",
                site_id=origin,
                owner_id=rng.choice(people_by_site[origin]),
                status="shared",
            )
            for n, origin in enumerate(origins)
        ],
        batch_size=2000,
    )
    through = Practice.topics.through
    through.objects.bulk_create(
        [
            through(practice_id=p.pk, topic_id=t)
            for p in practices
            for t in rng.sample(topics, k=min(len(topics), rng.choice((1, 1, 2))))
        ],
        batch_size=5000,
    )
    question_sites = [rng.choice(sites) for _ in range(n_questions)]
    questions = Question.objects.bulk_create(
        [
            Question(
                title=f"Question {n}",
                author_id=rng.choice(people_by_site[site]),
                site_id=site,
            )
            for n, site in enumerate(question_sites)
        ],
        batch_size=2000,
    )
    QuestionTopic.objects.bulk_create(
        [QuestionTopic(question_id=q.pk, topic_id=rng.choice(topics)) for q in questions],
        batch_size=5000,
    )
    spine = SpineWriter()
    counts: dict[str, int] = {}

    def add(verb: str, actor: int, site: int, obj: int, at: datetime, **payload: Any) -> None:
        counts[verb] = counts.get(verb, 0) + 1
        spine.add(verb, verb.split(".", 1)[0], obj, actor, site, at, payload)

    relevant_budget = int(activities * 0.4)
    for practice in practices:
        shared = when()
        origin = practice.site_id
        add("practice.shared", practice.owner_id, origin, practice.pk, shared, practice_site=origin)
        # Heavy tail: most practices reach nobody, a few reach dozens of sites.
        reach = min(int(rng.paretovariate(1.2)) - 1, len(sites) - 1)
        for adopter in rng.sample([s for s in sites if s != origin], k=max(reach, 0)):
            person = rng.choice(people_by_site[adopter])
            at = shared + timedelta(hours=rng.expovariate(1 / 300))
            add("practice.trying", person, adopter, practice.pk, at, practice_site=origin)
            roll = rng.random()
            later = at + timedelta(hours=rng.expovariate(1 / 200))
            verb = "practice.adopted" if roll < 0.6 else "practice.adapted" if roll < 0.75 else ""
            if verb:
                positive = rng.random() < 0.7
                add(
                    verb,
                    person,
                    adopter,
                    practice.pk,
                    later,
                    practice_site=origin,
                    positive=positive,
                )
            elif roll < 0.9:
                add("practice.dropped", person, adopter, practice.pk, later, practice_site=origin)
    answer_id = 0
    for question in questions:
        asked = when()
        add("question.asked", question.author_id, question.site_id, question.pk, asked)
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            site = question.site_id if rng.random() < 0.6 else rng.choice(sites)
            answer_id += 1
            at = asked + timedelta(hours=rng.expovariate(1 / 20))
            add(
                "question.answered",
                rng.choice(people_by_site[site]),
                site,
                answer_id,
                at,
                question_id=question.pk,
            )
    while sum(counts.values()) < relevant_budget:
        site = rng.choice(sites)
        add(
            "reflection.written",
            rng.choice(people_by_site[site]),
            site,
            rng.randrange(10**6),
            when(),
        )
    while sum(counts.values()) < activities:
        site = rng.choice(sites)
        verb = rng.choice(IGNORED_VERBS)
        add(verb, rng.choice(people_by_site[site]), site, rng.randrange(10**6), when())
    spine.flush()
    return {
        "practices": len(practices),
        "questions": len(questions),
        "activities": spine.written,
        "relevant_activities": sum(n for v, n in counts.items() if v not in IGNORED_VERBS),
    }


def _build(*, var_dir: Path, sizes: dict[str, int], seed: int) -> dict[str, Any]:
    """Generates the scratch organisation unless the directory already holds this one."""
    from django.db import connection, transaction

    key = {**sizes, "seed": seed, "version": 1}
    if scratch_database_reused(var_dir, key):
        return {"reused": True}
    from pollinate.activity.bulk import spine_indexes_deferred
    from pollinate.people.demo import org_generate

    started = time.perf_counter()
    org_generate(
        sites=sizes["sites"], members=sizes["members"], seed=seed, populate=False, scale={}
    )
    people_s = time.perf_counter() - started
    started = time.perf_counter()
    with transaction.atomic(), spine_indexes_deferred():
        generated = _generate(activities=sizes["activities"], seed=seed)
    generated_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    scratch_database_built(var_dir, key)
    return {
        "reused": False,
        "people_generated_s": round(people_s, 1),
        "activities_generated_s": round(generated_s, 1),
        **generated,
    }


# ---------------------------------------------------------------------------------- measure


def _rebuild() -> dict[str, Any]:
    from pollinate.analytics.models import DailyCount, Participant
    from pollinate.analytics.rollups import rollups_rebuild

    phases: dict[str, float] = {}
    started, started_cpu = time.perf_counter(), time.process_time()
    replayed = rollups_rebuild(timings=phases)
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(time.process_time() - started_cpu, 1),
        "cpu_seconds_by_phase": phases,
        "replayed": replayed,
        "daily_counts": DailyCount.objects.count(),
        "participants": Participant.objects.count(),
    }


def _dashboard(*, samples: int) -> dict[str, Any]:
    from django.core.cache import cache
    from django.test import Client
    from django.urls import reverse

    from pollinate.people.models import Person

    person = Person.objects.select_related("user").filter(user__is_active=True).first()
    assert person is not None
    client = Client()
    client.force_login(person.user)
    path = reverse("analytics:org")

    cpu: list[float] = []

    def get() -> float:
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        return elapsed

    cold = []
    for _ in range(samples):
        cache.delete_many([key for key in _dashboard_keys()])
        cold.append(get())
    cold_cpu = list(cpu)
    # Warm requests are cheap: enough of them that p95 is a figure, not the second-worst sample.
    warm = [get() for _ in range(max(samples * 5, 100))]
    return {
        "cold": _percentiles(cold),
        "cold_cpu_p50_ms": round(statistics.median(cold_cpu), 2),
        "warm": _percentiles(warm),
    }


def _dashboard_keys() -> list[str]:
    from django.conf import settings
    from django.utils.translation import override

    from pollinate.analytics.selectors import dashboard_cache_key

    keys = []
    for language, _name in settings.LANGUAGES:
        with override(language):
            keys.append(dashboard_cache_key("org"))
    return keys


def _write_overhead(*, samples: int, seed: int) -> dict[str, Any]:
    """A practice adoption (service, commit, every subscriber) with and without the rollups."""
    from pollinate.activity import spine
    from pollinate.analytics import rollups
    from pollinate.people.models import Person
    from pollinate.practices.models import Practice
    from pollinate.practices.services import Outcome, adoption_record

    rng = random.Random(seed)
    subscribed = [entry for entry in spine._subscribers if entry[1] is rollups.rollup_on_activity]
    practices = list(Practice.objects.filter(status="shared").order_by("-pk")[: samples * 4])
    adopters = list(Person.objects.select_related("site").order_by("pk")[:2000])
    used: set[tuple[int, int]] = set()

    def one() -> float:
        while True:
            practice, actor = rng.choice(practices), rng.choice(adopters)
            key = (practice.pk, actor.site_id)
            if practice.site_id != actor.site_id and key not in used:
                used.add(key)
                break
        started = time.perf_counter()
        adoption_record(
            actor=actor, practice=practice, status="adopted", outcome=Outcome(positive=True)
        )
        return (time.perf_counter() - started) * 1000

    for _ in range(5):  # warm-up
        one()
    with_rollups, without = [], []
    for _ in range(samples):
        with_rollups.append(one())
        for entry in subscribed:
            spine._subscribers.remove(entry)
        try:
            without.append(one())
        finally:
            spine._subscribers.extend(subscribed)
    w, wo = statistics.median(with_rollups), statistics.median(without)
    # The write only enqueued a fold; time the fold itself (what the worker does a few seconds
    # later) over every adoption written above.
    started, started_cpu = time.perf_counter(), time.process_time()
    folded = rollups.rollups_fold()
    fold_s, fold_cpu_s = time.perf_counter() - started, time.process_time() - started_cpu
    return {
        "fold": {
            "activities": folded,
            "seconds": round(fold_s, 3),
            "cpu_seconds": round(fold_cpu_s, 3),
            "cpu_ms_per_activity": round(1000 * fold_cpu_s / max(folded, 1), 2),
        },
        "with_rollups": _percentiles(with_rollups),
        "without_rollups": _percentiles(without),
        "overhead_share": round((w - wo) / wo, 3),
    }


def run(
    *, var_dir: Path, sizes: dict[str, int], seed: int, samples: int, only: str = ""
) -> dict[str, Any]:
    """Builds (or reuses) the scratch database and measures. Sets up Django in this process.

    ``only="build"`` stops after the database is complete (a 10M build runs for most of an hour
    and is worth starting alone); ``only="rebuild"`` times the rebuild and nothing else.
    """
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ.clear()
    os.environ.update(_environment(var_dir))
    import django

    django.setup()
    from django.core.management import call_command

    from pollinate.activity.models import Activity

    # DEBUG is off as in production, so pages need the hashed static manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    built = _build(var_dir=var_dir, sizes=sizes, seed=seed)
    if only == "build":
        return {"activities": Activity.objects.count(), "build": built}
    rebuild = _rebuild()
    if only == "rebuild":
        return {
            "activities": Activity.objects.count(),
            "build": built,
            "rebuild": rebuild,
            "rebuild_s": rebuild["seconds"],
            "rebuild_cpu_s": rebuild["cpu_seconds"],
            "peak_rss_mb": _peak_rss_mb(),
            "load_average_1m": round(os.getloadavg()[0], 2),
        }
    dashboard = _dashboard(samples=samples)
    writes = _write_overhead(samples=samples * 4, seed=seed)
    return {
        "activities": Activity.objects.count(),
        "build": built,
        "rebuild": rebuild,
        "dashboard": dashboard,
        "write": writes,
        "dashboard_cold_p50_ms": dashboard["cold"]["p50_ms"],
        "dashboard_cold_cpu_p50_ms": dashboard["cold_cpu_p50_ms"],
        "dashboard_warm_p50_ms": dashboard["warm"]["p50_ms"],
        "rebuild_s": rebuild["seconds"],
        "rebuild_cpu_s": rebuild["cpu_seconds"],
        "write_overhead_percent": round(100 * writes["overhead_share"], 1),
        "fold_cpu_ms_per_activity": writes["fold"]["cpu_ms_per_activity"],
        "targets": {
            "dashboard_ms": TARGET_DASHBOARD_MS,
            "rebuild_s": TARGET_REBUILD_S,
            "write_overhead": TARGET_WRITE_OVERHEAD,
        },
        "load_average_1m": round(os.getloadavg()[0], 2),
        "var_dir": str(var_dir),
    }


def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


_cache: dict[str, dict[str, Any]] = {}


def bench_analytics(*, scale: str = "M") -> dict[str, Any]:
    """Harness entry point: runs this module in a child process (it needs its own database).

    The result is cached per scale, so the several engines reading its figures run it once.
    """
    if scale not in _cache:
        small = scale.upper() in ("XS", "S")
        sizes = SMALL if small else HARNESS
        var_dir = ROOT / "var" / ("bench-analytics-small" if small else "bench-analytics-1m")
        command = [sys.executable, "-m", "pollinate.analytics.bench", "--var-dir", str(var_dir)]
        for name, value in sizes.items():
            command += [f"--{name}", str(value)]
        output = subprocess.run(  # noqa: S603 -- our own interpreter running a known module
            command, check=True, capture_output=True, text=True, cwd=ROOT, timeout=7200
        ).stdout
        _cache[scale] = json.loads(output.strip().splitlines()[-1])
    return _cache[scale]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    for name, value in FULL.items():
        parser.add_argument(f"--{name}", type=int, default=value)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=20, help="cold dashboard requests")
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var" / "bench-analytics")
    parser.add_argument("--only", choices=("build", "rebuild"), default="")
    args = parser.parse_args(argv)
    sizes = {name: getattr(args, name) for name in FULL}
    result = run(
        var_dir=args.var_dir.resolve(),
        sizes=sizes,
        seed=args.seed,
        samples=args.samples,
        only=args.only,
    )
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
