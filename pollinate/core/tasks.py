"""Background work: the one door every app uses to run something after its transaction commits.

``task_enqueue("pollinate.digests.tasks.digest_send", person_id=3)`` records a ``TaskRun`` row in
the caller's transaction and hands it to the queue once that transaction commits (immediately when
there is none). Tasks must be idempotent: they may run more than once.

The queue is huey: ``SqliteHuey`` in ``var/tasks.sqlite3`` by default (no extra server; the worker
is ``manage.py run_worker``, started by ``make run``), ``RedisHuey`` when ``REDIS_URL`` is set.
Failures are retried with exponential backoff (``TASKS_RETRIES``, ``TASKS_RETRY_DELAY``); every run
is visible to administrators as a ``TaskRun`` (queued, running, retrying with the error, failed,
succeeded). With ``TASKS_IMMEDIATE`` (the default under tests) tasks run in-process on commit.

Periodic work is declared with ``task_periodic("dotted.path", minute="0", hour="6")`` at import of
an app's ``tasks.py`` (the worker imports every app's ``tasks`` module on start).
"""

from __future__ import annotations

import importlib
import logging
import traceback
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import Task, TaskWrapper

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    path: str
    minute: str
    hour: str
    day_of_week: str


_periodics: list[Periodic] = []
_state: dict[str, Any] = {}


def task_resolve(path: str) -> Any:
    module_name, _, attribute = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def task_queue_build(*, immediate: bool | None = None, filename: str | None = None) -> Huey:
    """The huey instance the settings ask for: Redis when configured, else SQLite in ``var/``."""
    immediate = settings.TASKS_IMMEDIATE if immediate is None else immediate
    common: dict[str, Any] = {"results": False, "utc": True, "immediate": immediate}
    if settings.REDIS_URL and filename is None:
        return RedisHuey("pollinate", url=settings.REDIS_URL, **common)
    return SqliteHuey(
        "pollinate", filename=filename or str(settings.TASKS_SQLITE_PATH), timeout=20, **common
    )


def task_queue() -> Huey:
    if "huey" not in _state:
        task_queue_use(task_queue_build())
    huey: Huey = _state["huey"]
    return huey


def task_queue_use(huey: Huey | None) -> Huey | None:
    """Binds the task door to ``huey`` (tests use this to run a real worker on a temporary file).

    Returns the previous instance; ``None`` goes back to the one the settings describe.
    """
    previous: Huey | None = _state.get("huey")
    if huey is None:
        _state.clear()
        return previous
    _state["huey"] = huey
    existing = getattr(huey, "_pollinate_run", None)
    if existing is None:  # a huey instance registers each task name once
        existing = huey._pollinate_run = huey.task(  # type: ignore[attr-defined]
            retries=settings.TASKS_RETRIES,
            retry_delay=settings.TASKS_RETRY_DELAY,
            retry_backoff=2,
            context=True,
            name="pollinate.task_run",
        )(_task_execute)
    _state["run"] = existing
    for periodic in _periodics:
        _periodic_register(huey, periodic)
    return previous


def _runner() -> TaskWrapper:
    task_queue()
    wrapper: TaskWrapper = _state["run"]
    return wrapper


def task_enqueue(path: str, *, _delay: int | None = None, **kwargs: Any) -> None:
    """Schedules ``path(**kwargs)`` after the current transaction commits.

    The ``TaskRun`` row is written inside the caller's transaction, so a rolled-back write leaves
    no task behind and a committed one always leaves a visible record, even if the process dies
    before the queue hears of it (``task_recover`` re-sends those).
    """
    from pollinate.core.models import TaskRun

    task_resolve(path)  # fail at the caller, not in the worker, on a typo
    run = TaskRun.objects.create(path=path, kwargs=kwargs)
    transaction.on_commit(lambda: _send(run.pk, delay=_delay))


def _send(run_id: int, *, delay: int | None = None) -> None:
    try:
        if delay:
            _runner().schedule(args=(run_id,), delay=delay)
        else:
            _runner()(run_id)
    except Exception:
        # The row stays "queued"; task_recover hands it to the queue again later.
        logger.exception("could not hand task run %s to the queue", run_id)


