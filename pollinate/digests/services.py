"""Building and sending personal digests.

Each member's digest covers their own local day or week and goes out at ``DIGESTS_SEND_HOUR`` in
their time zone (``RunPlan``). A run reads what happened in each distinct period once
(``window_build``), walks due members in primary-key chunks so memory stays bounded, composes each
digest from their follows and skills, and sends them over a few SMTP connections.

Exactly-once per (person, frequency, period) rests on ``DigestSend``'s unique constraint: a row is
claimed (inserted with this run's token) before its message is rendered, marked ``sending`` in the
transaction just before the message is handed to the mail server, and ``sent`` once the server
accepted it. A rerun skips settled rows; rows left ``claimed`` by a run that died are taken over
once their lease (``DIGESTS_CLAIM_LEASE_SECONDS``) expires; ``failed`` rows are retried by the next
attempt; ``sending`` rows are never re-sent automatically (an administrator decides), so a crash
cannot cause a duplicate. The Message-ID is stable per person and period.
"""

from __future__ import annotations

import logging
import quopri
import smtplib
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from email.header import Header
from email.utils import formatdate
from functools import lru_cache
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.mail.message import sanitize_address
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Mod
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext as _

from pollinate.digests.models import (
    DigestKind,
    DigestPreference,
    DigestSend,
    Frequency,
    SendStatus,
)
from pollinate.people.models import Person, Site, Skill

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "pollinate.digests.unsubscribe"
SECTION_LIMIT = 5


class DigestDeliveryError(Exception):
    """Some digests of a run were refused by the mail server; the task retries them."""


# ---------------------------------------------------------------------------------------------
# Periods


@lru_cache(maxsize=1024)
def zone_get(name: str) -> tzinfo:
    """A member's time zone; an empty or unknown name (old rows, removed zones) means UTC."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _midnight(day: date, zone: tzinfo) -> datetime:
    # Local midnight in UTC. A zone whose DST shift skips midnight gets the pre-shift offset
    # (zoneinfo's fold=0): deterministic, so the period key stays the same on every run.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _period_of(frequency: str, day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The local period ending as ``day`` starts: the day before, or the week before Monday."""
    if frequency == Frequency.DAILY:
        return _midnight(day - timedelta(days=1), zone), _midnight(day, zone)
    monday = day - timedelta(days=day.weekday())
    return _midnight(monday - timedelta(days=7), zone), _midnight(monday, zone)


def period_bounds(
    frequency: str, now: datetime | None = None, zone: tzinfo = UTC
) -> tuple[datetime, datetime]:
    """The last complete local period before ``now`` in ``zone`` (yesterday, or last week from
    Monday to Monday), as UTC instants. Across a DST change a day lasts 23 or 25 hours."""
    local = (now or timezone.now()).astimezone(zone)
    return _period_of(frequency, local.date(), zone)


def period_due(
    frequency: str, now: datetime, zone: tzinfo, *, hour: int | None = None
) -> tuple[datetime, datetime, datetime]:
    """The latest period whose digest fell due by ``now`` (at ``hour`` local time, default
    ``DIGESTS_SEND_HOUR``, on the day after a daily period or the Monday after a weekly one):
    ``(start, end, due_at)`` in UTC."""
    hour = settings.DIGESTS_SEND_HOUR if hour is None else hour
    # Wall-clock arithmetic on purpose: "07:00 local" stays 07:00 on both sides of a DST change.
    local = now.astimezone(zone).replace(tzinfo=None) - timedelta(hours=hour)
    start, end = _period_of(frequency, local.date(), zone)
    local_end = end.astimezone(zone).date()
    due_at = datetime.combine(local_end, time(hour), tzinfo=zone).astimezone(UTC)
    return start, end, due_at


