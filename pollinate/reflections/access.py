"""Who may read and change reflections: the visibility rule lives on ``ReflectionQuerySet``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from pollinate.people.models import Person
from pollinate.reflections.models import Reflection


def access_reflection(actor: Person, reflection_id: int, *, for_write: bool = False) -> Reflection:
    """Not visible → 404 (never reveal that a private reflection exists); only its author edits."""
    reflection = (
        Reflection.objects.visible_to(actor)
        .select_related("author", "author__site", "site")
        .filter(pk=reflection_id)
        .first()
    )
    if reflection is None:
        raise Http404
    if for_write and reflection.author_id != actor.pk:
        raise PermissionDenied
    return reflection
