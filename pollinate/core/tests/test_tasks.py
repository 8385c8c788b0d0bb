"""The task door: enqueue on commit, retries with a visible error, and a real worker."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from pollinate.core import tasks
from pollinate.core.models import TaskRun, TaskStatus
from pollinate.people.models import Person

CALLS: list[dict[str, Any]] = []
FAILURES: dict[str, int] = {}


def record_call(**kwargs: Any) -> None:
    CALLS.append(kwargs)


def fail_then_succeed(*, key: str, times: int) -> None:
    FAILURES[key] = FAILURES.get(key, 0) + 1
    if FAILURES[key] <= times:
        raise RuntimeError(f"boom {FAILURES[key]}")
    CALLS.append({"key": key})


class Abandoned(Exception):
    pass


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()
    FAILURES.clear()


def test_it_runs_the_task_only_after_the_transaction_commits(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        tasks.task_enqueue("pollinate.core.tests.test_tasks.record_call", n=1)
        assert CALLS == []
    assert CALLS == [{"n": 1}]
    run = TaskRun.objects.get()
    assert run.status == TaskStatus.SUCCEEDED
    assert run.attempts == 1
    assert run.kwargs == {"n": 1}


def test_a_rolled_back_transaction_leaves_no_task(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    def write_then_abandon() -> None:
        with transaction.atomic():
            tasks.task_enqueue("pollinate.core.tests.test_tasks.record_call", n=1)
            raise Abandoned

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Abandoned):
        write_then_abandon()
    assert CALLS == []
    assert not TaskRun.objects.exists()


def test_an_unknown_task_path_is_refused_at_the_caller(db: None) -> None:
    with pytest.raises(AttributeError):
        tasks.task_enqueue("pollinate.core.tests.test_tasks.no_such_task")


def test_a_failing_task_is_marked_retrying_with_its_error(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        tasks.task_enqueue("pollinate.core.tests.test_tasks.fail_then_succeed", key="a", times=9)
    run = TaskRun.objects.get()
    assert run.status == TaskStatus.RETRYING
    assert "boom 1" in run.last_error
    assert CALLS == []


def test_a_failed_task_can_be_retried_by_an_administrator(
    admin: Person, django_capture_on_commit_callbacks: Any
) -> None:
    admin.user.is_staff = True
    admin.user.is_superuser = True
    admin.user.save()
    run = TaskRun.objects.create(
        path="pollinate.core.tests.test_tasks.record_call",
        kwargs={"n": 7},
        status=TaskStatus.FAILED,
        last_error="RuntimeError: SMTP refused",
    )
    client = Client()
    client.force_login(admin.user)
    listing = client.get("/admin/core/taskrun/?status__exact=failed")
    assert listing.status_code == 200
    assert "record_call" in listing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/core/taskrun/",
            {"action": "retry_now", "_selected_action": [run.pk]},
        )
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == TaskStatus.SUCCEEDED
    assert CALLS == [{"n": 7}]


def test_the_task_list_is_hidden_from_members(bob: Person) -> None:
    client = Client()
    client.force_login(bob.user)
    response = client.get("/admin/core/taskrun/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_recover_hands_stale_queued_runs_back_to_the_queue(db: None) -> None:
    run = TaskRun.objects.create(path="pollinate.core.tests.test_tasks.record_call", kwargs={})
    TaskRun.objects.filter(pk=run.pk).update(enqueued_at=run.enqueued_at.replace(year=2020))
    assert tasks.task_recover() == 1
    run.refresh_from_db()
    assert run.status == TaskStatus.SUCCEEDED
    assert CALLS == [{}]


def _wait_for(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("the worker did not get there in time")


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_runs_tasks_and_retries_failures_with_backoff(
    tmp_path: Path, settings: Any
) -> None:
    settings.TASKS_RETRY_DELAY = 1
    huey = tasks.task_queue_build(immediate=False, filename=str(tmp_path / "queue.sqlite3"))
    previous = tasks.task_queue_use(huey)
    # One worker thread, and the test only reads the database once the worker stopped: the test
    # database is SQLite's shared-cache memory database, whose table locks do not wait.
    consumer = huey.create_consumer(workers=1, worker_type="thread", periodic=False)
    try:
        with transaction.atomic():
            tasks.task_enqueue("pollinate.core.tests.test_tasks.record_call", n=1)
            tasks.task_enqueue(
                "pollinate.core.tests.test_tasks.fail_then_succeed", key="flaky", times=1
            )
        assert TaskRun.objects.filter(status=TaskStatus.QUEUED).count() == 2
        consumer.start()
        _wait_for(lambda: len(CALLS) == 2)
    finally:
        consumer.stop(graceful=True)
        tasks.task_queue_use(previous)
    assert TaskRun.objects.filter(status=TaskStatus.SUCCEEDED).count() == 2
    flaky = TaskRun.objects.get(path__endswith="fail_then_succeed")
    assert flaky.attempts == 2
    assert "boom 1" in flaky.last_error
    assert {"n": 1} in CALLS
    assert {"key": "flaky"} in CALLS
