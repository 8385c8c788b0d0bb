"""Reads about practices: lists, search, the home feed, provenance, similar sites."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from pollinate.core.compiled import compiled_models, compiled_rows, compiled_sql
from pollinate.core.markdown import plain_text
from pollinate.core.pagination import PageSequence
from pollinate.core.process_caches import process_cache
from pollinate.core.reversing import URL_MARKER as _URL_MARKER
from pollinate.core.search import search_ids
from pollinate.people.models import Person, Site, Topic, country_name
from pollinate.people.selectors import topic_descendant_ids
from pollinate.practices.models import (
    PUBLIC_STATUSES,
    Adoption,
    AdoptionStatus,
    Comment,
    Follow,
    Practice,
    PracticeAuthor,
    PracticeStatus,
    Reaction,
    Tag,
    _stored_or_rendered,
)
from pollinate.practices.search import PERSON, PRACTICE

CARD_RELATED = ("site", "owner", "owner__site")


def practice_cards(queryset: QuerySet[Practice]) -> QuerySet[Practice]:
    """What a practice card renders: origin site, owner, topics and the first photo."""
    return (
        queryset.select_related(*CARD_RELATED)
        .prefetch_related("topics", "images")
        .defer("problem_html", "steps_html", "evidence_html")  # cards show an excerpt of steps
    )


# ---------------------------------------------------------------------------------------------
# Cards, from a cache shared by every viewer

# What makes a card's cached values stale: an edit (title, steps, topics, photos bump updated_at),
# a status change and the two counts it shows. Comments and reactions move last_activity_at, which
# the card shows as "3 days ago": that is read with the stamp and computed at render, not cached.
CARD_STAMP_FIELDS = (
    "pk",
    "last_activity_at",
    "updated_at",
    "status",
    "adoption_count",
    "helpful_count",
)
# Bounds what no stamp sees: a site or a topic renamed.
CARD_TTL = 3600
# Each worker process keeps its own cards. The key carries the stamp, so a process can never show
# a stale card after an edit seen by another; and a page view never writes: with the database
# cache (the default) a cold page of 20 cards cost 80 cache queries and SQLite write locks.
# About 1 kB a card: 5 000 cards bound a worker's share at ~5 MB.
card_cache = process_cache("pollinate-practice-cards", timeout=CARD_TTL, max_entries=5000)


@lru_cache(maxsize=8192)
def excerpt(text: str, limit: int) -> str:
    """Plain text of a Markdown text, cut at ``limit`` (memoised: it renders the Markdown)."""
    return plain_text(text, limit)


def card_values(practice: Practice, *, detail_url: str = "") -> dict[str, Any]:
    """What a practice card shows that every viewer of a language sees alike (no relative time).

    ``practice`` needs what ``practice_cards`` loads (site, topics, images); ``detail_url`` is
    ``card_detail_url()``, built once for a list.
    """
    photos = practice.images.all()
    adoptions, helpful = practice.adoption_count, practice.helpful_count
    values: dict[str, Any] = {
        "url": (detail_url or card_detail_url()).replace(str(_URL_MARKER), str(practice.pk)),
        "title": practice.title,
        "photo": photos[0].image.url if photos else "",
        "where": f"{practice.site.name} · {practice.site.country_name}",
        "status": "" if practice.status == PracticeStatus.SHARED else practice.status,
        "status_label": str(practice.get_status_display()),
        "excerpt": excerpt(practice.steps or "", 140),
        "signals": " · ".join(
            [
                ngettext("%(count)s site adopted", "%(count)s sites adopted", adoptions)
                % {"count": adoptions},
                ngettext("%(count)s helpful", "%(count)s helpful", helpful) % {"count": helpful},
            ]
        ),
        "topics": [topic.display_name for topic in list(practice.topics.all())[:3]],
    }
    values["html"] = card_html(values)
    return values


def card_html(values: dict[str, Any]) -> tuple[SafeString, SafeString]:
    """A card's ``<li>`` as the markup before and after its relative time, the one part that
    changes by the minute: lists join cached halves instead of running a template per card."""
    photo = (
        format_html(
            '<img class="practice-card__photo" src="{}" alt="" loading="lazy" width="96"'
            ' height="96">',
            values["photo"],
        )
        if values["photo"]
        else ""
    )
    status = (
        format_html(
            ' · <span class="chip status status--{}">{}</span>',
            values["status"],
            values["status_label"],
        )
        if values["status"]
        else ""
    )
    topics = (
        format_html(
            '<ul class="chips" aria-label="{}">{}</ul>',
            _("Topics"),
            format_html_join("", '<li class="chip">{}</li>', ((t,) for t in values["topics"])),
        )
        if values["topics"]
        else ""
    )
    before = format_html(
        '<li><article class="practice-card">{}<div class="practice-card__body">'
        '<h3><a href="{}">{}</a></h3><p class="muted small">{}{}</p><p class="small">{}</p>'
        '<p class="muted small practice-card__signals">{} · ',
        photo,
        values["url"],
        values["title"],
        values["where"],
        status,
        values["excerpt"],
        values["signals"],
    )
    return before, format_html("</p>{}</div></article></li>", topics)


def card_detail_url() -> str:
    """The practice page's URL with a marker in place of the id (one ``reverse`` a process)."""
    return _detail_url(get_script_prefix(), get_urlconf())