def _instant(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if timezone.is_naive(parsed) else parsed


@dataclass
class RunPlan:
    """Which period each time zone is due for in one run, fixed when the run is enqueued.

    Either the periods due at ``as_of`` (the hourly job: only zones whose send hour passed within
    ``DIGESTS_CATCH_UP_HOURS``), or one named local period for everybody (``period_start``: its
    local date, snapped to Monday for weekly digests), for catching up by hand and for tests.
    """

    frequency: str
    as_of: datetime
    period_day: date | None = None

    @classmethod
    def build(
        cls, frequency: str, *, as_of: str | datetime | None, period_start: str | datetime | None
    ) -> RunPlan:
        named = _instant(period_start)
        day = None
        if named is not None:
            day = named.date()
            if frequency == Frequency.WEEKLY:
                day -= timedelta(days=day.weekday())
        return cls(frequency=frequency, as_of=_instant(as_of) or timezone.now(), period_day=day)

    def bounds(self, zone_name: str) -> tuple[datetime, datetime] | None:
        zone = zone_get(zone_name)
        if self.period_day is not None:
            length = timedelta(days=1 if self.frequency == Frequency.DAILY else 7)
            return _midnight(self.period_day, zone), _midnight(self.period_day + length, zone)
        start, end, due_at = period_due(self.frequency, self.as_of, zone)
        if self.as_of - due_at >= timedelta(hours=settings.DIGESTS_CATCH_UP_HOURS):
            return None
        return start, end


# ---------------------------------------------------------------------------------------------
# What happened in the period, read once per run


@dataclass(frozen=True)
class Entry:
    title: str
    url: str
    detail: str = ""


@dataclass
class _Practice:
    entry: Entry
    site_id: int
    topic_ids: frozenset[int]
    score: int


@dataclass
class _Adoption:
    entry: Entry
    practice_site_id: int
    site_id: int
    site_country: str
    site_region: str


@dataclass
class _Topical:
    entry: Entry
    topic_ids: frozenset[int]
    site_id: int
    author_id: int | None = None
    site_only: bool = False


@dataclass
class Window:
    start: datetime
    end: datetime
    practices: list[_Practice] = field(default_factory=list)
    adoptions: list[_Adoption] = field(default_factory=list)
    questions: list[_Topical] = field(default_factory=list)
    chats: list[_Topical] = field(default_factory=list)
    episodes: dict[int, list[Entry]] = field(default_factory=dict)
    help: dict[int, list[Entry]] = field(default_factory=dict)
    # Lookups built once per window so composing one member's digest touches only what they
    # follow, not every practice and question of the period (see ``window_index``).
    practices_by_topic: dict[int, list[int]] = field(default_factory=dict)
    practices_by_site: dict[int, list[int]] = field(default_factory=dict)
    questions_by_topic: dict[int, list[int]] = field(default_factory=dict)
    adoptions_by_site: dict[int, list[Entry]] = field(default_factory=dict)


def window_index(window: Window) -> Window:
    """Fills the window's lookups: positions of practices and questions per topic and site."""
    for position, practice in enumerate(window.practices):
        for topic_id in practice.topic_ids:
            window.practices_by_topic.setdefault(topic_id, []).append(position)
        window.practices_by_site.setdefault(practice.site_id, []).append(position)
    for position, question in enumerate(window.questions):
        for topic_id in question.topic_ids:
            window.questions_by_topic.setdefault(topic_id, []).append(position)
    return window


def _adoptions_for(window: Window, site: Site) -> list[Entry]:
    """Adoptions at other sites of my site's practices, or in my region or country (per site)."""
    cached = window.adoptions_by_site.get(site.pk)
    if cached is None:
        cached = window.adoptions_by_site[site.pk] = [
            a.entry
            for a in window.adoptions
            if a.site_id != site.pk
            and (
                a.practice_site_id == site.pk
                or (site.region and a.site_region == site.region)
                or a.site_country == site.country
            )
        ]
    return cached


def _model(app_label: str, name: str) -> Any:
    try:
        return apps.get_model(app_label, name)
    except LookupError:  # the app has not shipped that model yet: its section stays empty
        return None


def _url(obj: Any) -> str:
    try:
        return settings.SITE_URL + obj.get_absolute_url()
    except Exception:
        return settings.SITE_URL + "/"


def _topic_map(through: Any, fk: str, ids: Iterable[int]) -> dict[int, set[int]]:
    result: dict[int, set[int]] = defaultdict(set)
    ids = list(ids)
    for start in range(0, len(ids), 500):
        for owner_id, topic_id in through.objects.filter(
            **{f"{fk}__in": ids[start : start + 500]}
        ).values_list(fk, "topic_id"):
            result[owner_id].add(topic_id)
    return result


def window_build(start: datetime, end: datetime, *, cap: int = 2000) -> Window:
    """Reads the period's new practices, adoptions, questions, chats, episodes and help given."""
    window = Window(start=start, end=end)
    in_period = {"created_at__gte": start, "created_at__lt": end}

    Practice = _model("practices", "Practice")
    Adoption = _model("practices", "Adoption")
    if Practice is not None:
        new_rows = list(
            Practice.objects.filter(
                shared_at__gte=start, shared_at__lt=end, status__in=("shared", "verified")
            ).order_by("-shared_at")[:cap]
        )
        # Rising: older practices that other sites took up during the period.
        rising: dict[int, int] = defaultdict(int)
        if Adoption is not None:
            for practice_id in Adoption.objects.filter(
                created_at__gte=start, created_at__lt=end
            ).values_list("practice_id", flat=True)[: cap * 5]:
                rising[practice_id] += 1
        new_ids = {p.pk for p in new_rows}
        rising_rows = list(
            Practice.objects.filter(
                pk__in=[pid for pid in rising if pid not in new_ids],
                status__in=("shared", "verified"),
            )[:cap]
        )
        rows = new_rows + rising_rows
        topics = _topic_map(Practice.topics.through, "practice_id", [p.pk for p in rows])
        for p in rows:
            count = rising[p.pk]
            if p.pk in new_ids:
                detail = _("new") if not count else _("new, adopted at %(n)d sites") % {"n": count}
            else:
                detail = _("rising: adopted at %(n)d sites this period") % {"n": count}
            window.practices.append(
                _Practice(
                    entry=Entry(p.title, _url(p), detail),
                    site_id=p.site_id,
                    topic_ids=frozenset(topics[p.pk]),
                    score=count,
                )
            )
        window.practices.sort(key=lambda item: -item.score)
    if Adoption is not None:
        for a in (
            Adoption.objects.filter(updated_at__gte=start, updated_at__lt=end)
            .exclude(status="dropped")
            .select_related("practice", "site")
            .order_by("-updated_at")[:cap]
        ):
            window.adoptions.append(
                _Adoption(
                    entry=Entry(
                        a.practice.title,
                        _url(a.practice),
                        f"{a.site.name}: {a.get_status_display()}",
                    ),
                    practice_site_id=a.practice.site_id,
                    site_id=a.site_id,
                    site_country=a.site.country,
                    site_region=a.site.region,
                )
            )

    Question = _model("questions", "Question")
    if Question is not None:
        rows = list(
            Question.objects.filter(**in_period, status="open", accepted_answer__isnull=True)
            .select_related("site")
            .order_by("answer_count", "-created_at")[:cap]
        )
        topics = _topic_map(Question.topics.through, "question_id", [q.pk for q in rows])
        for q in rows:
            window.questions.append(
                _Topical(
                    entry=Entry(q.title, _url(q), q.site.name),
                    topic_ids=frozenset(topics[q.pk]),
                    site_id=q.site_id,
                    author_id=q.author_id,
                )
            )
        Answer = _model("questions", "Answer")
        Activity = _model("activity", "Activity")
        if Answer is not None and Activity is not None:
            accepted = Activity.objects.filter(
                verb="answer.accepted", created_at__gte=start, created_at__lt=end
            ).values_list("object_id", flat=True)[:cap]
            for answer in Answer.objects.filter(pk__in=list(accepted)).select_related("question"):
                window.help.setdefault(answer.author_id, []).append(
                    Entry(answer.question.title, _url(answer.question), _("answer accepted"))
                )

    Chat = _model("chats", "Chat")
    if Chat is not None:
        now = timezone.now()
        rows = list(
            Chat.objects.filter(starts_at__gte=now, starts_at__lt=now + timedelta(days=14))
            # Site-only chats go to that site's people; invitation-only ones are never listed.
            .filter(visibility__in=("organisation", "site"))
            .order_by("starts_at")[:cap]
        )
        topics = _topic_map(Chat.topics.through, "chat_id", [c.pk for c in rows])
        for c in rows:
            when = timezone.localtime(c.starts_at).strftime("%Y-%m-%d %H:%M %Z")
            window.chats.append(
                _Topical(
                    entry=Entry(c.title, _url(c), when),
                    topic_ids=frozenset(topics[c.pk]),
                    site_id=c.site_id,
                    site_only=c.visibility == "site",
                )
            )

    from pollinate.curation.models import Episode

    for episode in Episode.objects.filter(
        publish_at__gte=start, publish_at__lt=end, collection__publish_at__lte=end
    ).select_related("collection")[:cap]:
        window.episodes.setdefault(episode.collection_id, []).append(
            Entry(
                f"{episode.collection.title}: {episode.title}",
                settings.SITE_URL + episode.get_absolute_url(),
                _("episode %(n)d") % {"n": episode.number},
            )
        )
    return window_index(window)


# ---------------------------------------------------------------------------------------------
# One person's digest


@dataclass
class Section:
    kind: str
    heading: str
    entries: list[Entry]


@dataclass
class Digest:
    person: Person
    frequency: str
    start: datetime
    end: datetime
    sections: list[Section]

    @property
    def item_count(self) -> int:
        return sum(len(section.entries) for section in self.sections)


@dataclass
class _Interests:
    topics: set[int] = field(default_factory=set)
    skills: set[int] = field(default_factory=set)
    sites: set[int] = field(default_factory=set)
    practices: set[int] = field(default_factory=set)
    collections: set[int] = field(default_factory=set)


def interests_for(person_ids: list[int]) -> dict[int, _Interests]:
    """Follows and skills of a chunk of people, in four queries."""
    result: dict[int, _Interests] = defaultdict(_Interests)
    Follow = _model("practices", "Follow")
    if Follow is not None:
        for pid, topic_id, site_id, practice_id in Follow.objects.filter(
            person_id__in=person_ids
        ).values_list("person_id", "topic_id", "site_id", "practice_id"):
            interests = result[pid]
            if topic_id:
                interests.topics.add(topic_id)
            if site_id:
                interests.sites.add(site_id)
            if practice_id:
                interests.practices.add(practice_id)
    for pid, topic_id in Skill.objects.filter(person_id__in=person_ids).values_list(
        "person_id", "topic_id"
    ):
        result[pid].skills.add(topic_id)
    from pollinate.curation.models import CollectionFollow

    for pid, collection_id in CollectionFollow.objects.filter(person_id__in=person_ids).values_list(
        "person_id", "collection_id"
    ):
        result[pid].collections.add(collection_id)
    return result


def digest_compose(
    *,
    person: Person,
    frequency: str,
    window: Window,
    interests: _Interests,
    muted: Iterable[str] = (),
) -> Digest:
    """Picks the entries of each section for one person; pure, no queries."""
    site = person.site
    muted = set(muted)
    sections: list[Section] = []

    def add(kind: str, entries: list[Entry]) -> None:
        if kind not in muted and entries:
            sections.append(Section(kind, str(DigestKind(kind).label), entries[:SECTION_LIMIT]))

    followed_topics = interests.topics
    positions: set[int] = set()
    for topic_id in followed_topics:
        positions.update(window.practices_by_topic.get(topic_id, ()))
    for site_id in interests.sites:
        positions.update(window.practices_by_site.get(site_id, ()))
    practices = [window.practices[i] for i in sorted(positions)]
    # Ideas travel horizontally: other sites' practices first (stable: the window's ranking next).
    practices.sort(key=lambda p: (p.site_id == site.pk, -p.score))
    add(DigestKind.PRACTICES, [p.entry for p in practices])
    add(DigestKind.ADOPTIONS, _adoptions_for(window, site))
    answerable = followed_topics | interests.skills
    positions = set()
    for topic_id in answerable:
        positions.update(window.questions_by_topic.get(topic_id, ()))
    add(
        DigestKind.QUESTIONS,
        [
            window.questions[i].entry
            for i in sorted(positions)
            if window.questions[i].author_id != person.pk
        ],
    )
    add(
        DigestKind.CHATS,
        [
            c.entry
            for c in window.chats
            if (c.topic_ids & answerable or c.site_id == site.pk)
            and (not c.site_only or c.site_id == site.pk)
        ],
    )
    add(
        DigestKind.EPISODES,
        [e for cid in sorted(interests.collections) for e in window.episodes.get(cid, [])],
    )
    add(DigestKind.HELP, window.help.get(person.pk, []))
    return Digest(person, frequency, window.start, window.end, sections)


# ---------------------------------------------------------------------------------------------
# Unsubscribe tokens and the email


def unsubscribe_token(person_id: int, kind: str = "all") -> str:
    # Not compressed: the payload is tiny, zlib only costs time (loads() reads both forms).
    return signing.dumps({"p": person_id, "k": kind}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token_read(token: str) -> tuple[int, str]:
    """The person and section a token unsubscribes; ``BadSignature`` when invalid or expired."""
    max_age = timedelta(days=settings.DIGESTS_UNSUBSCRIBE_MAX_AGE_DAYS)
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=max_age)
    kind = str(data.get("k", "all"))
    if kind != "all" and kind not in DigestKind.values:
        raise signing.BadSignature("unknown section")
    return int(data["p"]), kind


# Rendering. A run sends thousands of near-identical emails, so the templates are rendered once per
# language and period (the "shell") and once per distinct section content, with markers where the
# person-specific parts go; each message is then a few string replacements. The markers are
# private-use characters: escaping leaves them alone and no real text contains them.
_NAME = "\ue000name\ue000"
_SECTIONS = "\ue000sections\ue000"
_UNSUBSCRIBE = "\ue000unsubscribe\ue000"
_STOP = "\ue000stop\ue000"

# Rendered pieces by language: a section's frame per kind and one line per entry (a practice is
# rendered once per language however many digests list it). Bounded; cleared when full.
_ENTRIES = "\ue000entries\ue000"
_pieces: dict[tuple[str, str, Any], tuple[str, str]] = {}
_PIECES_MAX = 20_000


def _piece(language: str, name: str, key: Any, context: dict[str, Any]) -> tuple[str, str]:
    cache_key = (language, name, key)
    cached = _pieces.get(cache_key)
    if cached is None:
        with translation.override(language):
            cached = (
                render_to_string(f"digests/_partials/{name}.html", context),
                render_to_string(f"digests/_partials/{name}.txt", context),
            )
        if len(_pieces) >= _PIECES_MAX:
            _pieces.clear()
        _pieces[cache_key] = cached
    return cached


def _section_fragments(language: str, section: Section) -> tuple[str, str]:
    """The section's HTML and text, with the ``_STOP`` marker for its unsubscribe link."""
    frame_html, frame_text = _piece(
        language,
        "email_section",
        section.kind,
        # The heading is translated here, in the member's language, not when composing.
        {"heading": DigestKind(section.kind).label, "stop_url": _STOP, "entries": _ENTRIES},
    )
    entries = [_piece(language, "email_entry", e, {"entry": e}) for e in section.entries]
    return (
        frame_html.replace(_ENTRIES, "".join(html for html, _text in entries)),
        frame_text.replace(_ENTRIES, "".join(text for _html, text in entries)),
    )


@dataclass(frozen=True)
class _Shell:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=512)
def _shell(language: str, frequency: str, start: datetime, end: datetime, zone_name: str) -> _Shell:
    """The email around the sections for one language and local period, with markers."""
    zone = zone_get(zone_name)
    with translation.override(language):
        context = {
            "language": language,
            "display_name": _NAME,
            # The period as the member lives it: their local dates.
            "start_label": date_format(start.astimezone(zone), "j M"),
            "end_label": date_format(end.astimezone(zone) - timedelta(seconds=1), "j M Y"),
            "unsubscribe_url": _UNSUBSCRIBE,
            "preferences_url": settings.SITE_URL + _home_path(),
            "sections": _SECTIONS,
        }
        subject = (
            _("Your daily Pollinate digest")
            if frequency == Frequency.DAILY
            else _("Your weekly Pollinate digest")
        )
        return _Shell(
            subject=str(subject),
            text=render_to_string("digests/email.txt", context),
            html=render_to_string("digests/email.html", context),
        )


