"""Writes about reflections: write, edit, delete, turn into a practice draft."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pollinate.activity.services import activity_record
from pollinate.core.ratelimit import ratelimit_check
from pollinate.people.models import Person, Topic
from pollinate.people.selectors import mentions_find
from pollinate.reflections.models import Reflection, ReflectionKind
from pollinate.reflections.search import reflection_reindex, reflection_unindex

FIELDS = ("kind", "title", "planned", "happened", "why", "differently", "lesson", "visibility")


def _check_content(reflection: Reflection) -> None:
    if reflection.kind == ReflectionKind.LESSON and not reflection.lesson.strip():
        raise ValidationError({"lesson": _("Write the lesson.")})
    if reflection.kind == ReflectionKind.AFTER_ACTION and not (
        reflection.happened.strip() or reflection.differently.strip()
    ):
        raise ValidationError(
            {"happened": _("Say at least what happened or what you will do differently.")}
        )


def _text(reflection: Reflection) -> str:
    parts = (reflection.title, reflection.planned, reflection.happened, reflection.why)
    return "\n".join([*parts, reflection.differently, reflection.lesson])


def _record(actor: Person, reflection: Reflection, verb: str, *, before: str = "") -> None:
    # Private and team reflections stay out of feeds, digests and notifications: is_public=False,
    # and the payload carries no title and no mentions (a mention would tell someone it exists).
    payload: dict[str, Any] = {"visibility": reflection.visibility}
    if reflection.is_shared_publicly:
        earlier = set(mentions_find(before, exclude=actor)) if before else set()
        payload["mentions"] = [
            pk for pk in mentions_find(_text(reflection), exclude=actor) if pk not in earlier
        ]
    activity_record(
        actor=actor,
        verb=verb,
        target=reflection,
        site=reflection.site,
        payload=payload,
        is_public=reflection.is_shared_publicly,
    )


def reflection_create(
    *, actor: Person, topics: list[Topic] | None = None, **data: Any
) -> Reflection:
    ratelimit_check("reflections.post", f"p{actor.pk}", limit=20, window=600)
    with transaction.atomic():
        reflection = Reflection(author=actor, site=actor.site, team=actor.team)
        for field in FIELDS:
            if field in data:
                setattr(reflection, field, data[field])
        reflection.full_clean(exclude=["author", "site"])
        _check_content(reflection)
        reflection.save()
        reflection.topics.set(topics or [])
        reflection_reindex(reflection)
        _record(actor, reflection, "reflection.written")
    return reflection


def reflection_update(
    *, actor: Person, reflection: Reflection, topics: list[Topic] | None = None, **data: Any
) -> Reflection:
    # A reflection that was private is new to its readers when it becomes shared: its mentions
    # count as new then.
    before = _text(reflection) if reflection.is_shared_publicly else ""
    with transaction.atomic():
        for field in FIELDS:
            if field in data:
                setattr(reflection, field, data[field])
        reflection.updated_at = timezone.now()
        reflection.full_clean(exclude=["author", "site"])
        _check_content(reflection)
        reflection.save()
        if topics is not None:
            reflection.topics.set(topics)
        reflection_reindex(reflection)
        _record(actor, reflection, "reflection.updated", before=before)
    return reflection


def reflection_delete(*, actor: Person, reflection: Reflection) -> None:
    with transaction.atomic():
        reflection_unindex(reflection.pk)
        reflection.delete()


def _practice_text(reflection: Reflection) -> dict[str, str]:
    if reflection.kind == ReflectionKind.LESSON:
        return {"problem": reflection.lesson, "steps": ""}
    problem = "\n\n".join(
        part
        for part in (
            reflection.planned and f"**{_('What was supposed to happen')}:** {reflection.planned}",
            reflection.happened and f"**{_('What happened')}:** {reflection.happened}",
            reflection.why and f"**{_('Why')}:** {reflection.why}",
        )
        if part
    )
    return {"problem": problem, "steps": reflection.differently}


def reflection_to_practice(*, actor: Person, reflection: Reflection) -> int:
    """Creates a practice draft from the reflection (once) and keeps the link; returns its id."""
    if reflection.practice_id is not None:
        return reflection.practice_id
    from pollinate.practices.services import practice_create

    text = _practice_text(reflection)
    with transaction.atomic():
        practice = practice_create(
            actor=actor,
            title=reflection.title,
            problem=text["problem"],
            steps=text["steps"],
            topics=list(reflection.topics.all()),
            share=False,
        )
        reflection.practice_id = practice.pk
        reflection.save(update_fields=["practice_id"])
        _record(actor, reflection, "reflection.turned_into_practice")
    return int(practice.pk)