@lru_cache(maxsize=16)
def _detail_url(_prefix: str, _urlconf: str | None) -> str:
    return reverse("practices:detail", args=[_URL_MARKER])


def _card_key(row: tuple[Any, ...], language: str) -> str:
    pk, _last, updated, status, adoptions, helpful = row
    return f"practices:card:{language}:{pk}:{updated.timestamp()}:{status}:{adoptions}:{helpful}"


def practice_card_values(ids: Sequence[int]) -> list[dict[str, Any]]:
    """The cards of these practices in this order (missing ids dropped), with ``when``.

    One narrow query for the stamps and one cache read; only practices whose card changed since
    it was cached (or that this process did not show yet) are loaded, then cached. A list page
    used to load every practice it showed, with its topics and photos, on every request.
    """
    if not ids:
        return []
    wanted = list(dict.fromkeys(ids))
    by_place: dict[str, Any] = {f"id{index}": pk for index, pk in enumerate(wanted)}
    stamps = {
        row[0]: row
        for row in compiled_rows(
            f"practices:card-stamps:{len(wanted)}",
            lambda **pks: (
                Practice.objects.filter(pk__in=list(pks.values()))
                .order_by()
                .values_list(*CARD_STAMP_FIELDS)
            ),
            **by_place,
        )
    }
    language = get_language() or "en"
    keys = {pk: _card_key(row, language) for pk, row in stamps.items()}
    found = card_cache.get_many(list(keys.values()))
    missing = [pk for pk, key in keys.items() if key not in found]
    if missing:
        detail_url = card_detail_url()
        fresh = {
            keys[pk]: card_values(practice, detail_url=detail_url)
            for pk, practice in practice_cards(Practice.objects.filter(pk__in=missing))
            .in_bulk()
            .items()
        }
        card_cache.set_many(fresh, CARD_TTL)
        found.update(fresh)
    return [
        {**found[keys[pk]], "when": stamps[pk][1]} for pk in ids if pk in keys and keys[pk] in found
    ]


@dataclass(frozen=True)
class PracticeFilters:
    query: str = ""
    topic: Topic | None = None
    tag: Tag | None = None
    site: Site | None = None
    country: str = ""
    language: str = ""
    status: str = ""


def _filtered(*, actor: Person, filters: PracticeFilters) -> QuerySet[Practice]:
    if filters.status and filters.status != PracticeStatus.DRAFT:
        # Public statuses need no per-person visibility test (and the planner gets a plain index).
        practices = Practice.objects.filter(status=filters.status)
    elif filters.status:
        practices = Practice.objects.visible_to(actor).filter(status=filters.status)
    elif not filters.query:
        practices = Practice.objects.live()
    else:
        practices = Practice.objects.visible_to(actor)
    return _narrowed(practices, filters)


def _narrowed(practices: QuerySet[Practice], filters: PracticeFilters) -> QuerySet[Practice]:
    """The topic, tag, site, country and language filters (not status or visibility)."""
    if filters.topic is not None:
        # A broad topic finds practices filed under its narrower topics too.
        topic_ids = topic_descendant_ids(topic=filters.topic)
        practices = practices.filter(
            pk__in=Practice.topics.through.objects.filter(topic_id__in=topic_ids).values(
                "practice_id"
            )
        )
    if filters.tag is not None:
        practices = practices.filter(
            pk__in=Practice.tags.through.objects.filter(tag=filters.tag).values("practice_id")
        )
    if filters.site is not None:
        practices = practices.filter(site=filters.site)
    if filters.country:
        practices = practices.filter(site__country=filters.country)
    if filters.language:
        practices = practices.filter(language=filters.language)
    return practices


def _narrowing_key(filters: PracticeFilters) -> list[Any]:
    """What ``_narrowed`` filters on, as parts of a cache key."""
    return [
        filters.topic.pk if filters.topic else "",
        filters.tag.pk if filters.tag else "",
        filters.site.pk if filters.site else "",
        filters.country,
        filters.language,
    ]


# The columns quality ranking needs: candidates are ranked on these before any card is loaded.
_RANK_FIELDS = (
    "pk",
    "owner_id",
    "status",
    "adoption_count",
    "helpful_count",
    "learned_count",
    "last_activity_at",
)


