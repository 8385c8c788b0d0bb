"""Rebuilds the full-text index from the source rows of every registered kind (or given ones)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from pollinate.core.search import search_kinds, search_rebuild


class Command(BaseCommand):
    help = "Re-index practices, people and every other registered kind for full-text search."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kinds", nargs="*", help="Kinds to rebuild (default: all).")

    def handle(self, *args: Any, **options: Any) -> None:
        kinds = options["kinds"] or list(search_kinds())
        with transaction.atomic():
            counts = search_rebuild(kinds)
        for kind, count in counts.items():
            self.stdout.write(f"{kind}: {count} documents")