def _unsubscribe_url(token: str) -> str:
    # reverse() once; the token is URL-safe base64 plus ":".
    return settings.SITE_URL + _unsubscribe_path().replace("TOKEN", token)


@lru_cache(maxsize=1)
def _unsubscribe_path() -> str:
    return reverse("digests:unsubscribe", args=["TOKEN"])


@lru_cache(maxsize=1)
def _home_path() -> str:
    return reverse("digests:home")


@lru_cache(maxsize=1)
def _message_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"


class _Mime:
    """A finished MIME message as bytes, standing in for the ``email.message.Message`` that
    Django's mail backends ask ``EmailMessage.message()`` for (they only serialise it)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return self.data if linesep == "\r\n" else self.data.replace(b"\r\n", linesep.encode())

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(linesep=linesep).decode("utf-8")

    def get_charset(self) -> None:
        return None


@lru_cache(maxsize=64)
def _encoded_header(value: str) -> str:
    return value if value.isascii() else Header(value, "utf-8").encode()


@lru_cache(maxsize=1)
def _from_header() -> str:
    return sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8")


def _mime_part(content_type: str, text: str) -> bytes:
    # 8bit like Django's own messages; quoted-printable when a line is too long for SMTP.
    data = text.replace("\r\n", "\n").encode("utf-8")
    if max((len(line) for line in data.split(b"\n")), default=0) <= 990:
        encoding, payload = "8bit", data
    else:
        encoding, payload = "quoted-printable", quopri.encodestring(data)
    head = (
        f'Content-Type: {content_type}; charset="utf-8"\nContent-Transfer-Encoding: {encoding}\n\n'
    )
    return (head.encode("ascii") + payload).replace(b"\n", b"\r\n")


class _DigestEmail(EmailMultiAlternatives):
    """A digest email whose MIME form is written directly: Python's general-purpose generator
    (header folding, charset lookups) cost more than everything else in a digest. Headers are
    fixed ASCII or RFC 2047-encoded; the body is a multipart/alternative of text and HTML."""

    def message(self) -> Any:
        recipients = [
            to
            if to.isascii() and "\n" not in to and "\r" not in to
            else sanitize_address(to, "utf-8")
            for to in self.to
        ]
        boundary = f"=_digest_{uuid.uuid4().hex}"
        headers = {
            "Subject": _encoded_header(str(self.subject)),
            "From": _from_header(),
            "To": ", ".join(recipients),
            "Date": formatdate(localtime=settings.EMAIL_USE_LOCALTIME),
            **self.extra_headers,
            "MIME-Version": "1.0",
            "Content-Type": f'multipart/alternative; boundary="{boundary}"',
        }
        for value in headers.values():
            if "\n" in value or "\r" in value:
                raise BadHeaderError("digest headers cannot contain newlines")
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        marker = f"\r\n--{boundary}\r\n".encode("ascii")
        html = next(str(content) for content, mimetype in self.alternatives)
        return _Mime(
            head.encode("ascii")
            + b"\r\n"
            + marker[2:]
            + _mime_part("text/plain", str(self.body))
            + marker
            + _mime_part("text/html", html)
            + f"\r\n--{boundary}--\r\n".encode("ascii")
        )


def digest_message(digest: Digest, *, connection: Any = None) -> EmailMultiAlternatives:
    """The email for one digest: HTML and plain text, with one-click unsubscribe (RFC 8058)."""
    person = digest.person
    language = person.interface_language or settings.LANGUAGE_CODE
    shell = _shell(language, digest.frequency, digest.start, digest.end, person.time_zone)
    unsubscribe_url = _unsubscribe_url(unsubscribe_token(person.pk))
    html_parts: list[str] = []
    text_parts: list[str] = []
    for section in digest.sections:
        html, text = _section_fragments(language, section)
        stop_url = _unsubscribe_url(unsubscribe_token(person.pk, section.kind))
        html_parts.append(html.replace(_STOP, stop_url))
        text_parts.append(text.replace(_STOP, stop_url))
    name = person.display_name
    body = (
        shell.text.replace(_NAME, name)
        .replace(_UNSUBSCRIBE, unsubscribe_url)
        .replace(_SECTIONS, "".join(text_parts))
    )
    html = (
        shell.html.replace(_NAME, str(escape(name)))
        .replace(_UNSUBSCRIBE, unsubscribe_url)
        .replace(_SECTIONS, "".join(html_parts))
    )
    message = _DigestEmail(
        subject=shell.subject,
        body=body,
        to=[person.user.email],
        connection=connection,
        headers={
            # RFC 8058 one-click unsubscribe: mail clients POST "List-Unsubscribe=One-Click".
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # Stable per person and period, so mail clients fold a repeat.
            "Message-ID": (
                f"<digest-{person.pk}-{digest.frequency}-{digest.start:%Y%m%dT%H%M}"
                f"@{_message_domain()}>"
            ),
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


# ---------------------------------------------------------------------------------------------
# Preferences


def preference_get(person: Person) -> DigestPreference:
    pref = DigestPreference.objects.filter(person=person).first()
    return pref or DigestPreference(person=person)


def preference_update(
    *, actor: Person, frequency: str, muted_kinds: Iterable[str]
) -> DigestPreference:
    muted = sorted({k for k in muted_kinds if k in DigestKind.values})
    with transaction.atomic():
        pref, _created = DigestPreference.objects.update_or_create(
            person=actor,
            defaults={"frequency": frequency, "muted_kinds": muted, "updated_at": timezone.now()},
        )
    return pref


def unsubscribe(*, token: str) -> tuple[Person, str]:
    """Applies a signed unsubscribe token: every digest, or one section. Idempotent."""
    person_id, kind = unsubscribe_token_read(token)
    person = Person.objects.select_related("user").filter(pk=person_id).first()
    if person is None:  # a link to a deleted member: nothing to change
        raise signing.BadSignature("no such member")
    pref = preference_get(person)
    if kind == "all":
        preference_update(actor=person, frequency=Frequency.NEVER, muted_kinds=pref.muted_kinds)
    else:
        preference_update(
            actor=person, frequency=pref.frequency, muted_kinds=[*pref.muted_kinds, kind]
        )
    return person, kind


def digest_next_at(*, person: Person, now: datetime | None = None) -> datetime | None:
    """When the member's next digest falls due, in their time zone; None if they get none."""
    frequency = preference_get(person).frequency
    if frequency == Frequency.NEVER:
        return None
    zone = zone_get(person.time_zone)
    _start, end, _due_at = period_due(frequency, now or timezone.now(), zone)
    step = timedelta(days=1 if frequency == Frequency.DAILY else 7)
    next_day = end.astimezone(zone).date() + step
    return datetime.combine(next_day, time(settings.DIGESTS_SEND_HOUR), tzinfo=zone)