# Built once: search scores every candidate (hundreds) with it.
_STATUS_BONUS = {str(PracticeStatus.VERIFIED): 0.4, str(PracticeStatus.SHARED): 0.1}


def quality_score(
    *,
    status: str,
    adoption_count: int,
    helpful_count: int,
    learned_count: int,
    last_activity_at: datetime,
    now: datetime,
) -> float:
    """Quality signals on a 0–~3 scale: adoptions elsewhere, helpful reactions, freshness."""
    adoptions = math.log1p(adoption_count) * 0.6
    helpful = math.log1p(helpful_count + learned_count) * 0.3
    age_days = max(0.0, (now - last_activity_at).total_seconds() / 86400)
    freshness = 0.5 * math.exp(-age_days / 60)
    return adoptions + helpful + freshness + _STATUS_BONUS.get(status, -0.5)


def practice_search(*, actor: Person, filters: PracticeFilters, limit: int = 50) -> list[Practice]:
    """Full-text matches blended with quality signals, as cards; at most ``limit``, best first."""
    return RankedPractices(practice_search_ids(actor=actor, filters=filters, limit=limit))[:]


def practice_search_ids(*, actor: Person, filters: PracticeFilters, limit: int = 50) -> list[int]:
    """Ids of the full-text matches blended with quality signals; at most ``limit``, best first.

    Text relevance comes from the shared index (capped candidates); it is scaled to 0–3 by the best
    match so that a strong text match still outranks a popular but weak one. Candidates are ranked
    on a few columns once for every viewer (``_search_ranked``); here only the actor's visibility
    is applied. No card is loaded here (``RankedPractices`` loads the page shown).
    """
    wanted = {filters.status} if filters.status else set(PUBLIC_STATUSES) | {PracticeStatus.DRAFT}
    authored: set[int] | None = None
    found: list[int] = []
    for _score, pk, owner_id, status in _search_ranked(filters):
        if status not in wanted:
            continue
        if status == PracticeStatus.DRAFT and owner_id != actor.pk:
            if authored is None:  # someone else's draft: is the actor one of its authors?
                authored = _draft_authorships(actor)
            if pk not in authored:
                continue
        found.append(pk)
        if len(found) == limit:
            break
    return found


def _draft_authorships(actor: Person) -> set[int]:
    """The drafts the actor co-wrote, among what they wrote (tens of rows, by the person index:
    with the status in the query, SQLite walked every draft of the organisation instead)."""
    rows = compiled_rows(
        "practices:authorships",
        lambda person_id: PracticeAuthor.objects.filter(person_id=person_id).values_list(
            "practice_id", "practice__status"
        ),
        person_id=actor.pk,
    )
    return {practice_id for practice_id, status in rows if status == PracticeStatus.DRAFT}


# The candidates of a query, scored, before anyone's visibility is applied: the same for every
# viewer. Kept per process for a minute and dropped by any change that counts reset (a practice
# created, shared, edited, retired...), so a new or edited practice is found at once; adoptions,
# reactions and the freshness term move the ranking within the minute.
SEARCH_TTL = 60
search_cache = process_cache("pollinate-practice-search", timeout=SEARCH_TTL, max_entries=500)


def _search_ranked(filters: PracticeFilters) -> list[tuple[float, int, int | None, str]]:
    """(score, id, owner id, status) of every candidate, best first (ties: newest id first)."""
    parts = [cache.get(_COUNT_GENERATION, 0), filters.query, *_narrowing_key(filters)]
    key = hashlib.sha256(repr(parts).encode()).hexdigest()
    cached = search_cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    relevance = dict(search_ids(PRACTICE, filters.query))
    # Driven by the candidate ids (primary key lookups) with visibility applied by the caller:
    # written as a filter, the "public or mine" OR made SQLite walk every public practice instead.
    rows = (
        _narrowed(Practice.objects.filter(pk__in=list(relevance)), filters)
        .order_by()
        .values_list(*_RANK_FIELDS)
        if relevance
        else []
    )
    best = max(relevance.values(), default=0.0)
    now = timezone.now()
    ranked = sorted(
        (
            (
                (3.0 * max(relevance[pk], 0.0) / best if best > 0 else 0.0)
                + quality_score(
                    status=status,
                    adoption_count=adoptions,
                    helpful_count=helpful,
                    learned_count=learned,
                    last_activity_at=last,
                    now=now,
                ),
                pk,
                owner_id,
                status,
            )
            for pk, owner_id, status, adoptions, helpful, learned, last in rows
        ),
        reverse=True,
    )
    search_cache.set(key, ranked, SEARCH_TTL)
    return ranked


