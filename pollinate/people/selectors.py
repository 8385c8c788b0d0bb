from __future__ import annotations

import hashlib
import re
import time
from abc import abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, TypeVar, cast

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import get_language

from pollinate.core.compiled import compiled_first, compiled_rows
from pollinate.core.pagination import PageSequence
from pollinate.core.process_caches import process_cache_register
from pollinate.core.reversing import URL_MARKER as _URL_MARKER
from pollinate.people.models import Person, Site, Skill, SkillLevel, Topic

_Item = TypeVar("_Item")
_Value = TypeVar("_Value")


@dataclass(frozen=True)
class DirectoryFilters:
    query: str = ""
    site: Site | None = None
    country: str = ""
    topic: Topic | None = None
    language: str = ""
    min_level: int = 1


def _directory_q(filters: DirectoryFilters, prefix: str = "") -> Q:
    """The directory's filters on a person, reached through ``prefix`` ("person__" from Skill)."""
    q = Q(**{f"{prefix}user__is_active": True})
    if filters.query:
        q &= Q(**{f"{prefix}display_name__icontains": filters.query}) | Q(
            **{f"{prefix}job_title__icontains": filters.query}
        )
    if filters.site is not None:
        q &= Q(**{f"{prefix}site": filters.site})
    if filters.country:
        q &= Q(**{f"{prefix}site__country": filters.country})
    if filters.language:
        # JSON list membership as text: portable across SQLite and PostgreSQL; codes are quoted
        # so "en" does not match inside another code.
        q &= Q(**{f"{prefix}languages__icontains": f'"{filters.language}"'})
    return q


# The queries every directory page runs are compiled to SQL once per process and shape
# (``pollinate.core.compiled``): the ORM spent longer building them and their rows (0.5 ms each)
# than the database spent answering them. Shapes are named "people:…".


def _compilable(filters: DirectoryFilters) -> bool:
    """Whether the filters reach the SQL as integers only (free text and codes do not)."""
    return not (filters.query or filters.country or filters.language)


def _filter_values(filters: DirectoryFilters) -> dict[str, int]:
    return {"site": filters.site.pk} if filters.site is not None else {}


def _with_markers(filters: DirectoryFilters, markers: dict[str, int]) -> DirectoryFilters:
    return replace(filters, site=Site(pk=markers["site"]) if "site" in markers else None)


def _topic_skills(filters: DirectoryFilters, topic_ids: list[int]) -> QuerySet[Skill]:
    """Skills in these topics at the minimum level or above, of people the filters keep."""
    skills = Skill.objects.filter(
        _directory_q(filters, "person__"), topic_id__in=topic_ids, level__gte=filters.min_level
    )
    return skills


def _at_best_level(filters: DirectoryFilters, topic_ids: list[int], level: int) -> QuerySet[Any]:
    """Ids, by name, of the people whose best level in these topics is ``level``."""

    def skills(**levels: int) -> Exists:
        return Exists(
            Skill.objects.filter(person_id=OuterRef("pk"), topic_id__in=topic_ids, **levels)
        )

    people = Person.objects.filter(_directory_q(filters), skills(level=level))
    if level < max(SkillLevel):
        people = people.exclude(skills(level__gt=level))
    return people.order_by("display_name", "pk").values_list("pk", flat=True)


