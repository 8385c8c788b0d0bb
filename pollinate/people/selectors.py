from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from pollinate.people.models import Person, Site, Skill, Topic


def person_list_for_site(*, site: Site) -> QuerySet[Person]:
    return Person.objects.filter(site=site, user__is_active=True).select_related("site")


@dataclass(frozen=True)
class DirectoryFilters:
    query: str = ""
    site: Site | None = None
    country: str = ""
    topic: Topic | None = None
    language: str = ""
    min_level: int = 1


def person_list(*, filters: DirectoryFilters) -> QuerySet[Person]:
    """The people directory; with a topic, "who knows X" ordered by level in that topic."""
    people = Person.objects.filter(user__is_active=True).select_related("site")
    if filters.query:
        people = people.filter(
            Q(display_name__icontains=filters.query) | Q(job_title__icontains=filters.query)
        )
    if filters.site is not None:
        people = people.filter(site=filters.site)
    if filters.country:
        people = people.filter(site__country=filters.country)
    if filters.language:
        # JSON list membership as text: portable across SQLite and PostgreSQL; codes are quoted
        # so "en" does not match inside another code.
        people = people.filter(languages__icontains=f'"{filters.language}"')
    if filters.topic is not None:
        topic_ids = topic_descendant_ids(topic=filters.topic)
        people = (
            people.filter(skills__topic_id__in=topic_ids, skills__level__gte=filters.min_level)
            .annotate(best_level=Max("skills__level"))
            .order_by("-best_level", "display_name")
        )
    else:
        people = people.order_by("display_name")
    return people.prefetch_related(
        Prefetch("skills", queryset=Skill.objects.select_related("topic").order_by("-level"))
    )


def topic_descendant_ids(*, topic: Topic) -> list[int]:
    """The topic and everything below it (one query per level; taxonomy trees are shallow)."""
    ids = [topic.pk]
    frontier = [topic.pk]
    while frontier:
        frontier = list(Topic.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.extend(frontier)
    return ids


def site_knowledge(*, site: Site, limit: int = 12) -> list[tuple[Topic, int, int]]:
    """What a site knows: topics with how many people are proficient (level ≥ 3) and experts."""
    rows = (
        Skill.objects.filter(person__site=site, person__user__is_active=True, level__gte=3)
        .values("topic")
        .annotate(proficient=Count("id"), experts=Count("id", filter=Q(level=4)))
        .order_by("-proficient", "-experts")[:limit]
    )
    topics = Topic.objects.in_bulk([row["topic"] for row in rows])
    return [(topics[row["topic"]], row["proficient"], row["experts"]) for row in rows]


def topic_tree() -> list[Topic]:
    return list(
        Topic.objects.filter(merged_into=None).select_related("parent").order_by("kind", "name")
    )


MAX_MENTIONS = 10
_MENTION = re.compile(r"(?<![\w@])@([^\s@.,;:!?()\[\]]+(?:[ ][^\s@.,;:!?()\[\]]+){0,2})")


def mentions_find(text: str, *, exclude: Person | None = None) -> list[int]:
    """Ids of people @mentioned by display name ("@Ana Lima"); the longest matching name wins."""
    found: list[int] = []
    for match in _MENTION.finditer(text[:20_000]):
        words = match.group(1).split(" ")
        for size in range(len(words), 0, -1):
            name = " ".join(words[:size])
            person_id = (
                Person.objects.filter(display_name__iexact=name, user__is_active=True)
                .values_list("pk", flat=True)
                .first()
            )
            if person_id is not None:
                if person_id not in found and (exclude is None or person_id != exclude.pk):
                    found.append(person_id)
                break
        if len(found) >= MAX_MENTIONS:
            break
    return found