class RankedPractices(PageSequence[Practice]):
    """Ranked practice ids that load as cards only for the slice asked for (a paginator's page)."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def _slice(self, index: slice) -> list[Practice]:
        wanted = self.ids[index]
        by_id = practice_cards(Practice.objects.filter(pk__in=wanted)).in_bulk()
        return [by_id[pk] for pk in wanted if pk in by_id]


def practice_list(*, actor: Person, filters: PracticeFilters) -> QuerySet[Practice]:
    """The browsable list (no text query): newest activity first."""
    return practice_cards(_filtered(actor=actor, filters=filters)).order_by(
        "-last_activity_at", "-id"
    )


def practice_list_ids(*, actor: Person, filters: PracticeFilters) -> QuerySet[Practice, int]:
    """``practice_list`` as ids, for pages that show cached cards (``practice_card_values``)."""
    return (
        _filtered(actor=actor, filters=filters)
        .order_by("-last_activity_at", "-id")
        .values_list("pk", flat=True)
    )


# List totals ("12 345 practices") cost a scan of every matching row; they are cached per filter
# set and dropped whenever a practice appears, changes status, topics or language (the services
# call ``practice_counts_changed`` after commit). The TTL bounds what writes outside the services
# (demo data, imports) can leave stale.
COUNT_TTL = 600
_COUNT_GENERATION = "practices:count-generation"


def practice_counts_changed() -> None:
    cache.set(_COUNT_GENERATION, time.time_ns(), None)


def practice_count(*, actor: Person, filters: PracticeFilters) -> int:
    """How many practices ``practice_list`` holds, cached until the next change (one cache read)."""
    parts = [
        filters.status,
        *_narrowing_key(filters),
        actor.pk if filters.status == PracticeStatus.DRAFT else "",  # drafts are per person
    ]
    key = "practices:count:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    found = cache.get_many([_COUNT_GENERATION, key])
    generation = found.get(_COUNT_GENERATION, 0)
    cached = found.get(key)
    if cached is not None and cached[0] == generation:
        return int(cached[1])
    total = _filtered(actor=actor, filters=filters).count()
    cache.set(key, (generation, total), COUNT_TTL)
    return total


def person_search(*, query: str, limit: int = 6) -> list[Person]:
    """Members matching ``query`` (active ones, as read now) for the search page's people row.

    The index's answer is kept per process for ``SEARCH_TTL``: profiles are reindexed from the
    activity spine, already after the fact, and names and activity are read live here.
    """
    key = "practices:person-search:" + hashlib.sha256(f"{limit}:{query}".encode()).hexdigest()
    ids = search_cache.get(key)
    if ids is None:
        ids = [object_id for object_id, _score in search_ids(PERSON, query, limit=200)][:limit]
        search_cache.set(key, ids, SEARCH_TTL)
    if not ids:
        return []
    people = compiled_models(
        f"practices:people-found:{len(ids)}",
        lambda **pks: Person.objects.filter(
            pk__in=list(pks.values()), user__is_active=True
        ).select_related("site"),
        **{f"id{index}": pk for index, pk in enumerate(ids)},
    )
    by_id = {person.pk: person for person in people}
    return [by_id[pk] for pk in ids if pk in by_id]


# ---------------------------------------------------------------------------------------------
# Sites like mine


SIMILAR_SITES_TTL = 600


def similar_sites(*, site: Site, limit: int = 8) -> list[int]:
    """Sites whose adoptions overlap most with this site's (then same region / country).

    Cached for ten minutes per site (and a minute per process): it aggregates every adoption of
    the site's practices, and it changes slowly (it is a neighbourhood, not a feed).
    """
    key = f"practices:similar-sites:{site.pk}:{limit}"
    # Read through this process's short-lived cache first: the shared cache is a database
    # query, on the home feed and every practice page.
    cached = search_cache.get(key)
    if cached is None:
        cached = cache.get(key)
        if cached is None:
            cached = _similar_sites(site=site, limit=limit)
            cache.set(key, cached, SIMILAR_SITES_TTL)
        search_cache.set(key, cached, SEARCH_TTL)
    return list(cached)


def _similar_sites(*, site: Site, limit: int) -> list[int]:
    mine = Adoption.objects.filter(
        site=site,
        status__in=[AdoptionStatus.ADOPTED, AdoptionStatus.ADAPTED, AdoptionStatus.TRYING],
    ).values("practice_id")
    ranked = list(
        Adoption.objects.filter(practice_id__in=mine)
        .exclude(site=site)
        .values("site_id")
        .annotate(overlap=Count("id"))
        .order_by("-overlap", "site_id")
        .values_list("site_id", flat=True)[:limit]
    )
    if len(ranked) < limit:
        near = Site.objects.exclude(pk=site.pk).exclude(pk__in=ranked)
        near = near.filter(Q(country=site.country) | (Q(region=site.region) & ~Q(region="")))
        ranked += list(near.order_by("name").values_list("pk", flat=True)[: limit - len(ranked)])
    return ranked


# ---------------------------------------------------------------------------------------------
# The home feed


@dataclass
class Feed:
    """A page of the feed as ids: the page shows ``cards`` (cached), the API reads ``practices``."""

    ids: list[int]
    cursor: str | None
    personalised: bool
    followed_topic_ids: list[int] = field(default_factory=list)

    @cached_property
    def practices(self) -> list[Practice]:
        by_id = practice_cards(Practice.objects.filter(pk__in=self.ids)).in_bulk()
        return [by_id[pk] for pk in self.ids if pk in by_id]

    @cached_property
    def cards(self) -> list[dict[str, Any]]:
        return practice_card_values(self.ids)


def _cursor_parse(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    stamp, _sep, pk = cursor.rpartition("_")
    try:
        return datetime.fromisoformat(stamp), int(pk)
    except ValueError:
        return None


# How many of the newest practices the followed-topics part of the feed looks through before it
# asks the topics directly (cheap exactly when the topics are rare, which is when the window fails).
FEED_TOPIC_WINDOW = 4000


def _union_sql(querysets: Sequence[QuerySet[Practice]]) -> tuple[str, list[Any]]:
    """One statement of (last activity, id, source) rows of several small "newest first, LIMIT
    k" queries: each part walks an index in order and stops, instead of one OR that sorts every
    practice of every followed site."""
    parts: list[str] = []
    params: list[Any] = []
    for index, queryset in enumerate(querysets):
        sql, part_params = queryset.values_list("last_activity_at", "pk").query.sql_with_params()
        parts.append(f"SELECT f{index}.*, {index} FROM ({sql}) f{index}")  # noqa: S608 -- ORM SQL
        params.extend(part_params)
    return " UNION ALL ".join(parts), params


def _feed_parts(
    *,
    home_site_id: int,
    person_id: int,
    site_ids: Sequence[int],
    topic_ids: Sequence[int],
    position: tuple[datetime, int] | None,
    size: int,
) -> tuple[list[QuerySet[Practice]], QuerySet[Practice] | None]:
    """The feed's sources (each followed or similar site, the followed practices, the newest of
    the followed topics), and the followed topics' own query for when that window is thin."""
    newest = Practice.objects.live().exclude(site_id=home_site_id)
    if position is not None:
        stamp, pk = position
        newest = newest.filter(Q(last_activity_at__lt=stamp) | Q(last_activity_at=stamp, pk__lt=pk))
    newest = newest.order_by("-last_activity_at", "-id")
    sources: list[QuerySet[Practice]] = [
        newest.filter(site_id=site_id)[: size + 1] for site_id in site_ids
    ]
    sources.append(
        newest.filter(
            pk__in=Follow.objects.filter(person_id=person_id, practice__isnull=False).values(
                "practice_id"
            )
        )[: size + 1]
    )
    if not topic_ids:
        return sources, None
    through = Practice.topics.through.objects.filter(topic_id__in=topic_ids).values("practice_id")
    window = newest.values("pk")[:FEED_TOPIC_WINDOW]
    sources.append(newest.filter(pk__in=window).filter(pk__in=through)[: size + 1])
    topics_only: QuerySet[Practice] = newest.filter(pk__in=through)[: size + 1]
    return sources, topics_only


