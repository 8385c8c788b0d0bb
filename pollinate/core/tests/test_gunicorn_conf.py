"""The production server configuration (pollinate/gunicorn_conf.py) as gunicorn reads it."""

from __future__ import annotations

import gc
import os
import runpy
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn_conf.py"


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    """Reading the configuration sets SQLITE_WAL_CHECKPOINTER in this process's environment for
    the workers. Left there, it would reach every server a later test starts with a copy of the
    environment (the fault drills, the digest kill test), depending on which tests this xdist
    worker happened to run first. ``monkeypatch.delenv`` cannot undo a variable that was absent."""
    with mock.patch.dict(os.environ):
        yield


def test_workers_are_synchronous_threads_from_a_preloaded_app() -> None:
    conf = runpy.run_path(str(CONF))
    assert conf["worker_class"] == "gthread"
    assert conf["preload_app"] is True  # what pre_fork's freeze relies on


def test_the_master_freezes_what_it_loaded_before_forking_a_worker() -> None:
    conf = runpy.run_path(str(CONF))
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        conf["pre_fork"](None, None)
        assert gc.get_freeze_count() > 10_000  # Django and every module loaded by the tests
    finally:
        gc.unfreeze()


def test_with_sqlite_each_worker_starts_its_checkpointer(monkeypatch, settings) -> None:
    import pollinate.core.checkpoint as checkpoint

    monkeypatch.delenv("SQLITE_WAL_CHECKPOINTER", raising=False)
    conf = runpy.run_path(str(CONF))
    # The workers' settings read this when the preloaded app starts.
    assert os.environ["SQLITE_WAL_CHECKPOINTER"] == "true"
    started: list[object] = []
    monkeypatch.setattr(checkpoint, "wal_checkpointer_start", started.append)
    settings.SQLITE_WAL_CHECKPOINTER = True
    conf["post_fork"](None, None)
    assert started == [settings.DATABASES["default"]["NAME"]]

    started.clear()
    settings.SQLITE_WAL_CHECKPOINTER = False  # PostgreSQL, or a server started another way
    conf["post_fork"](None, None)
    assert started == []
