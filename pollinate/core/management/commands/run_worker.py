"""The background worker: ``manage.py run_worker``, started by ``make run`` through the Procfile."""

from __future__ import annotations

import gc
import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils.module_loading import autodiscover_modules

from pollinate.core.tasks import task_queue, task_recover_interrupted


class Command(BaseCommand):
    help = "Runs queued and periodic background tasks until stopped (SIGINT stops gracefully)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", type=int, default=settings.TASKS_WORKERS)
        parser.add_argument(
            "--worker-type",
            choices=["process", "thread"],
            default=settings.TASKS_WORKER_TYPE,
            help="Processes use both cores for CPU-heavy work such as digests.",
        )
        parser.add_argument("--no-periodic", action="store_true", help="Skip periodic tasks.")

    def handle(self, *args: Any, **options: Any) -> None:
        huey = task_queue()
        if huey.immediate:
            raise CommandError("TASKS_IMMEDIATE is on: tasks run in-process, there is no queue.")
        # Every app's tasks.py declares its periodic tasks on import.
        autodiscover_modules("tasks")
        logging.getLogger("huey").setLevel(logging.INFO)
        if not settings.REDIS_URL:
            recovered = task_recover_interrupted()
            if recovered:
                self.stdout.write(f"Re-queued {recovered} tasks a stopped worker left unfinished.")
        # Forked workers must not share the parent's database connection.
        connections.close_all()
        # What start-up loaded stays out of the collector's walks (see pollinate/gunicorn_conf.py).
        gc.freeze()
        consumer = huey.create_consumer(
            workers=options["workers"],
            worker_type=options["worker_type"],
            periodic=not options["no_periodic"],
            check_worker_health=True,
        )
        consumer.run()