# Feeds of at most this many sites and topics have their SQL compiled once per process (the ORM
# spent ~1.5 ms building a first page's dozen parts); a longer one is compiled each time.
FEED_COMPILED_PARTS = 40


def _feed_rows(
    *, actor: Person, site_ids: list[int], topic_ids: list[int], position: Any, size: int
) -> list[tuple[Any, int, int]]:
    """(last activity, id, source) rows of the feed's sources, newest first."""
    values = {"home_site_id": actor.site_id, "person_id": actor.pk}
    values.update({f"site{index}": site_id for index, site_id in enumerate(site_ids)})
    values.update({f"topic{index}": topic_id for index, topic_id in enumerate(topic_ids)})

    def parts(**given: int) -> tuple[list[QuerySet[Practice]], QuerySet[Practice] | None]:
        return _feed_parts(
            home_site_id=given["home_site_id"],
            person_id=given["person_id"],
            site_ids=[given[name] for name in given if name.startswith("site")],
            topic_ids=[given[f"topic{index}"] for index in range(len(topic_ids))],
            position=position,
            size=size,
        )

    shape = f"{len(site_ids)}:{len(topic_ids)}:{size}"
    if position is None and len(site_ids) + len(topic_ids) <= FEED_COMPILED_PARTS:
        sql, params = compiled_sql(
            f"practices:feed:{shape}", lambda **m: _union_sql(parts(**m)[0]), **values
        )
    else:
        sql, params = _union_sql(parts(**values)[0])
    rows = _raw_rows(sql, params)
    topic_source = len(site_ids) + 1
    if topic_ids and sum(1 for row in rows if row[2] == topic_source) <= size:
        # Few followed-topic practices among the newest: ask the topics themselves.
        wanted = {name: value for name, value in values.items() if not name.startswith("site")}
        wanted["person_id"] = 0  # not in this query
        if position is None and len(topic_ids) <= FEED_COMPILED_PARTS:
            sql, params = compiled_sql(
                f"practices:feed-topics:{len(topic_ids)}:{size}",
                lambda **m: _union_sql([_topics_only(parts(**m, person_id=0))]),
                **{name: value for name, value in wanted.items() if name != "person_id"},
            )
        else:
            sql, params = _union_sql([_topics_only(parts(**wanted))])
        rows += _raw_rows(sql, params)
    rows.sort(reverse=True)
    return rows


