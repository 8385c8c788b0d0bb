from __future__ import annotations

from typing import Any

from django.db import models, transaction

from pollinate.activity.models import Activity
from pollinate.activity.spine import spine_dispatch
from pollinate.people.models import Person, Site


def activity_record(
    *,
    actor: Person | None,
    verb: str,
    target: models.Model,
    site: Site | None = None,
    payload: dict[str, Any] | None = None,
    is_public: bool = True,
) -> Activity:
    """Records an activity inside the caller's transaction; subscribers run after it commits.

    Every service that changes something people care about calls this, so the spine is the one path
    from which feeds, notifications, digests, analytics and exports read.
    """
    meta = target._meta
    activity = Activity.objects.create(
        actor=actor,
        verb=verb,
        object_type=f"{meta.app_label}.{meta.model_name}",
        object_id=int(target.pk),
        site=site if site is not None else (actor.site if actor is not None else None),
        payload=payload or {},
        is_public=is_public,
    )
    transaction.on_commit(lambda: spine_dispatch(activity))
    return activity