def _ranked_slice(filters: DirectoryFilters, topic_ids: list[int], index: slice) -> list[int]:
    """A slice of the person ids in directory order, ranked on narrow rows (never a profile's
    wide columns). With a topic: people who know it or anything below it, highest level first;
    names break ties, then ids, so a page boundary never moves between requests."""
    if filters.topic is None:
        # Read in the display-name index's order: a page stops at its end.
        def people(filters: DirectoryFilters) -> QuerySet[Any]:
            return (
                Person.objects.filter(_directory_q(filters))
                .order_by("display_name", "pk")
                .values_list("pk")
            )

        return _ranked_window(filters, index, ("people", filters.site is not None), people)
    if len(topic_ids) == 1:
        # One skill per person and topic: no grouping, so rows come in (topic, level) index order
        # and the page's end stops the scan; most topics are leaves.
        def skills(filters: DirectoryFilters, topic_id: int) -> QuerySet[Any]:
            return (
                _topic_skills(filters, [topic_id])
                .order_by("-level", "person__display_name", "person_id")
                .values_list("person_id")
            )

        # The level is part of the shape: a level out of the field's range (as a marker would
        # be) leaves the ORM's SQL without that condition.
        shape = ("skills", filters.site is not None, filters.min_level)
        return _ranked_window(filters, index, shape, skills, topic_id=topic_ids[0])
    # A broad topic: someone may know several of its topics, and grouping every matching skill
    # by person before the first row comes out cost 40 ms for a topic 12 000 people know.
    # Instead the page is cut from the segments of each best level (their sizes are cached),
    # each read by name from the name index, checking skills person by person.
    counts = _level_counts(filters, topic_ids)
    start, stop, _step = index.indices(sum(counts.values()))
    ids: list[int] = []
    offset = 0
    for level in sorted(counts, reverse=True):
        size = counts[level]
        low, high = max(start - offset, 0), min(stop - offset, size)
        if low < high:
            ids.extend(_at_best_level(filters, topic_ids, level)[low:high])
        offset += size
    return ids


def _ranked_window(
    filters: DirectoryFilters,
    index: slice,
    shape: tuple[Any, ...],
    build: Callable[..., QuerySet[Any]],
    **values: int,
) -> list[int]:
    """The ids in ``index`` of ``build(filters, **values)``'s single column, compiled once
    per shape when the filters allow it."""
    start, stop, step = index.start or 0, index.stop, index.step
    if step is not None or stop is None or start < 0 or stop < 0:
        return [row[0] for row in build(filters, **values)[index]]
    if stop <= start:
        return []
    if not _compilable(filters):
        return [row[0] for row in build(filters, **values)[start:stop]]
    filter_values = _filter_values(filters)
    rows = compiled_rows(
        ("people:" + shape[0], *shape[1:], *sorted(filter_values)),
        lambda **markers: build(
            _with_markers(filters, markers), **{name: markers[name] for name in values}
        ),
        window=(start, stop - start),
        **filter_values,
        **values,
    )
    return [row[0] for row in rows]


# Directory totals ("20 000 people") cost a scan of every matching row; they are cached per filter
# set and dropped whenever a profile, a skill, a topic or an account changes (the services and the
# admin call ``people_counts_changed`` after commit). The TTL bounds what other writes (demo data,
# imports, a shell) can leave stale.
COUNT_TTL = 600
_COUNT_GENERATION = "people:count-generation"


def people_counts_changed() -> None:
    cache.set(_COUNT_GENERATION, time.time_ns(), None)


def _cached(kind: str, filters: DirectoryFilters, compute: Callable[[], _Value]) -> _Value:
    """``compute()`` for these filters, cached until the next change (one cache read)."""
    parts = [
        kind,
        filters.query,
        filters.site.pk if filters.site else "",
        filters.country,
        filters.topic.pk if filters.topic else "",
        filters.language,
        filters.min_level,
    ]
    return _cached_until_changed(parts, compute)


def _cached_until_changed(parts: list[Any], compute: Callable[[], _Value]) -> _Value:
    key = "people:count:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    found = cache.get_many([_COUNT_GENERATION, key])
    generation = found.get(_COUNT_GENERATION, 0)
    cached = found.get(key)
    if cached is not None and cached[0] == generation:
        return cast(_Value, cached[1])
    value = compute()
    cache.set(key, (generation, value), COUNT_TTL)
    return value


def _level_counts(filters: DirectoryFilters, topic_ids: list[int]) -> dict[int, int]:
    """How many people have each best level in these topics: the ranking's segments."""

    def compute() -> dict[int, int]:
        best = (
            _topic_skills(filters, topic_ids)
            .order_by()
            .values("person_id")
            .annotate(best_level=Max("level"))
            .values_list("best_level", flat=True)
        )
        return dict(Counter(best))

    return _cached("levels", filters, compute)


