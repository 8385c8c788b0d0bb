from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, When

from pollinate.core.search import search_ids
from pollinate.people.models import Person
from pollinate.reflections.models import Reflection
from pollinate.reflections.search import REFLECTION

# Candidates taken from the index before the visibility rule; larger than the default cap because
# most reflections are private, so most matches are someone else's and get filtered out.
SEARCH_CANDIDATES = 2_000


def reflection_list(*, person: Person, mine: bool = False, query: str = "") -> QuerySet[Reflection]:
    """Reflections the person may read (all of their own), newest first; search stays inside."""
    reflections = Reflection.objects.visible_to(person)
    if mine:
        reflections = reflections.filter(author=person)
    reflections = reflections.select_related("author", "author__site", "site")
    if not query.strip():
        return reflections.order_by("-created_at", "-id")
    # The index only proposes ids; visible_to above decides, so private and team reflections
    # never reach anyone else's results.
    ranked = [pk for pk, _score in search_ids(REFLECTION, query, limit=SEARCH_CANDIDATES)]
    readable = set(reflections.filter(pk__in=ranked).values_list("pk", flat=True))
    ranked = [pk for pk in ranked if pk in readable]
    if not ranked:
        return reflections.none()
    position = Case(
        *[When(pk=pk, then=index) for index, pk in enumerate(ranked)], output_field=IntegerField()
    )
    return reflections.filter(pk__in=ranked).annotate(search_rank=position).order_by("search_rank")