def _topics_only(
    parts: tuple[list[QuerySet[Practice]], QuerySet[Practice] | None],
) -> QuerySet[Practice]:
    assert parts[1] is not None  # only asked when there are followed topics
    return parts[1]


def _raw_rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(stamp, int(pk), source) for stamp, pk, source in cursor.fetchall()]


def practice_feed(*, actor: Person, cursor: str | None = None, size: int = 12) -> Feed:
    """New and rising practices from followed topics/sites/practices and sites like mine.

    Rising = ordered by last activity (shares, adoptions, comments, reactions bump it). Falls back
    to the whole organisation when the person follows nothing yet. Keyset pagination keeps every
    page as cheap as the first; each source (a site, the followed practices, the followed topics)
    is read newest-first up to one page, and the pages are merged.
    """
    follows = compiled_rows(
        "practices:feed-follows",
        lambda person_id: Follow.objects.filter(person_id=person_id).values_list(
            "topic_id", "site_id"
        ),
        person_id=actor.pk,
    )
    topic_ids = [topic for topic, _site in follows if topic]
    site_ids = [site for _topic, site in follows if site]
    site_ids += similar_sites(site=actor.site)
    personalised = bool(topic_ids or site_ids)
    position = _cursor_parse(cursor)
    if not personalised:
        newest = Practice.objects.live().exclude(site_id=actor.site_id)
        if position is not None:
            stamp, pk = position
            newest = newest.filter(
                Q(last_activity_at__lt=stamp) | Q(last_activity_at=stamp, pk__lt=pk)
            )
        rows = [
            (stamp, pk, 0)
            for stamp, pk in newest.order_by("-last_activity_at", "-id").values_list(
                "last_activity_at", "pk"
            )[: size + 1]
        ]
    else:
        rows = _feed_rows(
            actor=actor,
            site_ids=list(dict.fromkeys(site_ids)),
            topic_ids=topic_ids,
            position=position,
            size=size,
        )
    stamps = {pk: stamp for stamp, pk, _source in rows}  # the first (newest) position is kept
    ids = list(stamps)[: size + 1]
    next_cursor = None
    if len(ids) > size:
        ids = ids[:size]
        next_cursor = f"{_aware(stamps[ids[-1]]).isoformat()}_{ids[-1]}"
    return Feed(
        ids=ids, cursor=next_cursor, personalised=personalised, followed_topic_ids=topic_ids
    )


def _aware(stamp: Any) -> datetime:
    """A raw cursor's timestamp as the ORM would give it (the UNION above bypasses converters)."""
    if isinstance(stamp, str):
        stamp = datetime.fromisoformat(stamp)
    if timezone.is_naive(stamp):
        stamp = timezone.make_aware(stamp, UTC)
    return stamp


@dataclass(frozen=True)
class PracticeLink:
    """A row of the home page's short lists: a practice's page and title, and a status (its
    own, or a site's adoption of it) with its label; ``site_name`` is its origin site."""

    url: str
    title: str
    status: str
    status_label: str
    site_name: str = ""


def _links(rows: list[tuple[Any, ...]], labels: Any) -> list[PracticeLink]:
    """Rows of (practice id, title, status[, site name]) as links (one ``reverse`` a list)."""
    url = card_detail_url()
    marker = str(_URL_MARKER)
    return [
        PracticeLink(url.replace(marker, str(pk)), title, status, str(labels(status).label), *more)
        for pk, title, status, *more in rows
    ]


def adoptions_by_site(*, site: Site, limit: int = 6) -> list[PracticeLink]:
    """The home page's "taken up here": the practice, the adoption's status and origin site."""
    rows = compiled_rows(
        f"practices:adoptions-by-site:{limit}",
        lambda site_id: Adoption.objects.filter(site_id=site_id).values_list(
            "practice_id", "practice__title", "status", "practice__site__name"
        )[:limit],
        site_id=site.pk,
    )
    return _links(rows, AdoptionStatus)


