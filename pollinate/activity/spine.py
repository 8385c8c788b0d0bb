"""Subscribers of the activity spine: feeds, notifications, digests, analytics, xAPI, webhooks.

A subscriber is called once per activity, after the transaction that recorded it commits, so it
never sees a write that was rolled back. Subscribers must be quick and idempotent; anything slow is
enqueued as a task from inside the subscriber.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pollinate.activity.models import Activity

logger = logging.getLogger(__name__)

Subscriber = Callable[["Activity"], None]
_subscribers: list[tuple[str, Subscriber]] = []


def spine_subscribe(verb_prefix: str, subscriber: Subscriber) -> None:
    """Calls ``subscriber`` for every committed activity whose verb starts with ``verb_prefix``."""
    if (verb_prefix, subscriber) not in _subscribers:
        _subscribers.append((verb_prefix, subscriber))


def spine_dispatch(activity: Activity) -> None:
    for prefix, subscriber in list(_subscribers):
        if activity.verb.startswith(prefix):
            try:
                subscriber(activity)
            except Exception:
                # One failing consumer must not stop the others, nor the request that wrote.
                logger.exception("activity subscriber %r failed for %s", subscriber, activity)