def person_count(*, filters: DirectoryFilters) -> int:
    """How many people ``person_list`` holds, cached until the next change (one cache read)."""
    return _person_count(filters, _topic_ids(filters))


def _topic_ids(filters: DirectoryFilters) -> list[int]:
    return _topic_descendant_ids_cached(filters.topic.pk) if filters.topic is not None else []


def _person_count(filters: DirectoryFilters, topic_ids: list[int]) -> int:
    # The querysets are built only when the cache misses: building one costs as much as the
    # cache read.
    if filters.topic is None:
        return _cached(
            "total", filters, lambda: Person.objects.filter(_directory_q(filters)).count()
        )
    if len(topic_ids) > 1:
        return sum(_level_counts(filters, topic_ids).values())
    return _cached("total", filters, lambda: _topic_skills(filters, topic_ids).count())


class _Directory(PageSequence[_Item]):
    """The directory in order: its length is the cached total, and a slice (a paginator's page)
    ranks narrow rows in the database, then loads only the items on that page."""

    def __init__(self, filters: DirectoryFilters, *, total: int | None = None) -> None:
        self.filters = filters
        # A total the caller read with something else (the site page: with what they know).
        self.total = total

    @cached_property
    def topic_ids(self) -> list[int]:
        # Read once per list: the total and the page both need them.
        return _topic_ids(self.filters)

    def __len__(self) -> int:
        if self.total is not None:
            return self.total
        return _person_count(self.filters, self.topic_ids)

    def _slice(self, index: slice) -> list[_Item]:
        return self._load(_ranked_slice(self.filters, self.topic_ids, index))

    @abstractmethod
    def _load(self, wanted: list[int]) -> list[_Item]:
        """The items with these ids, in this order (each kind of list loads its own columns)."""


class DirectoryPeople(_Directory[Person]):
    """Directory pages as people, with their site (cards add their skills in one more query)."""

    def _load(self, wanted: list[int]) -> list[Person]:
        # Only what a card shows: profiles carry a bio, languages and more that lists never use.
        fields = ["id", "display_name", "site_id", "job_title", "photo"]
        by_id = {}
        for *values, site_name in _rows_by_ids("cards", wanted, *fields, "site__name"):
            person = Person.from_db(connection.alias, fields, values)
            site = Site.from_db(connection.alias, ["id", "name"], [person.site_id, site_name])
            Person.site.field.set_cached_value(person, site)
            by_id[person.pk] = person
        return [by_id[pk] for pk in wanted if pk in by_id]


class DirectoryRows(_Directory[dict[str, Any]]):
    """Directory pages as the API's list rows: four columns, keyed as its schema reads them."""

    def _load(self, wanted: list[int]) -> list[dict[str, Any]]:
        rows = _rows_by_ids("rows", wanted, "pk", "display_name", "site__code", "job_title")
        by_id = {
            pk: {"id": pk, "display_name": name, "site.code": code, "job_title": job}
            for pk, name, code, job in rows
        }
        return [by_id[pk] for pk in wanted if pk in by_id]


def _rows_by_ids(name: str, ids: list[int], *fields: str) -> list[tuple[Any, ...]]:
    """``fields`` of the people with these ids, in no particular order."""
    if not ids:
        return []
    # One value per id (typed Any: a name here can never be compiled_rows' own ``window``).
    markers: dict[str, Any] = {f"id{index}": pk for index, pk in enumerate(ids)}
    return compiled_rows(
        (f"people:{name}", len(ids)),
        lambda **ids: (
            Person.objects.filter(pk__in=list(ids.values())).order_by().values_list(*fields)
        ),
        **markers,
    )


def person_get(*, person_id: int) -> Person | None:
    """The person with this id with their account and site, or None: one query, its SQL
    compiled once per process (every member's page and door reads it)."""
    return compiled_first(
        "people:person-get",
        lambda person_id: Person.objects.select_related("user", "site").filter(pk=person_id),
        person_id=person_id,
    )


