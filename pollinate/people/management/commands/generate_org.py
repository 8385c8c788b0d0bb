"""Builds a deterministic synthetic organisation of any size (see docs/generate_org.md)."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pollinate.people.demo import SCALE_DEFAULTS, OrgExistsError, org_digest, org_generate


def _positive(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Generates an organisation (sites, people, topics, skills, roles) from a seed, then lets "
        "every app add its demo data. The same seed and --today give the same rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sites", type=_positive, default=12, help="Number of sites.")
        parser.add_argument("--members", type=_positive, default=300, help="Number of people.")
        parser.add_argument("--seed", type=int, default=7, help="Same seed, same organisation.")
        parser.add_argument(
            "--countries",
            type=_positive,
            default=None,
            help="Number of countries (default ≈ 40%% of sites).",
        )
        parser.add_argument(
            "--demo", action="store_true", help="Also create the demo member and administrator."
        )
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="The day the generated history ends (YYYY-MM-DD; default: today, UTC).",
        )
        parser.add_argument(
            "--scale",
            action="append",
            default=[],
            metavar="NAME=N",
            help="Target count for another app's demo data, e.g. --scale practices=500.",
        )
        for name in SCALE_DEFAULTS:
            parser.add_argument(
                f"--scale-{name.replace('_', '-')}",
                dest=f"scale_{name}",
                type=_positive,
                default=None,
                metavar="N",
                help=f"Target number of {name.replace('_', ' ')} (default: scales with members).",
            )
        parser.add_argument(
            "--no-populate", action="store_true", help="Only people, sites and topics."
        )
        parser.add_argument(
            "--digest", action="store_true", help="Print a SHA-256 of the generated rows."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scale: dict[str, int] = {}
        for item in options["scale"]:
            name, _sep, value = item.partition("=")
            if not name or not value.isdigit():
                raise CommandError(f"--scale expects NAME=N, got {item!r}.")
            scale[name.replace("-", "_")] = int(value)
        for name in SCALE_DEFAULTS:
            if options.get(f"scale_{name}") is not None:
                scale[name] = options[f"scale_{name}"]
        verbose = options.get("verbosity", 1) >= 1
        started = time.perf_counter()
        try:
            org = org_generate(
                sites=options["sites"],
                members=options["members"],
                seed=options["seed"],
                countries=options["countries"],
                demo=options["demo"],
                scale=scale,
                today=options["today"],
                populate=not options["no_populate"],
                log=(lambda message: self.stdout.write(f"  {message}")) if verbose else None,
            )
        except OrgExistsError as error:
            raise CommandError(
                f"{error} Generate into an empty database (manage.py flush)."
            ) from error
        except ValueError as error:
            raise CommandError(str(error)) from error
        elapsed = time.perf_counter() - started
        if verbose:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Generated {len(org.sites)} sites and {len(org.person_ids)} people "
                    f"(seed {org.seed}) in {elapsed:.1f} s."
                )
            )
        if options["digest"]:
            self.stdout.write(org_digest())