# What the home page's short lists show of a practice (a row carries its texts twice).
PRACTICE_LINK_FIELDS = ("title", "status", "site_id", "owner_id", "review_by")


def my_practices(*, actor: Person, limit: int = 6) -> list[PracticeLink]:
    """The practices the actor wrote (retired ones aside), last changed first."""
    rows = compiled_rows(
        f"practices:my-practices:{limit}",
        lambda person_id: (
            Practice.objects.filter(
                pk__in=PracticeAuthor.objects.filter(person_id=person_id).values("practice_id")
            )
            .exclude(status=PracticeStatus.RETIRED)
            .order_by("-updated_at")
            .values_list("pk", "title", "status")[:limit]
        ),
        person_id=actor.pk,
    )
    return _links(rows, PracticeStatus)


def review_due_links(*, actor: Person, limit: int = 5) -> list[PracticeLink]:
    """``practices_needing_review`` as the home page's links."""
    rows = compiled_rows(
        f"practices:review-due:{limit}",
        lambda owner_id, today: (
            Practice.objects.live()
            .filter(owner_id=owner_id, review_by__lte=today)
            .values_list("pk", "title", "status")[:limit]
        ),
        owner_id=actor.pk,
        today=timezone.localdate(),
    )
    return _links(rows, PracticeStatus)


def practices_needing_review(*, actor: Person) -> QuerySet[Practice]:
    return (
        Practice.objects.live()
        .filter(owner=actor, review_by__lte=timezone.localdate())
        .only(*PRACTICE_LINK_FIELDS)
    )


# ---------------------------------------------------------------------------------------------
# The practice page


# A practice's long texts: lists that only show titles leave them in the database.
LONG_TEXT_FIELDS = (
    "problem",
    "steps",
    "evidence",
    "adaptation_note",
    "problem_html",
    "steps_html",
    "evidence_html",
)


# What the provenance section shows of each adoption: a widely adopted practice has a hundred.
ADOPTION_SHOWN_FIELDS = (
    "practice_id",
    "status",
    "reason",
    "outcome",
    "outcome_positive",
    "metric_unit",
    "metric_before",
    "metric_after",
    "happened_on",
    "site__name",
    "site__code",
    "site__country",
    "adaptation__title",
)


@dataclass
class Provenance:
    ancestors: list[Practice]  # oldest first, ending with the practice's direct source
    adoptions: list[Adoption]  # where this practice went: the latest ``shown``, oldest first
    adoption_count: int  # every site that recorded a relation to it
    descendants: list[tuple[int, Practice]]  # (depth, adaptation) in tree order
    countries: list[str]
    mine: Adoption | None  # the actor's site's own relation to it
    like_mine: list[Adoption]  # adoptions by sites similar to the actor's

    @property
    def truncated(self) -> bool:
        return len(self.adoptions) < self.adoption_count


