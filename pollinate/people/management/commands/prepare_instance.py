"""Gets an instance ready to serve: migrate, static files, a demo organisation on first start."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from pollinate.people.models import Site

DEMO_MEMBER = "member@demo.pollinate.example"
DEMO_ADMIN = "admin@demo.pollinate.example"
DEMO_PASSWORD = "pollinate-demo"  # noqa: S105 -- printed for the local demo on purpose


class Command(BaseCommand):
    help = "Migrates, collects static files and loads the demo organisation on first start only."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-demo", action="store_true", help="Do not load the demo organisation."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        loaded_now = False
        if not options["no_demo"] and not Site.objects.exists():
            self.stdout.write("Loading the demo organisation (first start only)…")
            call_command("generate_org", sites=12, countries=8, members=300, seed=7, demo=True)
            loaded_now = True
        url = f"http://{_host()}:{_port()}/"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Pollinate is starting on {url}"))
        if loaded_now or Site.objects.exists():
            self.stdout.write(f"  Member:        {DEMO_MEMBER} / {DEMO_PASSWORD}")
            self.stdout.write(f"  Administrator: {DEMO_ADMIN} / {DEMO_PASSWORD}")
        self.stdout.write("")


def _host() -> str:
    import os

    return os.environ.get("HOST", "127.0.0.1")


def _port() -> str:
    import os

    return os.environ.get("PORT", "8000")
