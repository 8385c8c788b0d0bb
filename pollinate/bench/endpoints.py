"""The endpoints the harness loads: a registry each capability extends when its pages land.

Each entry has a name (the key in ``bench/results/<scale>.json``) and a resolver that runs inside
Django against the benchmark database and returns the request to send as the signed-in bench
member, or ``None`` while the capability does not exist yet (a missing app, model or URL name is
not an error: the endpoint is skipped and listed as such in the run details).

To add one: append an ``Endpoint`` below. Prefer ``get_absolute_url()`` on a representative object
and ``_url("app:name", ...)`` with the URL names you defined, so the harness follows renames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.db.models import Count, Model
from django.urls import NoReverseMatch, reverse

from pollinate.people.models import Person, Site, Topic


@dataclass(frozen=True)
class Target:
    """One request: a path on the server, a method and, for writes, form fields."""

    path: str
    method: str = "GET"
    data: dict[str, str] = field(default_factory=dict)
    # Pages answer 200; a form post answers with a redirect (303/302) or 200 for an htmx partial.
    ok_status: tuple[int, ...] = (200,)


@dataclass(frozen=True)
class Endpoint:
    name: str
    resolve: Callable[[Person], Target | None]
    description: str = ""


def _url(*names: str, args: list[Any] | None = None, query: dict[str, Any] | None = None) -> str:
    """The first of ``names`` that reverses; raises LookupError when none does (not landed yet)."""
    for name in names:
        try:
            path = reverse(name, args=args or [])
        except NoReverseMatch:
            continue
        return f"{path}?{urlencode(query)}" if query else path
    raise LookupError(f"none of the URL names {names} exist yet")


def _model(label: str) -> type[Model]:
    """``apps.get_model`` that raises LookupError while the app has no such model."""
    return apps.get_model(label)


def _representative(label: str, *, order: str = "pk", **filters: Any) -> Model:
    """A stable, typical row: the one in the middle by ``order`` (not the first, often special)."""
    model = _model(label)
    rows = model._default_manager.filter(**filters).order_by(order)
    count = rows.count()
    if count == 0:
        raise LookupError(f"no {label} rows in the benchmark organisation")
    return rows[count // 2]


def _other_site_person(bench: Person) -> Person:
    # Another site's member: the cross-site view is the one the product is about.
    person = (
        Person.objects.filter(user__is_active=True).exclude(site=bench.site).order_by("pk").first()
    )
    return person or bench


def _common_topic() -> Topic:
    topic = Topic.objects.annotate(n=Count("skills")).order_by("-n", "pk").first()
    if topic is None:
        raise LookupError("no topics")
    return topic


def _coach_suggestions(bench: Person) -> Target:
    """The bench member's own open coaching request, whose page lists the suggested coaches.

    Suggestions are shown only to the learner, on a request with no live match: the harness
    keeps one such request for the bench member (created once, on the most coached topic).
    """
    model = _model("coaching.CoachingRequest")
    request = (
        model._default_manager.filter(learner=bench, status="open")
        .exclude(matches__status__in=["proposed", "accepted"])
        .order_by("pk")
        .first()
    )
    if request is None:
        topic = (
            Topic.objects.annotate(n=Count("coaching_requests")).order_by("-n", "pk").first()
            or _common_topic()
        )
        request = model._default_manager.create(
            learner=bench,
            site=bench.site,
            topic=topic,
            goal="Run a changeover in under ten minutes",
            languages=list(bench.languages or ["en"]),
        )
    return Target(_url("coaching:request", args=[request.pk]))


def _search_terms() -> dict[str, str]:
    """Rare, common and multi-term queries from the generated data itself."""
    common = _common_topic().name.split()[0]
    rare_topic = Topic.objects.annotate(n=Count("skills")).order_by("n", "pk").first()
    rare = (rare_topic.name if rare_topic else common).split()[-1]
    second = Topic.objects.exclude(name__icontains=common).order_by("pk").first()
    multi = f"{common} {second.name.split()[0]}" if second else f"{common} {rare}"
    return {"rare": rare, "common": common, "multi": multi}


def _search(kind: str) -> Callable[[Person], Target]:
    def resolve(bench: Person) -> Target:
        query = {"q": _search_terms()[kind]}
        return Target(_url("search:search", "core:search", "practices:list", query=query))

    return resolve


# Drafts are visible to their authors only: the bench member loads what everyone can see.
_VISIBLE_PRACTICE: dict[str, Any] = {"status__in": ["shared", "verified"]}


def _practice_page(bench: Person) -> Target:
    practice = _representative("practices.Practice", **_VISIBLE_PRACTICE)
    return Target(practice.get_absolute_url())  # type: ignore[attr-defined]


def _question_page(bench: Person) -> Target:
    return Target(_representative("questions.Question").get_absolute_url())  # type: ignore[attr-defined]


def _comment_post(bench: Person) -> Target:
    practice = _representative("practices.Practice", **_VISIBLE_PRACTICE)
    path = _url("practices:comment_create", args=[practice.pk])
    body = "Tried this on the night shift: worked after we moved the gauge. (bench)"
    # Sent by several writers in turn (WRITERS): comments are rate-limited per person.
    return Target(path, method="POST", data={"body": body}, ok_status=(200, 302, 303))


ENDPOINTS: list[Endpoint] = [
    Endpoint("home", lambda bench: Target(_url("home")), "home feed of one's own site"),
    Endpoint("directory", lambda bench: Target(_url("people:directory")), "people directory"),
    Endpoint(
        "who_knows",
        lambda bench: Target(_url("people:directory", query={"topic": _common_topic().pk})),
        "directory filtered by the most common topic (who knows X)",
    ),
    Endpoint(
        "person",
        lambda bench: Target(_other_site_person(bench).get_absolute_url()),
        "a member's page at another site",
    ),
    Endpoint(
        "site",
        lambda bench: Target(_other_site_person(bench).site.get_absolute_url()),
        "another site's page",
    ),
    Endpoint("api_people", lambda bench: Target(_url("api:people_list")), "JSON people list"),
    # Capabilities that are landing; each is skipped until its model and URL exist.
    Endpoint("practice", _practice_page, "a practice page"),
    Endpoint("search_rare", _search("rare"), "search, a word that occurs rarely"),
    Endpoint("search_common", _search("common"), "search, the most common word"),
    Endpoint("search_multi", _search("multi"), "search, two words"),
    Endpoint("question", _question_page, "a question page"),
    Endpoint(
        "coaching_home",
        lambda bench: Target(_url("coaching:home")),
        "coaching home: one's requests, matches and offers",
    ),
    Endpoint(
        "coach_suggestions",
        _coach_suggestions,
        "coach suggestions: the bench member's open coaching request page",
    ),
    Endpoint(
        "dashboard",
        lambda bench: Target(_url("analytics:org", "analytics:dashboard")),
        "organisation dashboard",
    ),
    Endpoint("comment_post", _comment_post, "a write: post a comment on a practice"),
]

__all__ = ["ENDPOINTS", "Endpoint", "Site", "Target"]