def practice_provenance(
    *, actor: Person, practice: Practice, shown: int | None = None, max_depth: int = 6
) -> Provenance:
    """Where a practice came from and where it (and its adaptations) went.

    Every adoption is read as a (id, site) pair; only the latest ``shown`` (all when None), the
    actor's site's and those of sites like the actor's become model instances. A practice taken
    up by a hundred sites cost 5 ms of object building for rows the page does not show.
    """
    ancestors: list[Practice] = []
    seen = {practice.pk}
    current = practice.adapted_from
    while current is not None and current.pk not in seen and len(ancestors) < max_depth:
        ancestors.insert(0, current)
        seen.add(current.pk)
        current = (
            Practice.objects.select_related("site", "adapted_from", "adapted_from__site")
            .filter(pk=current.adapted_from_id)
            .first()
            if current.adapted_from_id
            else None
        )
    pairs = compiled_rows(
        "practices:adoption-pairs",
        lambda practice_id: (
            Adoption.objects.filter(practice_id=practice_id)
            .order_by("happened_on", "id")
            .values_list("pk", "site_id")
        ),
        practice_id=practice.pk,
    )
    latest = pairs if shown is None else pairs[-shown:] if shown else []
    similar = set(similar_sites(site=actor.site))
    wanted = {pk for pk, site_id in pairs if site_id in similar or site_id == actor.site_id}
    wanted.update(pk for pk, _site_id in latest)
    by_id = (
        Adoption.objects.filter(pk__in=wanted)
        .select_related("site", "adaptation")
        .only(*ADOPTION_SHOWN_FIELDS)
        .in_bulk()
        if wanted
        else {}
    )
    site_ids = {site_id for _pk, site_id in pairs}
    adoptions = [by_id[pk] for pk, _site_id in latest]
    mine = next((by_id[pk] for pk, site_id in pairs if site_id == actor.site_id), None)
    like_mine = [by_id[pk] for pk, site_id in pairs if site_id in similar]
    descendants: list[tuple[int, Practice]] = []
    frontier = [practice.pk]
    depth = 1
    while frontier and depth <= max_depth:
        # The children's ids first, through the adapted-from index: with the visibility OR in
        # the same query, SQLite chose to walk the status index over the whole table (110 ms).
        child_ids = (
            # The first level on every page, compiled once (most practices have no adaptation).
            [
                pk
                for (pk,) in compiled_rows(
                    "practices:adaptations",
                    lambda source_id: Practice.objects.filter(
                        adapted_from_id=source_id
                    ).values_list("pk")[:400],
                    source_id=practice.pk,
                )
                if pk not in seen
            ]
            if depth == 1
            else list(
                Practice.objects.filter(adapted_from_id__in=frontier)
                .exclude(pk__in=seen)
                .values_list("pk", flat=True)[:400]
            )
        )
        if not child_ids:  # most practices were never adapted: no second query
            break
        children = list(
            Practice.objects.visible_to(actor)
            .filter(pk__in=child_ids)
            .select_related("site")
            .defer(*LONG_TEXT_FIELDS)
            .order_by("created_at")[:200]
        )
        for child in children:
            seen.add(child.pk)
            descendants.append((depth, child))
        frontier = [child.pk for child in children]
        depth += 1
    site_ids.update(child.site_id for _depth, child in descendants)
    codes = (
        Site.objects.filter(pk__in=site_ids).values_list("country", flat=True).distinct()
        if site_ids
        else []
    )
    countries = sorted({country_name(code) for code in codes})
    return Provenance(
        ancestors=ancestors,
        adoptions=adoptions,
        adoption_count=len(pairs),
        descendants=descendants,
        countries=countries,
        mine=mine,
        like_mine=like_mine,
    )


@dataclass
class ThreadComment:
    """A comment as the thread shows it (no model instance: 30 of them cost a millisecond)."""

    pk: int
    parent_id: int | None
    author_id: int
    author_name: str
    author_site: str
    body_html: str | None
    body: str
    created_at: datetime
    shown_replies: list[ThreadComment] = field(default_factory=list)

    @property
    def body_rendered(self) -> SafeString:
        return _stored_or_rendered(self.body_html, self.body)


_THREAD_FIELDS = (
    "pk",
    "parent_id",
    "author_id",
    "author__display_name",
    "author__site__name",
    "body_html",
    "body",
    "created_at",
)


def _thread(limit: int | None) -> Callable[..., QuerySet[Any]]:
    def build(practice_id: int) -> QuerySet[Any]:
        comments = Comment.objects.filter(practice_id=practice_id)
        if limit is not None:
            latest = (
                comments.filter(parent=None).order_by("-created_at", "-id").values("pk")[:limit]
            )
            # By the primary key and parent indexes: a conversation of thousands is not walked.
            comments = Comment.objects.filter(Q(pk__in=latest) | Q(parent_id__in=latest))
        return comments.order_by("created_at", "id").values_list(*_THREAD_FIELDS)

    return build


def comment_tree(*, practice: Practice, limit: int | None = 30) -> list[ThreadComment]:
    """The latest ``limit`` top-level comments (oldest first), each with ``shown_replies``.

    One query whatever the count (its SQL compiled once per process); the page links to the full
    conversation when it is longer.
    """
    rows = compiled_rows(
        f"practices:comment-thread:{limit}", _thread(limit), practice_id=practice.pk
    )
    comments = [ThreadComment(*row) for row in rows]
    top = {comment.pk: comment for comment in comments if comment.parent_id is None}
    for comment in comments:
        if comment.parent_id is not None and comment.parent_id in top:
            top[comment.parent_id].shown_replies.append(comment)
    return list(top.values())


def reactions_of(*, actor: Person, practice: Practice) -> set[str]:
    rows = compiled_rows(
        "practices:reactions-of",
        lambda person_id, practice_id: Reaction.objects.filter(
            practice_id=practice_id, person_id=person_id
        ).values_list("kind"),
        person_id=actor.pk,
        practice_id=practice.pk,
    )
    return {kind for (kind,) in rows}


def follow_state(*, actor: Person, **target: Any) -> bool:
    if set(target) == {"practice"}:  # on every practice page: the query compiled once
        return bool(
            compiled_rows(
                "practices:follows-practice",
                lambda person_id, practice_id: Follow.objects.filter(
                    person_id=person_id, practice_id=practice_id
                ).values_list("pk")[:1],
                person_id=actor.pk,
                practice_id=target["practice"].pk,
            )
        )
    return Follow.objects.filter(person=actor, **target).exists()
