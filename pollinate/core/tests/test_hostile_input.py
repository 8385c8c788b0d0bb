"""Hostile input: XSS, CSV-formula and iCalendar-injection payloads in every field that holds user
text, rendered by every page, export, feed and email that shows it (issue 10, item 3).

A small organisation is generated through every app's ``demo.populate`` (so the rows, activities,
counters and search documents are the ones services write), then every user-text column listed in
``HOSTILE_FIELDS`` is overwritten with payloads from ``xss_corpus.txt``. A spider signs in as
several people, follows every same-site link from the home page and every page route the
authorization matrix knows, and judges each answer by its content type. A model column that is in
neither ``HOSTILE_FIELDS`` nor ``NOT_USER_TEXT`` fails ``test_every_text_column_is_either_fuzzed_or
_explained``, so new user text cannot escape this test by omission.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import Resolver404, resolve

from pollinate.activity.models import Activity
from pollinate.coaching.models import CoachingSession
from pollinate.core.tests.hostile import (
    HOSTILE_URLS,
    executable_markup,
    formula_cells,
    payloads,
)
from pollinate.core.tests.matrix import html_routes, route_url
from pollinate.core.tests.route_policies import ROUTES
from pollinate.notifications.models import Notification
from pollinate.people.management.commands.prepare_instance import DEMO_ADMIN, DEMO_MEMBER
from pollinate.people.models import Person
from pollinate.reflections.models import Reflection

# Every column that holds text a person wrote and some page, export or email shows.
HOSTILE_FIELDS: dict[str, tuple[str, ...]] = {
    "core.SearchDocument": ("text", "title"),
    "people.Site": ("name", "region"),
    "people.Topic": ("name", "description"),
    "people.Person": ("display_name", "job_title", "team", "bio"),
    "people.Invitation": ("display_name",),
    "people.ApiToken": ("name",),
    "practices.Tag": ("name",),
    "practices.Practice": (
        "title",
        "problem",
        "steps",
        "evidence",
        "metric_unit",
        "adaptation_note",
    ),
    "practices.PracticeImage": ("caption",),
    "practices.PracticeRevision": ("summary",),
    "practices.Adoption": ("reason", "outcome", "metric_unit"),
    "practices.Comment": ("body",),
    "coaching.CoachOffer": ("pitch",),
    "coaching.CoachingRequest": ("goal",),
    "coaching.Match": ("decline_reason",),
    "coaching.CoachingSession": ("where", "notes"),
    "coaching.Feedback": ("can_now_do", "helped_with"),
    "coaching.Certification": ("note",),
    "questions.Question": ("title", "body"),
    "questions.Answer": ("body",),
    "questions.Comment": ("body",),
    "questions.QuestionOffer": ("explanation",),
    "reflections.Reflection": (
        "team",
        "title",
        "planned",
        "happened",
        "why",
        "differently",
        "lesson",
    ),
    "notifications.Notification": ("text",),
    "chats.Chat": ("title", "description"),
    "chats.ChatPrompt": ("body",),
    "chats.ChatMessage": ("body",),
    "chats.ChatReaction": ("emoji",),
    "curation.Collection": ("title", "introduction"),
    "curation.Episode": ("title", "introduction"),
    "curation.Item": ("link_title", "link_source", "commentary"),
    "audit.AuditRecord": ("actor_label", "target_label", "user_agent"),
}
# Append-only tables refuse UPDATE (the audit log's triggers): ``_extras`` writes hostile rows
# through their service instead of overwriting.
APPEND_ONLY = {"audit.AuditRecord"}
# Links a person pastes, rendered as ``href``: every entry point must refuse ``HOSTILE_URLS``
# (``test_link_fields_refuse_script_urls_at_every_entry_point``).
HOSTILE_URL_FIELDS: dict[str, tuple[str, ...]] = {
    "practices.Practice": ("video_url",),
    "curation.Item": ("url",),
}
# Text columns that are not free text from a person, and why that is safe to leave out.
NOT_USER_TEXT: dict[str, str] = {
    "core.TaskRun.path": "a dotted task path written by task_enqueue",
    "core.TaskRun.last_error": "an exception text, shown only in the Django admin (escaped)",
    "core.SearchDocument.kind": "a model label written by the indexer",
    "people.User.password": "a password hash",
    "people.User.email": "checked by EmailValidator at every entry point",
    "people.Site.code": "a slug (SlugField, validated)",
    "people.Site.country": "an ISO 3166-1 code checked against pycountry",
    "people.Site.time_zone": "an IANA zone name checked against zoneinfo",
    "people.Topic.slug": "slugified from the name",
    "people.Person.time_zone": "an IANA zone name checked against zoneinfo",
    "people.Invitation.email": "checked by EmailValidator",
    "people.Invitation.token_hash": "a SHA-256 hex digest",
    "people.ApiToken.token_hash": "a SHA-256 hex digest",
    "activity.Activity.verb": "a registered verb name written by services",
    "activity.Activity.object_type": "a model label written by services",
    "practices.Tag.slug": "slugified from the name",
    "chats.ChatMessage.client_id": "an opaque de-duplication key, never rendered",
    "chats.ChatMessage.promoted_to": "a site path written by answer_promote",
    "chats.ChatMessage.collected_to": "a site path written when a host collects the answer",
    "notifications.Notification.url": "written by notifications_from_activity: site paths only",
    "digests.DigestSend.claim_token": "a random hex token",
    "digests.DigestSend.last_error": "an SMTP error text, shown only in the Django admin",
    "analytics.Tally.kind": "a fixed dimension name",
    "analytics.GroupSize.kind": "a fixed dimension name",
    "analytics.DurationBucket.kind": "a fixed dimension name",
    "analytics.WeeklyCount.kind": "a fixed dimension name",
    "analytics.AdoptionFact.status": "a copy of Adoption.status (choices)",
    "analytics.XapiStatement.last_error": "an HTTP error text, shown only in the Django admin",
    "audit.AuditRecord.target_type": "a model label written by audit_record",
    "audit.AuditRecord.target_id": "a primary key written by audit_record",
}
# Page routes a spider cannot reach by following links, with the reason.
NOT_CRAWLED: dict[str, str] = {
    "chats:feed": "a personal calendar-feed token, not a session (tested in chats)",
    "people:topic_short": "a 301 to people:topic",
    "people:password_reset_confirm": "needs a mailed token; shows no user text",
    "people:password_reset_done": "static text",
    "people:password_reset_complete": "static text",
    "people:sign_in": "only for anonymous visitors; static text",
    "api:openapi-view": "the API explorer renders no user text",
    "api:openapi-json": "JSON",
}
SKIP_PREFIXES = ("/static/", "/media/", "/admin/", "/api/", "/i18n/", "/sign-out/")
NOT_CRAWLED |= {
    "core:healthz": "JSON health status, no user text",
    "core:ping": "plain-text liveness answer",
    "people:password_reset": "a form with no user text",
}


def text_columns() -> Iterator[tuple[str, models.Field[Any, Any]]]:
    for model in apps.get_models():
        if not model.__module__.startswith("pollinate."):
            continue
        for column in model._meta.get_fields():
            free = isinstance(column, models.CharField | models.TextField) and not column.choices
            if free:
                yield model._meta.label, column  # type: ignore[misc]


def test_every_text_column_is_either_fuzzed_or_explained() -> None:
    listed = {
        f"{label}.{name}"
        for table in (HOSTILE_FIELDS, HOSTILE_URL_FIELDS)
        for label, names in table.items()
        for name in names
    }
    # ``<field>_html`` columns cache the rendered Markdown of a fuzzed field; ``_fill`` resets them.
    columns = {
        f"{label}.{column.name}"
        for label, column in text_columns()
        if not (
            column.name.endswith("_html")
            and column.name.removesuffix("_html") in HOSTILE_FIELDS.get(label, ())
        )
    }
    assert columns - listed - set(NOT_USER_TEXT) == set()
    assert (listed | set(NOT_USER_TEXT)) - columns == set(), "stale entries"


def test_the_corpus_holds_the_classic_payload_families() -> None:
    corpus = payloads()
    assert len(corpus) >= 50
    for family in ("<script", "onerror=", "javascript:", "data:text/html", "<svg", "<iframe"):
        assert any(family in p.lower() for p in corpus), family
    assert any("\r\n" in p for p in corpus), "an iCalendar line-injection payload"


def test_the_judge_spots_every_raw_payload() -> None:
    """The judge itself must be able to fail: unescaped, the markup payloads are all caught."""
    # These are not markup a browser runs as written; they test filters that rewrite text.
    inert = ("<!--", "<![CDATA[", "<javascript:", "<scr<", "<script\\x20")
    missed = [
        p
        for p in payloads()
        if p.lstrip().startswith("<") and not p.startswith(inert) and not executable_markup(p)
    ]
    assert missed == []
    assert (
        executable_markup('<a href="/practices/1/">ok</a><script src="/static/a.js"></script>')
        == []
    )
    assert formula_cells('name,count\r\n"=HYPERLINK(""x"")",3\r\n-4,5\r\n') == ['=HYPERLINK("x")']


# ---------------------------------------------------------------------------------------------
# The hostile organisation


def _fill(corpus: list[str]) -> Counter[str]:
    """Overwrites every listed column of every row with payloads; returns rows touched per model."""
    touched: Counter[str] = Counter()
    # Short fields start at the spreadsheet-formula payloads: tables with two rows (sites) still
    # get one in a CSV export, and the next row gets the first markup payload.
    first = next(i for i, p in enumerate(corpus) if p.startswith("="))
    for label, names in HOSTILE_FIELDS.items():
        if label in APPEND_ONLY:
            continue
        model = apps.get_model(label)
        cached = [f"{n}_html" for n in names if hasattr(model, f"{n}_html")]
        rows = list(model._default_manager.order_by("pk"))
        for index, row in enumerate(rows):
            for offset, name in enumerate(names):
                column = model._meta.get_field(name)
                limit = column.max_length or 100_000
                if isinstance(column, models.TextField):
                    # Markdown fields get the whole corpus, rotated so truncation drops a different
                    # tail on each row; paragraphs keep one payload from swallowing the next.
                    start = (index * 7 + offset) % len(corpus)
                    value = "\n\n".join(corpus[start:] + corpus[:start])[:limit]
                else:
                    # Short fields get one payload each, numbered at the end (a payload's first
                    # character matters: "=" starts a spreadsheet formula) so names stay unique.
                    suffix = f" {index}"
                    payload = corpus[(first + index * 5 + offset) % len(corpus)]
                    value = payload[: limit - len(suffix)] + suffix
                setattr(row, name, value)
            for name in cached:  # NULL: "not rendered yet", so pages render the payload
                setattr(row, name, None)
            touched[label] += 1
        if rows:
            model._default_manager.bulk_update(rows, [*names, *cached], batch_size=200)
    # Activities copy titles and excerpts into their payload; history is append-only, so this
    # test rewrites it behind the model's back, as only a hostile database could.
    for activity in Activity.objects.all():
        payload = activity.payload if isinstance(activity.payload, dict) else {}
        hostile = {
            key: corpus[activity.pk % len(corpus)] if isinstance(v, str) and key != "url" else v
            for key, v in payload.items()
        }
        if hostile != payload:
            models.QuerySet(Activity).filter(pk=activity.pk).update(payload=hostile)
            touched["activity.Activity"] += 1
    return touched


@pytest.fixture
def hostile_org(db: None, settings: Any) -> Counter[str]:
    # Analytics withholds small groups; with one-person groups allowed, names reach tables and CSV.
    settings.PRIVACY_MIN_GROUP = 1
    settings.ANALYTICS_CACHE_SECONDS = 0
    call_command("generate_org", verbosity=0, sites=2, members=30, seed=3, demo=True)
    _extras()
    return _fill(payloads())


def _extras() -> None:
    """Rows the demo data does not make: a tag, a photo caption, a certification, notifications."""
    from pollinate.coaching.models import Certification
    from pollinate.practices.models import Practice, PracticeImage
    from pollinate.practices.tests.factories import TagFactory

    admin = Person.objects.get(user__email=DEMO_ADMIN)
    member = Person.objects.get(user__email=DEMO_MEMBER)
    practice = Practice.objects.filter(status="shared").order_by("pk").first()
    assert practice is not None
    tag = TagFactory()
    practice.tags.add(tag)
    PracticeImage.objects.create(practice=practice, image="practices/x.jpg", uploaded_by=admin)
    Certification.objects.create(coach=member, topic=_topic(), signed_by=admin, note="x")
    for person in (admin, member):
        Notification.objects.create(recipient=person, kind="mention", text="x", url="/")
    _audit_records(admin, practice)


def _audit_records(admin: Person, practice: Any) -> None:
    """Failed sign-ins carry what an attacker sends: the address typed and the user agent."""
    from django.test import RequestFactory

    from pollinate.audit.models import AuditAction
    from pollinate.audit.services import audit_record

    for index, payload in enumerate(payloads()):
        request = RequestFactory().post("/sign-in/", HTTP_USER_AGENT=payload[:255])
        audit_record(
            action=AuditAction.SIGNIN_FAILED if index % 2 else AuditAction.INVITATION_SENT,
            request=request,
            actor_person=admin if index % 2 == 0 else None,
            label=payload[:300],
            target=practice,
            target_label=payload[:200],
        )


def _topic() -> Any:
    from pollinate.people.models import Topic

    return Topic.objects.order_by("pk").first()


# ---------------------------------------------------------------------------------------------
# The spider


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href)


@dataclass
class Crawl:
    visited: dict[str, int] = field(default_factory=dict)  # url -> status
    routes: Counter[str] = field(default_factory=Counter)
    findings: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    carried: Counter[str] = field(default_factory=Counter)  # answers showing a payload, by type


def _route_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


MARKERS = ("alert(1)", "HYPERLINK", "cmd|", "injected")


def judge(url: str, response: Any, carried: Counter[str]) -> list[str]:
    """What in one answer could run script, evaluate a formula or forge a calendar event."""
    kind = response.get("Content-Type", "").split(";")[0]
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    body = raw.decode("utf-8", errors="replace")
    if any(marker in body for marker in MARKERS):
        carried[kind] += 1
    if kind in ("text/html", "image/svg+xml"):
        found = executable_markup(body)
    elif kind == "text/csv":
        found = formula_cells(body)
    elif kind == "text/calendar":
        unfolded = re.sub(r"\r\n[ \t]", "", body)
        found = [line for line in unfolded.splitlines() if line.startswith("SUMMARY:injected")]
    elif kind in ("application/rss+xml", "application/atom+xml"):
        found = [f for html in _feed_html(raw) for f in executable_markup(html)]
    else:
        found = []
    return [f"{url} [{kind}]: {finding}" for finding in found]


def _feed_html(document: bytes) -> Iterator[str]:
    """The parts of an RSS or Atom document that readers render as HTML (titles are plain text)."""
    root = ET.fromstring(document)  # noqa: S314 -- our own feed, just produced by the view
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        html = tag == "description" or element.get("type") in ("html", "xhtml")
        if html and element.text:
            yield element.text


def crawl(
    client: Client, seeds: list[str], crawl_: Crawl, *, per_route: int = 2, follow: bool = True
) -> None:
    """Breadth-first from the seeds over same-site links, at most ``per_route`` URLs a route."""
    queue = list(seeds)
    seen_here: set[str] = set()
    per: Counter[str] = Counter()
    while queue:
        url = queue.pop(0)
        path = urlsplit(url).path
        name = _route_name(path)
        if url in seen_here or name is None or path.startswith(SKIP_PREFIXES):
            continue
        # Every table of a dashboard has its own CSV: take them all, they carry names.
        if per[name] >= (per_route * 10 if name.endswith("_csv") else per_route):
            continue
        seen_here.add(url)
        per[name] += 1
        response = client.get(url)
        crawl_.visited[url] = response.status_code
        if response.get("Content-Type", "").startswith("text/event-stream"):
            response.close()  # the chat's live events: JSON, never parsed as HTML
            continue
        assert response.status_code < 500, url
        if response.status_code != 200:
            continue
        crawl_.routes[name] += 1
        crawl_.kinds[response.get("Content-Type", "").split(";")[0]] += 1
        crawl_.findings += judge(url, response, crawl_.carried)
        html = response.get("Content-Type", "").startswith("text/html")
        if follow and html and not response.streaming:
            links = _Links()
            links.feed(response.content.decode())
            for href in links.links:
                target = urljoin(url, href)
                if target.startswith("/") and not target.startswith("//"):
                    queue.append(target.split("#")[0])


def _people_to_crawl_as() -> list[Person]:
    """The demo administrator and member, and the owners of private things nobody else sees."""
    people = [
        Person.objects.get(user__email=DEMO_ADMIN),
        Person.objects.get(user__email=DEMO_MEMBER),
    ]
    reflection = Reflection.objects.filter(visibility="private").order_by("pk").first()
    session = CoachingSession.objects.select_related("match__request").order_by("pk").first()
    if reflection is not None:
        people.append(reflection.author)
    if session is not None:
        people += [session.match.request.learner, session.match.coach]
    return people


def _values() -> dict[str, Any]:
    """URL parameter values pointing at the hostile organisation's rows, like the matrix's."""
    from pollinate.chats.models import Chat, ChatMessage
    from pollinate.coaching.models import CoachingRequest, Match
    from pollinate.curation.models import Collection, Item
    from pollinate.people.models import Site, Topic
    from pollinate.practices.models import Comment, Practice, PracticeImage, Tag
    from pollinate.questions.models import Answer, Question

    def first(model: Any, **filters: Any) -> Any:
        row = model._default_manager.filter(**filters).order_by("pk").first()
        return row.pk if row is not None else 0

    message = ChatMessage.objects.order_by("pk").first()
    certified = CoachingSession.objects.select_related("match").order_by("pk").first()
    return {
        "practice_id": first(Practice, status="shared"),
        "shared_practice_id": first(Practice, status="shared"),
        "image_id": first(PracticeImage),
        "comment_id": first(Comment),
        "question_id": first(Question),
        "answer_id": first(Answer),
        "reflection_id": first(Reflection, visibility="private"),
        "chat_id": message.chat_id if message else first(Chat),
        "seq": message.seq if message else 1,
        "number": 1,
        "fmt": "html",
        "collection_id": first(Collection),
        "item_id": first(Item),
        "request_id": first(CoachingRequest),
        "match_id": first(Match),
        "session_id": first(CoachingSession),
        "person_id": certified.match.coach_id if certified else first(Person),
        "notification_id": first(Notification),
        "topic_id": first(Topic),
        "slug": Tag.objects.order_by("pk").values_list("slug", flat=True).first(),
        "code": Site.objects.order_by("pk").values_list("code", flat=True).first(),
        "key": "sites",
        "kind": "helpful",
        "object_id": str(first(Topic)),
        "action": "retire",
        "token": "not-a-real-token",
        "uidb64": "MQ",
        "app_label": "people",
        "content_type_id": "1",
    }


@pytest.mark.django_db
def test_no_payload_survives_on_any_page_export_or_feed(hostile_org: Counter[str]) -> None:
    for label in HOSTILE_FIELDS:
        if label not in (
            "people.Invitation",
            "people.ApiToken",
            *APPEND_ONLY,
        ):  # nobody renders these in bulk
            assert hostile_org[label] > 0, f"no {label} row carries a payload"
    result = Crawl()
    # Searching for a payload both reflects the query and lists matching snippets.
    query = quote('"><script>alert(1)</script>')
    lists = ("practices", "questions", "reflections", "people", "curation")
    seeds = ["/", "/coaching/", *(f"/{name}/?q={query}" for name in lists)]
    clients = []
    for person in _people_to_crawl_as():
        client = Client()
        client.force_login(person.user, backend="pollinate.people.backends.MemberBackend")
        clients.append(client)
        crawl(client, seeds, result)

    # Every page route the authorization matrix lets someone GET is rendered with payloads in it:
    # the ones no link led to are built from the organisation's rows, as the matrix builds them.
    pages = {r.key: r for r in html_routes() if r.key in ROUTES and ROUTES[r.key].get}
    values = _values()
    for key in sorted(set(pages) - set(result.routes) - set(NOT_CRAWLED)):
        url = route_url(pages[key], values, ROUTES[key].params)
        for client in clients:
            crawl(client, [url], result, follow=False)

    assert result.findings == [], "\n".join(sorted(set(result.findings)))
    missing = sorted(set(pages) - set(result.routes) - set(NOT_CRAWLED))
    assert missing == [], " ".join(missing)
    assert sum(result.routes.values()) > 100
    # Payloads reached every kind of output (so the judges above had something to judge).
    for kind in ("text/html", "text/csv", "text/calendar", "application/rss+xml"):
        assert result.carried[kind] > 0, (kind, result.carried)
    print(f"hostile crawl: {sum(result.routes.values())} answers, {len(result.routes)} routes")

    # The digest email's HTML part, for everyone who gets one (the web page was crawled above).
    from pollinate.digests.services import digest_message, digest_preview

    emails = 0
    for person in Person.objects.select_related("user", "site"):
        digest = digest_preview(person=person)
        if not digest.sections:
            continue
        message = digest_message(digest)
        html = next(body for body, kind in message.alternatives if kind == "text/html")
        assert executable_markup(str(html)) == [], person
        emails += 1
    assert emails > 0


# ---------------------------------------------------------------------------------------------
# Links a person pastes


def _bearer(person: Person) -> dict[str, str]:
    from pollinate.people.services import api_token_create

    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(person=person, name='hostile')}"}


@pytest.mark.django_db
def test_link_fields_refuse_script_urls_at_every_entry_point(charlie: Person) -> None:
    """``href`` values come from these columns, so no entry point may store a script URL."""
    from pollinate.curation.services import link_validate
    from pollinate.practices.forms import PracticeForm
    from pollinate.practices.models import Practice
    from pollinate.practices.tests.factories import PracticeFactory

    auth = _bearer(charlie)
    practice = PracticeFactory(owner=charlie)
    client = Client()
    for url in HOSTILE_URLS:
        created = client.post(
            "/api/practices/practices",
            {"title": "Video", "video_url": url},
            content_type="application/json",
            **auth,
        )
        assert created.status_code == 422, (url, created.content)
        changed = client.patch(
            f"/api/practices/practices/{practice.pk}",
            {"version": practice.version, "video_url": url},
            content_type="application/json",
            **auth,
        )
        assert changed.status_code == 422, (url, changed.content)
        form = PracticeForm(data={"title": "Video", "video_url": url})
        assert not form.is_valid() and "video_url" in form.errors, url
        with pytest.raises(ValidationError):
            link_validate(url)
    assert not Practice.objects.exclude(video_url="").exists()
    good = "https://video.example/watch?v=1"
    ok = client.post(
        "/api/practices/practices",
        {"title": "Video", "video_url": good},
        content_type="application/json",
        **auth,
    )
    assert ok.status_code == 201 and ok.json()["video_url"] == good
