"""The background worker: ``manage.py run_worker``, started by ``make run`` through the Procfile."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import autodiscover_modules

from pollinate.core.tasks import task_queue


class Command(BaseCommand):
    help = "Runs queued and periodic background tasks until stopped (SIGINT stops gracefully)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", type=int, default=settings.TASKS_WORKERS)
        parser.add_argument("--no-periodic", action="store_true", help="Skip periodic tasks.")

    def handle(self, *args: Any, **options: Any) -> None:
        huey = task_queue()
        if huey.immediate:
            raise CommandError("TASKS_IMMEDIATE is on: tasks run in-process, there is no queue.")
        # Every app's tasks.py declares its periodic tasks on import.
        autodiscover_modules("tasks")
        logging.getLogger("huey").setLevel(logging.INFO)
        consumer = huey.create_consumer(
            workers=options["workers"],
            worker_type="thread",
            periodic=not options["no_periodic"],
            check_worker_health=True,
        )
        consumer.run()