def digest_preview(*, person: Person) -> Digest:
    """The digest being gathered for the current period, for the web page."""
    pref = preference_get(person)
    frequency = Frequency.DAILY if pref.frequency == Frequency.DAILY else Frequency.WEEKLY
    end = timezone.now()
    # The member's current local day or week, the one their next digest will cover.
    _previous, start = period_bounds(frequency, end, zone_get(person.time_zone))
    window = window_build(start, end, cap=500)
    return digest_compose(
        person=person,
        frequency=frequency,
        window=window,
        interests=interests_for([person.pk])[person.pk],
        muted=pref.muted_kinds,
    )


# ---------------------------------------------------------------------------------------------
# The run


@dataclass
class RunReport:
    frequency: str
    as_of: datetime
    members_seen: int = 0
    sent: int = 0
    empty: int = 0
    failed: int = 0
    skipped: int = 0
    periods: set[datetime] = field(default_factory=set)


def _due_members(
    frequency: str,
    periods: dict[str, tuple[datetime, datetime]],
    shard: int,
    shards: int,
) -> Any:
    """Members whose period is due, minus those whose digest for it is already settled: the
    hourly job re-reads a zone for ``DIGESTS_CATCH_UP_HOURS``, and those reruns walk nobody."""
    zones_by_start: dict[datetime, list[str]] = defaultdict(list)
    for zone_name, (start, _end) in periods.items():
        zones_by_start[start].append(zone_name)
    due = Q(pk__in=[])
    for start, zone_names in zones_by_start.items():
        settled = DigestSend.objects.filter(
            person_id=OuterRef("pk"),
            frequency=frequency,
            period_start=start,
            status__in=[SendStatus.SENT, SendStatus.EMPTY, SendStatus.SENDING],
        )
        due |= Q(~Exists(settled), time_zone__in=zone_names)
    members = Person.objects.filter(due, user__is_active=True)
    # Preferences filtered in SQL so a daily run walks only daily members (no row means weekly).
    if frequency == Frequency.WEEKLY:
        members = members.filter(
            Q(digest_preference__isnull=True) | Q(digest_preference__frequency=frequency)
        )
    else:
        members = members.filter(digest_preference__frequency=frequency)
    if shards > 1:
        members = members.annotate(shard=Mod("pk", shards)).filter(shard=shard)
    return members.select_related("user", "site").order_by("pk")


