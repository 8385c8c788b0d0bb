from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from pollinate.analytics.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Recomputes every analytics rollup by replaying the activity spine."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        replayed = rollups_rebuild()
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Replayed {replayed} activities into the rollups in {elapsed:.1f} s.")