def site_get(*, code: str) -> Site | None:
    """The site with this code, or None (one query, its SQL compiled once per process)."""
    return compiled_first(
        "people:site-get", lambda code: Site.objects.filter(code=code).order_by(), code=code
    )


def person_list(*, filters: DirectoryFilters, total: int | None = None) -> DirectoryPeople:
    """The people directory; with a topic, "who knows X" ordered by level in that topic.
    ``total``: how many it holds, when the caller has already read it."""
    return DirectoryPeople(filters, total=total)


def person_rows(*, filters: DirectoryFilters) -> DirectoryRows:
    """``person_list`` as plain rows for the API list (no model instances to build)."""
    return DirectoryRows(filters)


@dataclass(frozen=True)
class SkillRow:
    """One of a person's skills as their page lists it."""

    topic_id: int
    topic_name: str
    topic_url: str
    level: int

    @property
    def level_label(self) -> str:
        return str(SkillLevel(self.level).label)


def skill_rows(*, person: Person) -> list[SkillRow]:
    """A person's skills, strongest first, then by topic name (as ``Skill``'s ordering)."""
    rows = compiled_rows(
        "people:skills-of",
        lambda person_id: (
            Skill.objects.filter(person_id=person_id)
            .order_by("-level", "topic__name")
            .values_list("topic_id", "level")
        ),
        person_id=person.pk,
    )
    names = _topic_names(topic_id for topic_id, _level in rows)
    topics = _taxonomy_get().rows
    slug_at = _TOPIC_FIELDS.index("slug")
    # One reverse() for the list: the topic's id and slug replace markers in its path.
    marker_url = reverse("people:topic", args=[_URL_MARKER, "topic-url-marker"])
    return [
        SkillRow(
            topic_id,
            names[topic_id],
            marker_url.replace(str(_URL_MARKER), str(topic_id)).replace(
                "topic-url-marker", str(topics[topic_id][slug_at])
            ),
            level,
        )
        for topic_id, level in rows
        if topic_id in names
    ]


def skill_chips(*, person_ids: Iterable[int], limit: int = 4) -> dict[int, list[tuple[str, int]]]:
    """Each person's strongest skills as (topic name, level), for cards: one narrow query."""
    chips: dict[int, list[tuple[int, int]]] = {}
    # Ids only: the names come from the process's taxonomy (no join to read, no JSON to decode).
    ids: dict[str, Any] = {f"id{index}": pk for index, pk in enumerate(dict.fromkeys(person_ids))}
    rows = (
        compiled_rows(
            ("people:chips", len(ids)),
            lambda **ids: (
                Skill.objects.filter(person_id__in=list(ids.values()))
                .order_by("person_id", "-level", "topic__name")
                .values_list("person_id", "level", "topic_id")
            ),
            **ids,
        )
        if ids
        else []
    )
    for person_id, level, topic_id in rows:
        shown = chips.setdefault(person_id, [])
        if len(shown) < limit:
            shown.append((topic_id, level))
    names = _topic_names({topic_id for shown in chips.values() for topic_id, _level in shown})
    return {
        person_id: [(names[topic_id], level) for topic_id, level in shown if topic_id in names]
        for person_id, shown in chips.items()
    }


# The taxonomy is small (tens to a few hundred topics) and every directory page reads it: the
# chips' names, the chosen topic and what lies below it. Each process keeps a copy for
# TAXONOMY_TTL seconds; saving or deleting a topic clears it here (signals wired in apps.py) and
# other worker processes catch up within the TTL, as the filter choices do.
TAXONOMY_TTL = 60.0
_TOPIC_FIELDS = [field.attname for field in Topic._meta.concrete_fields]


@dataclass(frozen=True)
class _Taxonomy:
    expires: float
    rows: dict[int, tuple[Any, ...]]
    children: dict[int, list[int]]


_taxonomy: dict[str, _Taxonomy] = {}


def taxonomy_clear(**_kwargs: Any) -> None:
    _taxonomy.clear()


