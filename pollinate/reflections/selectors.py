from __future__ import annotations

from django.db.models import Q, QuerySet

from pollinate.people.models import Person
from pollinate.reflections.models import Reflection


def reflection_list(*, person: Person, mine: bool = False, query: str = "") -> QuerySet[Reflection]:
    """Reflections the person may read (all of their own), newest first; search stays inside."""
    reflections = Reflection.objects.visible_to(person)
    if mine:
        reflections = reflections.filter(author=person)
    if query:
        reflections = reflections.filter(
            Q(title__icontains=query) | Q(lesson__icontains=query) | Q(happened__icontains=query)
        )
    return reflections.select_related("author", "author__site", "site").order_by(
        "-created_at", "-id"
    )