def _task_execute(run_id: int, task: Task | None = None) -> None:
    from pollinate.core.models import TaskRun, TaskStatus

    huey = _state.get("huey")
    if huey is not None and not huey.immediate:
        close_old_connections()
    try:
        run = TaskRun.objects.filter(pk=run_id).first()
        if run is None or run.status == TaskStatus.SUCCEEDED:
            return  # deleted by an administrator, or delivered twice after success
        TaskRun.objects.filter(pk=run_id).update(
            status=TaskStatus.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
        )
        try:
            task_resolve(run.path)(**run.kwargs)
        except Exception:
            retrying = task is not None and task.retries > 0
            TaskRun.objects.filter(pk=run_id).update(
                status=TaskStatus.RETRYING if retrying else TaskStatus.FAILED,
                finished_at=timezone.now(),
                last_error=traceback.format_exc()[-4000:],
            )
            raise
        TaskRun.objects.filter(pk=run_id).update(
            status=TaskStatus.SUCCEEDED, finished_at=timezone.now()
        )
    finally:
        if huey is not None and not huey.immediate:
            close_old_connections()


def task_periodic(path: str, *, minute: str = "0", hour: str = "*", day_of_week: str = "*") -> None:
    """Runs ``path()`` as a task on a cron-like schedule (UTC) while a worker is running."""
    periodic = Periodic(path=path, minute=minute, hour=hour, day_of_week=day_of_week)
    if periodic in _periodics:
        return
    _periodics.append(periodic)
    if "huey" in _state:
        _periodic_register(_state["huey"], periodic)


def _periodic_register(huey: Huey, periodic: Periodic) -> None:
    registered: set[Periodic] = huey.__dict__.setdefault("_pollinate_periodics", set())
    if periodic in registered:
        return
    registered.add(periodic)

    def tick() -> None:
        close_old_connections()
        # Through the door, so the periodic run gets a TaskRun row and retries like any other.
        task_enqueue(periodic.path)

    schedule = crontab(minute=periodic.minute, hour=periodic.hour, day_of_week=periodic.day_of_week)
    huey.periodic_task(schedule, name=f"periodic:{periodic.path}")(tick)


def task_recover(*, older_than: timedelta = timedelta(hours=1)) -> int:
    """Hands back to the queue the runs it lost: queued ones it never heard of (a crash between
    commit and hand-over) and running ones whose worker died (killed mid-task). Tasks are
    idempotent, so running one again is safe."""
    from pollinate.core.models import TaskRun, TaskStatus

    cutoff = timezone.now() - older_than
    stale = list(
        TaskRun.objects.filter(
            Q(status=TaskStatus.QUEUED, enqueued_at__lt=cutoff)
            | Q(status=TaskStatus.RUNNING, started_at__lt=cutoff)
        ).values_list("pk", flat=True)[:1000]
    )
    for run_id in stale:
        _send(run_id)
    return len(stale)


def task_recover_interrupted() -> int:
    """At worker start-up, hands back the runs a killed worker left ``running``.

    The SQLite queue is local to one machine and served by its one ``run_worker`` (the Procfile's),
    so a run still marked running when that worker starts was cut short by a crash or kill -9;
    without this it would wait for the hourly ``task_recover``. On a shared Redis queue another
    live worker may own such a run, so there only the hourly, age-based recovery applies.
    """
    from pollinate.core.models import TaskRun, TaskStatus

    interrupted = list(
        TaskRun.objects.filter(status=TaskStatus.RUNNING).values_list("pk", flat=True)[:1000]
    )
    for run_id in interrupted:
        _send(run_id)
    return len(interrupted)


def task_retry(run_id: int) -> None:
    """Queues a failed run again (the administrator's "retry now")."""
    from pollinate.core.models import TaskRun, TaskStatus

    TaskRun.objects.filter(pk=run_id).update(status=TaskStatus.QUEUED, finished_at=None)
    transaction.on_commit(lambda: _send(run_id))


def task_prune(*, keep_days: int = 14) -> int:
    """Deletes succeeded runs older than ``keep_days``; failures stay until someone looks."""
    from pollinate.core.models import TaskRun, TaskStatus

    cutoff = timezone.now() - timedelta(days=keep_days)
    deleted, _ = TaskRun.objects.filter(
        status=TaskStatus.SUCCEEDED, finished_at__lt=cutoff
    ).delete()
    return deleted


def tasks_housekeeping() -> None:
    task_recover()
    task_prune()


task_periodic("pollinate.core.tasks.tasks_housekeeping", minute="17")
