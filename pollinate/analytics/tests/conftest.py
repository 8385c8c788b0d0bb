"""Fixtures of the analytics tests: a spine writer with controlled times, and a crowd per site."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from pollinate.activity.models import Activity
from pollinate.activity.spine import spine_dispatch
from pollinate.people.models import Person, Site
from pollinate.people.tests.factories import PersonFactory

Record = Callable[..., Activity]


@pytest.fixture
def record(db: None, django_capture_on_commit_callbacks: Any) -> Record:
    """Writes one activity at a given time and runs the spine subscribers, as after a commit."""

    def _record(
        verb: str,
        *,
        actor: Person | None,
        object_type: str,
        object_id: int,
        when: datetime,
        site: Site | None = None,
        payload: dict[str, Any] | None = None,
        is_public: bool = True,
    ) -> Activity:
        activity = Activity.objects.create(
            actor=actor,
            verb=verb,
            object_type=object_type,
            object_id=object_id,
            site=site if site is not None else (actor.site if actor else None),
            created_at=when,
            payload=payload or {},
            is_public=is_public,
        )
        # Subscribers and the tasks they enqueue run as they would after a real commit.
        with django_capture_on_commit_callbacks(execute=True):
            spine_dispatch(activity)
        return activity

    return _record


@pytest.fixture
def crowd() -> Callable[[Site, int], list[Person]]:
    def _crowd(site: Site, n: int) -> list[Person]:
        return [PersonFactory(site=site) for _ in range(n)]

    return _crowd


@pytest.fixture(autouse=True)
def _no_dashboard_cache(settings: Any) -> None:
    settings.ANALYTICS_CACHE_SECONDS = 0