def digest_run(
    *,
    frequency: str = Frequency.WEEKLY,
    period_start: str | datetime | None = None,
    as_of: str | datetime | None = None,
    chunk_size: int = 500,
    shard: int = 0,
    shards: int = 1,
    after_send: Callable[[int], None] | None = None,
) -> RunReport:
    """Builds and sends the digests that are due, each for the member's own local period. Safe to
    rerun.

    Without ``period_start``, each member gets the latest period that fell due by ``as_of``
    (default now) in their time zone, if that was within ``DIGESTS_CATCH_UP_HOURS``; the hourly
    job fixes ``as_of`` when it enqueues, so a retry finishes the same periods. With
    ``period_start``, everybody gets the local day or week of that date (by hand, tests).
    ``shard``/``shards`` split members by primary key so several worker processes share a run.
    ``after_send`` is called with the running count after each accepted message (the crash test
    and benchmarks hook into it).
    """
    plan = RunPlan.build(frequency, as_of=as_of, period_start=period_start)
    report = RunReport(frequency=frequency, as_of=plan.as_of)
    zone_names = (
        Person.objects.filter(user__is_active=True).values_list("time_zone", flat=True).distinct()
    )
    bounds = {name: plan.bounds(name) for name in set(zone_names)}
    due_zones = [name for name, period in bounds.items() if period is not None]
    windows: dict[tuple[datetime, datetime], Window] = {}
    token = uuid.uuid4().hex
    lease_cutoff = timezone.now() - timedelta(seconds=settings.DIGESTS_CLAIM_LEASE_SECONDS)
    members = _due_members(
        frequency, {name: period for name, period in bounds.items() if period}, shard, shards
    )
    last_id = 0
    while due_zones:
        people = list(members.filter(pk__gt=last_id)[:chunk_size])
        if not people:
            break
        last_id = people[-1].pk
        report.members_seen += len(people)
        groups: dict[tuple[datetime, datetime], list[Person]] = defaultdict(list)
        for person in people:
            period = bounds.get(person.time_zone)
            if period is not None:
                groups[period].append(person)
        claimed: list[tuple[int, Digest]] = []
        for period, group in groups.items():
            if period not in windows:
                # One read of the period per distinct local period (one per time zone offset).
                windows[period] = window_build(*period)
            report.periods.add(period[0])
            claimed += _claim(group, frequency, windows[period], token, lease_cutoff, report)
        if claimed:
            _send_claimed(claimed, report, after_send)
    logger.info("digest run %s", report)
    if report.failed:
        raise DigestDeliveryError(
            f"{report.failed} {frequency} digests due by {plan.as_of:%Y-%m-%d %H:%M} were "
            "refused; will retry"
        )
    return report


