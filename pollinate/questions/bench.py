"""Questions at scale: page, "questions I could answer", search and routing times on SQLite.

    .venv/bin/python -m pollinate.questions.bench                    # 300k questions, 1M answers
    .venv/bin/python -m pollinate.questions.bench --questions 3000 --answers 10000 --members 500

1. Builds (once) a scratch organisation in its own data directory (default
   ``var/bench-questions``; never the developer's database): ``org_generate`` without the other
   apps' demo data, then ``questions.demo.questions_generate`` — the demo generator itself, with
   offers, helpful marks, comments, spine rows and the search index. The directory is reused
   while the sizes and the seed are unchanged (``bench-key.json``); delete it to rebuild.
2. Times, in process through Django's test client (all middleware, sessions, templates; no
   network), ``--samples`` requests each: the question page of random questions, the "questions
   I could answer" tab for members with a skill at level 3 or more, and the question search
   (``?q=``) with a few real words. Server time only: ``time.perf_counter`` around
   ``Client.get``.
3. Times ``route_question`` for new questions on random topics by random members, and the whole
   ``question_ask`` service (routing, offers, spine row, search index), each inside a transaction
   that is rolled back so the database stays the same between runs.

Prints one JSON object. The harness (``pollinate/bench/engines.py``) calls ``bench_questions``,
which runs this module in a separate process (it needs its own database) and caches the result.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pollinate.bench.scratch import (
    scratch_database_built,
    scratch_database_reused,
    scratch_environment,
    timing_summary,
)

ROOT = Path(__file__).resolve().parents[2]
FULL = {"questions": 300_000, "answers": 1_000_000, "sites": 100, "members": 20_000}
# The harness's XS and S scales try the wiring quickly; M and L measure the real size.
SMALL = {"questions": 3_000, "answers": 10_000, "sites": 10, "members": 500}
SEARCHES = ["changeover", "Rüstwechsel", "alarm start", "dérive pause", "工具", "coolant"]
TARGET_PAGE_MS = 30.0
TARGET_ROUTING_MS = 50.0


def _environment(var_dir: Path) -> dict[str, str]:
    return scratch_environment(var_dir)


def _percentiles(samples: list[float]) -> dict[str, float]:
    return timing_summary(samples)


def _build(*, var_dir: Path, sizes: dict[str, int], seed: int) -> dict[str, Any]:
    """Generates the scratch organisation unless the directory already holds this one."""
    key = {**sizes, "seed": seed, "version": 1}
    if scratch_database_reused(var_dir, key):
        return {"reused": True}
    from pollinate.people.demo import org_generate
    from pollinate.questions.demo import questions_generate

    started = time.perf_counter()
    org = org_generate(
        sites=sizes["sites"], members=sizes["members"], seed=seed, populate=False, scale={}
    )
    people_s = time.perf_counter() - started
    started = time.perf_counter()
    from django.db import transaction

    with transaction.atomic():
        counts = questions_generate(
            org=org,
            rng=org.rng_for("questions"),
            questions=sizes["questions"],
            answers=sizes["answers"],
        )
    questions_s = time.perf_counter() - started
    # No ANALYZE: production databases have no planner statistics either, so neither does this.
    scratch_database_built(var_dir, key)
    return {
        "reused": False,
        "people_generated_s": round(people_s, 1),
        "questions_generated_s": round(questions_s, 1),
        **counts,
    }


def _time_get(client: Any, path: str, cpu: list[float] | None = None) -> float:
    # CPU time too: on a shared machine (load above the core count) wall time mostly measures the
    # wait for a core; this process's CPU time is what an idle core would take (SQLite runs in
    # process, and the database is in the page cache).
    started, cpu_started = time.perf_counter(), time.process_time()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if cpu is not None:
        cpu.append((time.process_time() - cpu_started) * 1000)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")
    return elapsed


def _queries(client: Any, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return len(captured)


def _measure(*, samples: int, seed: int) -> dict[str, Any]:
    from django.db import transaction
    from django.test import Client
    from django.urls import reverse

    from pollinate.people.models import Person, Skill, Topic
    from pollinate.questions.models import Question, QuestionTopic
    from pollinate.questions.routing import route_question
    from pollinate.questions.services import question_ask

    rng = random.Random(seed)
    first, last = (
        Question.objects.order_by("pk").values_list("pk", flat=True)[:1][0],
        (Question.objects.order_by("-pk").values_list("pk", flat=True)[:1][0]),
    )
    experts = list(
        Skill.objects.filter(level__gte=3, person__user__is_active=True)
        .values_list("person_id", flat=True)
        .distinct()
        .order_by("person_id")[:5000]
    )
    members = Person.objects.select_related("user").in_bulk(rng.sample(experts, k=40))
    clients = []
    # One request handler for every client: each new handler loads the middleware again, and
    # WhiteNoise's scan of the static files (~0.4 s) would land in the first timed request of
    # every client the warm-up did not reach.
    handler = Client().handler
    for person in members.values():
        client = Client()
        client.handler = handler
        client.force_login(person.user)
        clients.append(client)

    def page_path() -> str:
        while True:
            pk = rng.randint(first, last)
            if Question.objects.filter(pk=pk).exists():
                return reverse("questions:detail", args=[pk])

    could = reverse("questions:list") + "?scope=could"
    search = reverse("questions:list") + "?q="
    results: dict[str, Any] = {}
    for name, make_path in (
        ("question_page", page_path),
        ("could_answer", lambda: could),
        ("search", lambda: search + rng.choice(SEARCHES)),
    ):
        for client in clients[:5]:  # warm-up: connections, templates, translations
            _time_get(client, make_path())
        cpu: list[float] = []
        timings = [_time_get(rng.choice(clients), make_path(), cpu) for _ in range(samples)]
        results[name] = {
            **_percentiles(timings),
            "cpu": _percentiles(cpu),
            "queries": _queries(clients[0], make_path()),
        }

    topics = list(Topic.objects.filter(parent__isnull=False).order_by("pk"))
    authors = list(Person.objects.filter(user__is_active=True).order_by("pk")[:5000])
    routing, asking, routing_cpu, asking_cpu = [], [], [], []
    for n in range(samples):
        author = rng.choice(authors)
        picked = rng.sample(topics, k=1 if rng.random() < 0.7 else 2)
        with transaction.atomic():
            question = Question.objects.create(
                author=author, site_id=author.site_id, title=f"Bench question number {n}"
            )
            QuestionTopic.objects.bulk_create(
                [QuestionTopic(question=question, topic=topic) for topic in picked]
            )
            started, cpu_started = time.perf_counter(), time.process_time()
            route_question(question=question)
            routing.append((time.perf_counter() - started) * 1000)
            routing_cpu.append((time.process_time() - cpu_started) * 1000)
            transaction.set_rollback(True)
        with transaction.atomic():
            started, cpu_started = time.perf_counter(), time.process_time()
            question_ask(
                actor=author,
                title=f"How do you keep the changeover short? ({n})",
                body="We are at 45 minutes.",
                topics=picked,
            )
            asking.append((time.perf_counter() - started) * 1000)
            asking_cpu.append((time.process_time() - cpu_started) * 1000)
            transaction.set_rollback(True)
    results["routing"] = {**_percentiles(routing), "cpu": _percentiles(routing_cpu)}
    results["ask"] = {**_percentiles(asking), "cpu": _percentiles(asking_cpu)}
    return results


def run(*, var_dir: Path, sizes: dict[str, int], seed: int, samples: int) -> dict[str, Any]:
    """Builds (or reuses) the scratch database and measures. Sets up Django in this process."""
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ.clear()
    os.environ.update(_environment(var_dir))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from pollinate.questions.models import Answer, Question

    # DEBUG is off as in production, so pages need the hashed static manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    built = _build(var_dir=var_dir, sizes=sizes, seed=seed)
    measured = _measure(samples=samples, seed=seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()")
        sqlite_version = cursor.fetchone()[0]
    return {
        "questions": Question.objects.count(),
        "answers": Answer.objects.count(),
        "build": built,
        **measured,
        "question_page_p95_ms": measured["question_page"]["p95_ms"],
        "could_answer_p95_ms": measured["could_answer"]["p95_ms"],
        "search_p95_ms": measured["search"]["p95_ms"],
        "routing_p95_ms": measured["routing"]["p95_ms"],
        "targets": {"page_p95_ms": TARGET_PAGE_MS, "routing_ms": TARGET_ROUTING_MS},
        "sqlite": sqlite_version,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "var_dir": str(var_dir),
    }


_cache: dict[str, dict[str, Any]] = {}


def bench_questions(*, scale: str = "M") -> dict[str, Any]:
    """Harness entry point: runs this module in a child process (it needs its own database).

    The result is cached per scale, so the several engines reading its figures run it once.
    """
    if scale not in _cache:
        # S is the quick end-to-end run (under 10 minutes on a fresh clone): building the full
        # 300k-question database alone takes five, so S measures the small one, as XS does.
        small = scale.upper() in ("XS", "S")
        sizes = SMALL if small else FULL
        var_dir = ROOT / "var" / ("bench-questions-xs" if small else "bench-questions")
        command = [sys.executable, "-m", "pollinate.questions.bench", "--var-dir", str(var_dir)]
        for name, value in sizes.items():
            command += [f"--{name}", str(value)]
        output = subprocess.run(  # noqa: S603 -- our own interpreter running a known module
            command, check=True, capture_output=True, text=True, cwd=ROOT, timeout=3600
        ).stdout
        _cache[scale] = json.loads(output.strip().splitlines()[-1])
    return _cache[scale]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, value in FULL.items():
        parser.add_argument(f"--{name}", type=int, default=value)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=300, help="requests per figure")
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var" / "bench-questions")
    args = parser.parse_args(argv)
    sizes = {name: getattr(args, name) for name in FULL}
    result = run(var_dir=args.var_dir.resolve(), sizes=sizes, seed=args.seed, samples=args.samples)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
