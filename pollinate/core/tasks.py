"""Background work: the one door every app uses to run something after its transaction commits.

``task_enqueue("pollinate.digests.tasks.digest_send", person_id=3)`` schedules the dotted function
with JSON-serialisable keyword arguments once the current transaction commits (immediately when
there is none). Tasks must be idempotent: they may run more than once.

The queue behind this door is chosen by settings (see the background-work section of the README).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def task_resolve(path: str) -> Any:
    module_name, _, attribute = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def task_enqueue(path: str, **kwargs: Any) -> None:
    """Schedules ``path(**kwargs)`` after the current transaction commits."""
    transaction.on_commit(lambda: _dispatch(path, kwargs))


def _dispatch(path: str, kwargs: dict[str, Any]) -> None:
    # Until the database-backed queue lands, tasks run in-process right after commit.
    try:
        task_resolve(path)(**kwargs)
    except Exception:
        logger.exception("task %s failed", path)