def _claim(
    people: list[Person],
    frequency: str,
    window: Window,
    token: str,
    lease_cutoff: datetime,
    report: RunReport,
) -> list[tuple[int, Digest]]:
    """Composes the digests of people sharing one period and claims those not already handled:
    ``(DigestSend id, digest)`` for each digest this run now holds."""
    start = window.start
    ids = [p.pk for p in people]
    prefs = {p.person_id: p for p in DigestPreference.objects.filter(person_id__in=ids)}
    done = set(
        DigestSend.objects.filter(person_id__in=ids, frequency=frequency, period_start=start)
        .filter(
            Q(status__in=[SendStatus.SENT, SendStatus.EMPTY, SendStatus.SENDING])
            | Q(status=SendStatus.CLAIMED, claimed_at__gte=lease_cutoff)
        )
        .values_list("person_id", flat=True)
    )
    due = [p for p in people if p.pk not in done]
    report.skipped += len(people) - len(due)
    if not due:
        return []
    interests = interests_for([p.pk for p in due])
    digests = {
        p.pk: digest_compose(
            person=p,
            frequency=frequency,
            window=window,
            interests=interests[p.pk],
            muted=prefs[p.pk].muted_kinds if p.pk in prefs else (),
        )
        for p in due
    }
    now = timezone.now()
    empty = [pid for pid, d in digests.items() if not d.item_count]
    full = [pid for pid, d in digests.items() if d.item_count]
    DigestSend.objects.bulk_create(
        [
            DigestSend(
                person_id=pid,
                frequency=frequency,
                period_start=start,
                status=SendStatus.EMPTY,
                claim_token=token,
            )
            for pid in empty
        ],
        ignore_conflicts=True,
    )
    report.empty += len(empty)
    # Claim: insert new rows with our token; take over failed rows and claims whose lease expired.
    DigestSend.objects.bulk_create(
        [
            DigestSend(
                person_id=pid,
                frequency=frequency,
                period_start=start,
                status=SendStatus.CLAIMED,
                claim_token=token,
                claimed_at=now,
                item_count=digests[pid].item_count,
            )
            for pid in full
        ],
        ignore_conflicts=True,
    )
    DigestSend.objects.filter(person_id__in=full, frequency=frequency, period_start=start).filter(
        Q(status=SendStatus.FAILED) | Q(status=SendStatus.CLAIMED, claimed_at__lt=lease_cutoff)
    ).update(status=SendStatus.CLAIMED, claim_token=token, claimed_at=now)
    mine = dict(
        DigestSend.objects.filter(
            person_id__in=full,
            frequency=frequency,
            period_start=start,
            status=SendStatus.CLAIMED,
            claim_token=token,
        ).values_list("person_id", "pk")
    )
    return [(mine[pid], digests[pid]) for pid in full if pid in mine]


