"""Building and sending personal digests.

A run covers one period (the last complete day or week, UTC). It reads what happened in that period
once (``window_build``), then walks members in primary-key chunks so memory stays bounded, builds
each member's digest from their follows and skills, and sends it over one SMTP connection per chunk.

Exactly-once per (person, frequency, period) rests on ``DigestSend``'s unique constraint: a row is
claimed (inserted with this run's token) before the message goes out and marked ``sent`` right after
the SMTP server accepts it. A rerun skips sent rows; rows left ``claimed`` by a run that died are
taken over once their lease (``DIGESTS_CLAIM_LEASE_SECONDS``) expires; ``failed`` rows are retried
by the next attempt. The one unavoidable window is a crash between the server's acceptance and the
``sent`` update; the Message-ID is stable per person and period so mail clients fold such a repeat.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Mod
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from pollinate.digests.models import (
    DigestKind,
    DigestPreference,
    DigestSend,
    Frequency,
    SendStatus,
)
from pollinate.people.models import Person, Skill

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "pollinate.digests.unsubscribe"
SECTION_LIMIT = 5


class DigestDeliveryError(Exception):
    """Some digests of a run were refused by the mail server; the task retries them."""


# ---------------------------------------------------------------------------------------------
# Periods


def period_bounds(frequency: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last complete period before ``now``: yesterday, or last week (Monday to Monday), UTC."""
    now = now or timezone.now()
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if frequency == Frequency.DAILY:
        return midnight - timedelta(days=1), midnight
    monday = midnight - timedelta(days=midnight.weekday())
    return monday - timedelta(days=7), monday


