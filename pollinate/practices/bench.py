"""Practices benchmarks: search, practice page and home feed server time on a large organisation.

Two ways in:

- the harness (``pollinate.bench.engines``) calls ``search_worst_query(scale=...)`` inside Django
  against its benchmark database;
- standalone, on its own SQLite file (default ``var/bench-practices.sqlite3``)::

      DATABASE_URL=sqlite:///var/bench-practices.sqlite3 POLLINATE_DEV_SECRET=1 \\
        .venv/bin/python -m pollinate.practices.bench generate --practices 200000
      DATABASE_URL=sqlite:///var/bench-practices.sqlite3 POLLINATE_DEV_SECRET=1 \\
        .venv/bin/python -m pollinate.practices.bench measure

Server time is measured in-process with Django's test client (the full middleware, view and
template stack, no network), reported as p50 / p95 / max in milliseconds, both of this process's
CPU time and of wall-clock time (on a loaded shared machine wall time mostly measures the other
processes). ``search_engine`` uses ``BENCH_CLOCK`` (cpu by default, or wall).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

SEARCH_QUERIES = [
    "shadow",  # in a large share of English titles
    "check",
    "tools",
    "shift",
    "qualité",
    "contrôle qualite",
    "schattenbrett",
    "焊接",
    "シャドーボード",
    "torque wrench",
    "s",  # one letter: must not scan the corpus
    "the a of",
    "zzzz-no-match",
]


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(ordered[-1], 2),
        "n": len(ordered),
    }


# The bench machine is shared (2 cores, other processes running): CPU time of this process is the
# steadier figure; wall time is reported alongside it.
CLOCK = time.process_time if os.environ.get("BENCH_CLOCK", "cpu") == "cpu" else time.perf_counter


def _time_ms(call: Callable[[], Any]) -> float:
    start = CLOCK()
    call()
    return (CLOCK() - start) * 1000


def _time_both(call: Callable[[], Any]) -> tuple[float, float]:
    """(CPU ms of this process, wall ms) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    call()
    return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def _summary(samples: list[tuple[float, float]]) -> dict[str, Any]:
    return {
        "cpu": _percentiles([cpu for cpu, _wall in samples]),
        "wall": _percentiles([wall for _cpu, wall in samples]),
    }


def search_worst_query(*, scale: str = "") -> dict[str, Any]:
    """Times each search query (practices + people, as the search page runs it); worst first."""
    from pollinate.people.models import Person
    from pollinate.practices.selectors import PracticeFilters, person_search, practice_search

    actor = Person.objects.select_related("site").order_by("pk").first()
    if actor is None:
        return {"value": 0.0, "unit": "ms (no people)"}
    per_query: dict[str, float] = {}
    for query in SEARCH_QUERIES:
        runs = []

        def one(q: str = query) -> None:
            practice_search(actor=actor, filters=PracticeFilters(query=q))
            person_search(query=q)

        for _ in range(3):
            runs.append(_time_ms(one))
        per_query[query] = round(min(runs), 2)
    worst = max(per_query.values())
    return {
        "value": worst,
        "unit": "ms, slowest of the search queries (best of 3 each)",
        "p95_ms": _percentiles(list(per_query.values()))["p95_ms"],
        "queries": per_query,
    }


def measure(*, samples: int = 60, seed: int = 1) -> dict[str, Any]:
    """Server time of the practice page, the home feed and search, as a signed-in member."""
    from django.test import Client

    from pollinate.people.models import Person
    from pollinate.practices.models import Adoption, Comment, Practice, Reaction

    rng = random.Random(seed)
    people = list(Person.objects.filter(user__is_active=True).values_list("pk", flat=True))
    practice_ids = list(
        Practice.objects.filter(status__in=["shared", "verified"]).values_list("pk", flat=True)
    )
    # The most-adopted practices have the heaviest pages; include them on purpose.
    heavy = list(
        Practice.objects.order_by("-adoption_count", "-comment_count").values_list("pk", flat=True)[
            :10
        ]
    )
    client = Client()
    results: dict[str, Any] = {
        "practices": Practice.objects.count(),
        "adoptions": Adoption.objects.count(),
        "comments": Comment.objects.count(),
        "reactions": Reaction.objects.count(),
    }

    def run(urls: list[str]) -> dict[str, Any]:
        for url in urls[:5]:  # warm caches and template loading
            client.get(url)
        return _summary([_time_both(partial(client.get, url)) for url in urls])

    person = Person.objects.select_related("user").get(pk=rng.choice(people))
    client.force_login(person.user, backend="pollinate.people.backends.MemberBackend")
    pages = [
        f"/practices/{pk}/" for pk in rng.sample(practice_ids, min(samples, len(practice_ids)))
    ]
    results["practice_page"] = run(pages + [f"/practices/{pk}/" for pk in heavy])
    results["search_page"] = run([f"/practices/?q={q}" for q in SEARCH_QUERIES] * 3)
    results["practice_list"] = run(["/practices/"] * 20)
    home: list[tuple[float, float]] = []
    for pk in rng.sample(people, min(samples // 3, len(people))):
        member = Person.objects.select_related("user").get(pk=pk)
        client.force_login(member.user, backend="pollinate.people.backends.MemberBackend")
        client.get("/")  # warm this member's session
        home.append(_time_both(lambda: client.get("/")))
    results["home_feed"] = _summary(home)
    results["search_engine"] = search_worst_query()
    return results


def generate(*, practices: int, members: int, sites: int, seed: int) -> dict[str, Any]:
    """A fresh organisation with only people and practices (other apps' demo data skipped)."""
    from django.db import transaction

    from pollinate.people.demo import org_generate
    from pollinate.practices.demo import populate

    started = time.perf_counter()
    with transaction.atomic():
        org = org_generate(
            sites=sites,
            members=members,
            seed=seed,
            populate=False,
            scale={
                "practices": practices,
                "adoptions": int(practices * 1.5),
                "comments": practices * 2,
                "interactions": practices * 6,
            },
        )
        populate(org=org, rng=org.rng_for("practices"))
    return {"seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pollinate.settings")
    import django

    django.setup()
    parser = argparse.ArgumentParser(prog="python -m pollinate.practices.bench")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("generate", help="generate people and practices")
    make.add_argument("--practices", type=int, default=200_000)
    make.add_argument("--members", type=int, default=20_000)
    make.add_argument("--sites", type=int, default=100)
    make.add_argument("--seed", type=int, default=1)
    commands.add_parser("measure", help="measure server time")
    args = parser.parse_args(argv)
    if args.command == "generate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        result = generate(
            practices=args.practices, members=args.members, sites=args.sites, seed=args.seed
        )
    else:
        result = measure()
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