_local = threading.local()


def _deliver(message: EmailMultiAlternatives, opened: list[Any]) -> None:
    """Sends one rendered digest on this thread's SMTP connection (opened on first use)."""
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = get_connection()
        opened.append(connection)
        connection.open()
    message.connection = connection
    try:
        message.send()
    except (OSError, smtplib.SMTPException):
        _reconnect(connection)
        raise


def _table() -> str:
    return connection.ops.quote_name(DigestSend._meta.db_table)


def _record(
    answered: list[tuple[int, BaseException | None]], handing_over: list[int], report: RunReport
) -> None:
    """One transaction per batch: the server's answers received so far, and the next batch marked
    "sending". Plain SQL: per message, the ORM's query building cost more than the write, and a
    commit per row was a third of a run's time."""
    sent = [send_id for send_id, error in answered if error is None]
    with transaction.atomic(), connection.cursor() as cursor:
        if sent:
            marks = ", ".join(["%s"] * len(sent))
            cursor.execute(
                f"UPDATE {_table()} SET status = %s, sent_at = %s, last_error = '',"  # noqa: S608 -- our table name; values are parameters
                f" attempts = attempts + 1 WHERE id IN ({marks})",
                [SendStatus.SENT, timezone.now(), *sent],
            )
        for send_id, error in answered:
            if error is not None:
                cursor.execute(
                    f"UPDATE {_table()} SET status = %s, last_error = %s,"  # noqa: S608 -- as above
                    " attempts = attempts + 1 WHERE id = %s",
                    [SendStatus.FAILED, str(error)[:2000], send_id],
                )
        if handing_over:
            marks = ", ".join(["%s"] * len(handing_over))
            cursor.execute(
                f"UPDATE {_table()} SET status = %s WHERE id IN ({marks})",  # noqa: S608 -- as above
                [SendStatus.SENDING, *handing_over],
            )
    report.sent += len(sent)
    report.failed += len(answered) - len(sent)