def period_parse(frequency: str, period_start: str | None) -> tuple[datetime, datetime]:
    if period_start is None:
        return period_bounds(frequency)
    start = datetime.fromisoformat(period_start)
    if timezone.is_naive(start):
        start = start.replace(tzinfo=UTC)
    return start, start + (timedelta(days=1) if frequency == Frequency.DAILY else timedelta(days=7))


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
    return window


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
    practices = [
        p for p in window.practices if p.topic_ids & followed_topics or p.site_id in interests.sites
    ]
    # Ideas travel horizontally: other sites' practices first.
    practices.sort(key=lambda p: (p.site_id == site.pk, -p.score))
    add(DigestKind.PRACTICES, [p.entry for p in practices])
    add(
        DigestKind.ADOPTIONS,
        [
            a.entry
            for a in window.adoptions
            if a.site_id != site.pk
            and (
                a.practice_site_id == site.pk
                or (site.region and a.site_region == site.region)
                or a.site_country == site.country
            )
        ],
    )
    answerable = followed_topics | interests.skills
    add(
        DigestKind.QUESTIONS,
        [
            q.entry
            for q in window.questions
            if q.author_id != person.pk and q.topic_ids & answerable
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
    return signing.dumps({"p": person_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_read(token: str) -> tuple[int, str]:
    """The person and section a token unsubscribes; ``BadSignature`` when invalid or expired."""
    max_age = timedelta(days=settings.DIGESTS_UNSUBSCRIBE_MAX_AGE_DAYS)
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=max_age)
    kind = str(data.get("k", "all"))
    if kind != "all" and kind not in DigestKind.values:
        raise signing.BadSignature("unknown section")
    return int(data["p"]), kind


# Rendered sections by (language, section): members who follow the same things share them, which
# saves most of the template work in a large run. Bounded; cleared when full.
_fragments: dict[tuple[str, str, tuple[Entry, ...]], tuple[str, str]] = {}
_FRAGMENTS_MAX = 20_000


def _section_fragments(section: Section) -> tuple[str, str]:
    key = (translation.get_language() or "", section.kind, tuple(section.entries))
    cached = _fragments.get(key)
    if cached is None:
        context = {"section": section}
        cached = (
            mark_safe(render_to_string("digests/_partials/email_section.html", context)),  # noqa: S308 -- rendered by an autoescaping template
            render_to_string("digests/_partials/email_section.txt", context),
        )
        if len(_fragments) >= _FRAGMENTS_MAX:
            _fragments.clear()
        _fragments[key] = cached
    return cached


@lru_cache(maxsize=64)
def _period_labels(language: str, start: datetime, end: datetime) -> tuple[str, str]:
    with translation.override(language):
        return date_format(start, "j M"), date_format(end - timedelta(seconds=1), "j M Y")


def _unsubscribe_url(token: str) -> str:
    # reverse() once; the token is URL-safe base64 plus ":".
    return settings.SITE_URL + _unsubscribe_path().replace("TOKEN", token)


@lru_cache(maxsize=1)
def _unsubscribe_path() -> str:
    return reverse("digests:unsubscribe", args=["TOKEN"])


@lru_cache(maxsize=1)
def _home_path() -> str:
    return reverse("digests:home")


def digest_message(digest: Digest, *, connection: Any = None) -> EmailMultiAlternatives:
    person = digest.person
    unsubscribe_url = _unsubscribe_url(unsubscribe_token(person.pk))
    language = person.interface_language or settings.LANGUAGE_CODE
    with translation.override(language):
        start_label, end_label = _period_labels(language, digest.start, digest.end)
        context = {
            "digest": digest,
            "person": person,
            "start_label": start_label,
            "end_label": end_label,
            "unsubscribe_url": unsubscribe_url,
            "preferences_url": settings.SITE_URL + _home_path(),
            "sections": [
                (
                    s,
                    _unsubscribe_url(unsubscribe_token(person.pk, s.kind)),
                    *_section_fragments(s),
                )
                for s in digest.sections
            ],
        }
        subject = (
            _("Your daily Pollinate digest")
            if digest.frequency == Frequency.DAILY
            else _("Your weekly Pollinate digest")
        )
        text = render_to_string("digests/email.txt", context)
        html = render_to_string("digests/email.html", context)
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[person.user.email],
        connection=connection,
        headers={
            # RFC 8058 one-click unsubscribe: mail clients POST "List-Unsubscribe=One-Click".
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": (
                f"<digest-{person.pk}-{digest.frequency}-{digest.start:%Y%m%d}@{domain}>"
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


def digest_preview(*, person: Person) -> Digest:
    """The digest being gathered for the current period, for the web page."""
    pref = preference_get(person)
    frequency = Frequency.DAILY if pref.frequency == Frequency.DAILY else Frequency.WEEKLY
    end = timezone.now()
    start = end - (timedelta(days=1) if frequency == Frequency.DAILY else timedelta(days=7))
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
    period_start: datetime
    members_seen: int = 0
    sent: int = 0
    empty: int = 0
    failed: int = 0
    skipped: int = 0


def digest_run(
    *,
    frequency: str = Frequency.WEEKLY,
    period_start: str | None = None,
    chunk_size: int = 500,
    shard: int = 0,
    shards: int = 1,
    after_send: Callable[[int], None] | None = None,
) -> RunReport:
    """Builds and sends the period's digests to every member who is due one. Safe to rerun.

    ``shard``/``shards`` split members by primary key so several worker processes can share a
    run. ``after_send`` is called with the running count after each accepted message (the crash
    test and benchmarks hook into it).
    """
    start, end = period_parse(frequency, period_start)
    report = RunReport(frequency=frequency, period_start=start)
    window = window_build(start, end)
    token = uuid.uuid4().hex
    lease_cutoff = timezone.now() - timedelta(seconds=settings.DIGESTS_CLAIM_LEASE_SECONDS)
    last_id = 0
    while True:
        members = Person.objects.filter(pk__gt=last_id, user__is_active=True)
        if shards > 1:
            members = members.annotate(shard=Mod("pk", shards)).filter(shard=shard)
        people = list(members.select_related("user", "site").order_by("pk")[:chunk_size])
        if not people:
            break
        last_id = people[-1].pk
        report.members_seen += len(people)
        _run_chunk(people, frequency, start, window, token, lease_cutoff, report, after_send)
    logger.info("digest run %s", report)
    if report.failed:
        raise DigestDeliveryError(
            f"{report.failed} {frequency} digests for {start:%Y-%m-%d} were refused; will retry"
        )
    return report


def _run_chunk(
    people: list[Person],
    frequency: str,
    start: datetime,
    window: Window,
    token: str,
    lease_cutoff: datetime,
    report: RunReport,
    after_send: Callable[[int], None] | None,
) -> None:
    ids = [p.pk for p in people]
    prefs = {p.person_id: p for p in DigestPreference.objects.filter(person_id__in=ids)}
    due = [
        p
        for p in people
        if (prefs[p.pk].frequency if p.pk in prefs else Frequency.WEEKLY) == frequency
    ]
    done = set(
        DigestSend.objects.filter(
            person_id__in=[p.pk for p in due], frequency=frequency, period_start=start
        )
        .filter(
            Q(status__in=[SendStatus.SENT, SendStatus.EMPTY, SendStatus.SENDING])
            | Q(status=SendStatus.CLAIMED, claimed_at__gte=lease_cutoff)
        )
        .values_list("person_id", flat=True)
    )
    due = [p for p in due if p.pk not in done]
    report.skipped += len(people) - len(due)
    if not due:
        return
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
    if not mine:
        return
    _send_claimed([(mine[pid], digests[pid]) for pid in full if pid in mine], report, after_send)


_local = threading.local()


def _deliver(digest: Digest, opened: list[Any]) -> None:
    """Renders and sends one digest on this thread's SMTP connection (opened on first use)."""
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = get_connection()
        opened.append(connection)
        connection.open()
    try:
        digest_message(digest, connection=connection).send()
    except (OSError, smtplib.SMTPException):
        _reconnect(connection)
        raise


def _send_claimed(
    claimed: list[tuple[int, Digest]],
    report: RunReport,
    after_send: Callable[[int], None] | None,
) -> None:
    """Sends claimed digests on a few SMTP connections at once; marks each as the server answers.

    Rendering and SMTP round trips overlap across threads; the database is only written from this
    thread: "sending" just before a message is handed over (at most one per connection at a time),
    "sent" or "failed" right after the server answered.
    """
    workers = max(1, settings.DIGESTS_SMTP_CONNECTIONS)
    opened: list[Any] = []
    recorded: set[Any] = set()

    def record(future: Any, send_id: int) -> None:
        recorded.add(future)
        error = future.exception()
        if error is not None:
            DigestSend.objects.filter(pk=send_id).update(
                status=SendStatus.FAILED, last_error=str(error)[:2000], attempts=F("attempts") + 1
            )
            report.failed += 1
            return
        DigestSend.objects.filter(pk=send_id).update(
            status=SendStatus.SENT,
            sent_at=timezone.now(),
            last_error="",
            attempts=F("attempts") + 1,
        )
        report.sent += 1

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="digest-smtp")
    pending = iter(claimed)
    in_flight: dict[Any, int] = {}

    def hand_over_next() -> None:
        item = next(pending, None)
        if item is None:
            return
        send_id, digest = item
        # Written before the message leaves: a run killed from here on leaves "sending", which
        # is never re-sent automatically, so a kill cannot cause a duplicate.
        DigestSend.objects.filter(pk=send_id).update(status=SendStatus.SENDING)
        in_flight[pool.submit(_deliver, digest, opened)] = send_id

    try:
        for _ in range(workers):
            hand_over_next()
        while in_flight:
            done, _waiting = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                record(future, in_flight.pop(future))
                if after_send is not None:
                    after_send(report.sent)
                hand_over_next()
    finally:
        # Also when dying mid-chunk: hand out nothing more, but record what the server already
        # answered, so only messages never handed over are left claimed.
        pool.shutdown(wait=True, cancel_futures=True)
        for future, send_id in in_flight.items():
            if future not in recorded and future.done() and not future.cancelled():
                record(future, send_id)
        for connection in opened:
            connection.close()


def _reconnect(connection: Any) -> None:
    # After a refused message the session may be gone; a fresh one keeps the chunk going.
    try:
        connection.close()
        connection.open()
    except (OSError, smtplib.SMTPException):
        logger.warning("mail server unreachable while sending digests")