process_cache_register(taxonomy_clear)


def _taxonomy_get(*, having: Iterable[int] = ()) -> _Taxonomy:
    """The process's taxonomy; read again when it lacks one of ``having`` (ids known to exist:
    a topic added by another process or without signals shows at once, not after the TTL)."""
    now = time.monotonic()
    cached = _taxonomy.get("topics")
    if (
        cached is not None
        and cached.expires > now
        and all(topic_id in cached.rows for topic_id in having)
    ):
        return cached
    rows = {row[0]: row for row in Topic.objects.order_by("name").values_list(*_TOPIC_FIELDS)}
    children: dict[int, list[int]] = {}
    parent_at = _TOPIC_FIELDS.index("parent_id")
    for row in rows.values():
        if row[parent_at] is not None:
            children.setdefault(row[parent_at], []).append(row[0])
    cached = _taxonomy["topics"] = _Taxonomy(now + TAXONOMY_TTL, rows, children)
    return cached


def topic_current_get(*, topic_id: int) -> Topic | None:
    """The topic with this id unless it was merged away, from the process's taxonomy (a new
    instance each call: callers may change it without touching the copy)."""
    # Only ids from the filter choices come here (they exist), so a miss may read again.
    row = _taxonomy_get(having=[topic_id]).rows.get(topic_id)
    if row is None:
        return None
    topic = Topic.from_db(None, _TOPIC_FIELDS, row)
    topic.name_translations = dict(topic.name_translations or {})
    return None if topic.merged_into_id is not None else topic


def _topic_names(ids: Iterable[int]) -> dict[int, str]:
    """Existing topics' names in the reader's language (as ``Topic.display_name``)."""
    ids = list(ids)
    language = (get_language() or "en").split("-")[0]
    rows = _taxonomy_get(having=ids).rows
    name_at = _TOPIC_FIELDS.index("name")
    translations_at = _TOPIC_FIELDS.index("name_translations")
    names = {}
    for topic_id in ids:
        row = rows.get(topic_id)
        if row is not None:
            names[topic_id] = str((row[translations_at] or {}).get(language) or row[name_at])
    return names


def _topic_descendant_ids_cached(topic_id: int) -> list[int]:
    """``topic_descendant_ids`` from the process's taxonomy, in the same order."""
    children = _taxonomy_get().children
    ids = [topic_id]
    frontier = [topic_id]
    while frontier:
        frontier = [child for parent in frontier for child in children.get(parent, [])]
        ids.extend(frontier)
    return ids


def topic_descendant_ids(*, topic: Topic) -> list[int]:
    """The topic and everything below it (one query per level; taxonomy trees are shallow)."""
    ids = [topic.pk]
    frontier = [topic.pk]
    while frontier:
        frontier = list(Topic.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.extend(frontier)
    return ids


def _site_knowledge(site: Site, limit: int) -> list[tuple[Topic, int, int]]:
    rows = (
        Skill.objects.filter(person__site=site, person__user__is_active=True, level__gte=3)
        .values("topic")
        .annotate(proficient=Count("id"), experts=Count("id", filter=Q(level=4)))
        .order_by("-proficient", "-experts", "topic")[:limit]
    )
    topics = Topic.objects.in_bulk([row["topic"] for row in rows])
    return [(topics[row["topic"]], row["proficient"], row["experts"]) for row in rows]


def site_summary(*, site: Site, limit: int = 12) -> tuple[int, list[tuple[Topic, int, int]]]:
    """How many active people a site has (as the directory filtered by it counts them), and what
    they know: topics with how many people are proficient (level ≥ 3) and experts.

    Cached together like the directory totals (one cache read for the site page): both move
    with the same skill and account changes."""

    def compute() -> tuple[int, list[tuple[Topic, int, int]]]:
        people = Person.objects.filter(_directory_q(DirectoryFilters(site=site))).count()
        return people, _site_knowledge(site, limit)

    return _cached_until_changed(["site-summary", site.pk, limit], compute)


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