def _send_claimed(
    claimed: list[tuple[int, Digest]],
    report: RunReport,
    after_send: Callable[[int], None] | None,
) -> None:
    """Sends claimed digests on a few SMTP connections at once, recording answers in batches.

    This thread renders the messages and writes the database; the connection threads only talk
    to the SMTP server, so rendering overlaps the round trips. Each batch (one message per
    connection) is marked "sending" in the same transaction that records the answers received
    so far, before any of it is handed over. At any moment at most two batches are "sending"
    (in flight, or answered but not yet recorded): a run killed from there on leaves at most
    ``2 × DIGESTS_SMTP_CONNECTIONS`` rows for an administrator to decide on, and never re-sends
    them by itself, so a kill cannot cause a duplicate.
    """
    workers = max(1, settings.DIGESTS_SMTP_CONNECTIONS)
    opened: list[Any] = []
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="digest-smtp")
    pending = iter(claimed)
    in_flight: dict[Future[None], int] = {}
    answered: list[tuple[int, BaseException | None]] = []

    def render_batch() -> list[tuple[int, EmailMultiAlternatives]]:
        return [(send_id, digest_message(digest)) for send_id, digest in islice(pending, workers)]

    def hook(recorded: int) -> None:
        if after_send is not None and recorded:
            after_send(report.sent)

    try:
        batch = render_batch()
        while batch or in_flight:
            if batch and len(in_flight) <= workers:
                recorded = len(answered)
                _record(answered, [send_id for send_id, _message in batch], report)
                answered.clear()
                for send_id, message in batch:
                    in_flight[pool.submit(_deliver, message, opened)] = send_id
                hook(recorded)
                batch = render_batch()  # while the connections are busy
                continue
            done, _waiting = wait(in_flight, return_when=FIRST_COMPLETED)
            answered.extend((in_flight.pop(future), future.exception()) for future in done)
        recorded = len(answered)
        _record(answered, [], report)
        answered.clear()
        hook(recorded)
    finally:
        # Also when dying mid-chunk: hand out nothing more; record what the server answered and
        # put back what never left, so only messages really handed over stay "sending".
        pool.shutdown(wait=True, cancel_futures=True)
        never_sent = [send_id for future, send_id in in_flight.items() if future.cancelled()]
        answered.extend(
            (send_id, future.exception())
            for future, send_id in in_flight.items()
            if not future.cancelled()
        )
        _record(answered, [], report)
        if never_sent:
            DigestSend.objects.filter(pk__in=never_sent, status=SendStatus.SENDING).update(
                status=SendStatus.CLAIMED
            )
        for smtp_connection in opened:
            smtp_connection.close()


def _reconnect(connection: Any) -> None:
    # After a refused message the session may be gone; a fresh one keeps the chunk going.
    try:
        connection.close()
        connection.open()
    except (OSError, smtplib.SMTPException):
        logger.warning("mail server unreachable while sending digests")
