"""Rollups kept from the activity spine, incrementally (one activity at a time, after commit) or by
replaying the whole spine (``analytics_rebuild``).

Both paths run the same :func:`apply` on the same :class:`Event`, against two stores: the database
store upserts rows one activity at a time; the memory store accumulates everything and is written
in bulk. Replaying the spine in (created_at, id) order therefore gives the incremental state.
Analytics only reads other apps: their models are looked up lazily, so an app that is not there yet
(or an object deleted since) only leaves its dimension empty.
"""

from __future__ import annotations

import gc
import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from pollinate.analytics import metrics
from pollinate.analytics.models import (
    ALL,
    ANY_KIND,
    AdoptionFact,
    DailyCount,
    DurationBucket,
    FoldCursor,
    GroupSize,
    Kind,
    Participant,
    PracticeFact,
    QuestionFact,
    RequestFact,
    Tally,
    WeeklyCount,
)
from pollinate.core.bulk_loading import bulk_page_cache

logger = logging.getLogger(__name__)

ADOPTION_VERBS = {"practice.trying", "practice.adopted", "practice.adapted", "practice.dropped"}
VERBS = {
    "practice.shared",
    *ADOPTION_VERBS,
    "question.asked",
    "question.answered",
    "answer.accepted",
    "coaching.requested",
    "coaching.accepted",
    "coaching.scheduled",
    "coaching.helped",
    "reflection.written",
}
# Prefixes handed to spine_subscribe; VERBS filters inside them.
PREFIXES = ("practice.", "question.", "answer.", "coaching.", "reflection.")
ADOPTED = {"adopted", "adapted"}


class Event(NamedTuple):
    """The part of an Activity the rollups read."""

    id: int
    verb: str
    actor_id: int | None
    site_id: int | None
    object_id: int
    created_at: datetime
    payload: dict[str, Any]


CountKey = tuple[date, int, int, int, str]  # day, site, other site, topic, kind
ParticipantKey = tuple[str, int, int, int, int]  # kind, site, other site, topic, person
GroupKey = tuple[str, int, int, int]  # kind, site, other site, topic


@dataclass
class PracticeState:
    practice_id: int
    origin_site_id: int = 0
    shared_at: datetime | None = None
    first_adopted_elsewhere_at: datetime | None = None


@dataclass
class AdoptionState:
    practice_id: int
    site_id: int
    origin_site_id: int
    first_seen_at: datetime
    adopted_at: datetime | None = None
    status: str = ""
    positive: bool | None = None
    adapted: bool = False


@dataclass
class QuestionState:
    question_id: int
    site_id: int
    asked_at: datetime
    topic_ids: list[int] = field(default_factory=list)
    first_answer_at: datetime | None = None
    first_answer_cross_site: bool | None = None
    any_cross_site_answer: bool = False


@dataclass
class RequestState:
    request_id: int
    site_id: int
    topic_id: int
    requested_at: datetime
    matched_at: datetime | None = None
    coach_id: int = 0
    coach_site_id: int = 0
    sessions: int = 0
    helped: bool = False


# --------------------------------------------------------------------------------------- lookups


def _model(label: str) -> Any:
    try:
        return apps.get_model(label)
    except LookupError:
        return None


class Lookups:
    """Reads the dimensions an activity does not carry (topics, which request a match serves).

    Incremental use asks one id at a time; a rebuild calls :meth:`preload` once instead.
    """

    def __init__(self) -> None:
        self.practice_topics: dict[int, list[int]] | None = None
        self.question_topics: dict[int, list[int]] | None = None
        self.match_request: dict[int, int] | None = None
        self.session_match: dict[int, int] | None = None
        self.feedback_session: dict[int, int] | None = None

    def preload(self) -> None:
        self.practice_topics = defaultdict(list)
        practice = _model("practices.Practice")
        if practice is not None:
            through = practice.topics.through.objects.values_list("practice_id", "topic_id")
            for practice_id, topic_id in through.iterator(chunk_size=20000):
                self.practice_topics[practice_id].append(topic_id)
        self.question_topics = defaultdict(list)
        question_topic = _model("questions.QuestionTopic")
        if question_topic is not None:
            rows = question_topic.objects.values_list("question_id", "topic_id")
            for question_id, topic_id in rows.iterator(chunk_size=20000):
                self.question_topics[question_id].append(topic_id)
        self.match_request = self._pairs("coaching.Match", "request_id")
        self.session_match = self._pairs("coaching.CoachingSession", "match_id")
        self.feedback_session = self._pairs("coaching.Feedback", "session_id")

    @staticmethod
    def _pairs(label: str, column: str) -> dict[int, int]:
        model = _model(label)
        if model is None:
            return {}
        return dict(model.objects.values_list("pk", column).iterator(chunk_size=20000))

    def topics_of_practice(self, practice_id: int) -> list[int]:
        if self.practice_topics is not None:
            return sorted(self.practice_topics.get(practice_id, []))
        practice = _model("practices.Practice")
        if practice is None:
            return []
        rows = practice.topics.through.objects.filter(practice_id=practice_id)
        return sorted(rows.values_list("topic_id", flat=True))

    def topics_of_question(self, question_id: int) -> list[int]:
        if self.question_topics is not None:
            return sorted(self.question_topics.get(question_id, []))
        model = _model("questions.QuestionTopic")
        if model is None:
            return []
        rows = model.objects.filter(question_id=question_id)
        return sorted(rows.values_list("topic_id", flat=True))

    def _one(self, cache: dict[int, int] | None, label: str, column: str, pk: int) -> int | None:
        if cache is not None:
            return cache.get(pk)
        model = _model(label)
        if model is None:
            return None
        value: int | None = model.objects.filter(pk=pk).values_list(column, flat=True).first()
        return value

    def request_of_match(self, match_id: int) -> int | None:
        return self._one(self.match_request, "coaching.Match", "request_id", match_id)

    def request_of_session(self, session_id: int) -> int | None:
        match_id = self._one(self.session_match, "coaching.CoachingSession", "match_id", session_id)
        return None if match_id is None else self.request_of_match(match_id)

    def request_of_feedback(self, feedback_id: int) -> int | None:
        session_id = self._one(
            self.feedback_session, "coaching.Feedback", "session_id", feedback_id
        )
        return None if session_id is None else self.request_of_session(session_id)


# ---------------------------------------------------------------------------------------- stores

TallyKey = tuple[str, int, int, int]  # kind, site, other site, topic
DurationKey = tuple[str, int, int, int]  # kind, site, topic, bucket
WeekKey = tuple[str, int, int, date]  # kind, site, topic, week
# Extra all-time counters (beside the ``Kind`` ones) that dashboards turn into shares.
FIRST_ANSWER = "first_answer"
FIRST_ANSWER_CROSS = "first_answer_cross"
MATCHED_CROSS = "matched_cross"
SESSIONED = "sessioned"
HELPED_SESSIONED = "helped_sessioned"
ADOPTED_POSITIVE = "adopted_positive"
# Duration histograms.
HOURS_TO_FIRST_ANSWER = "to_first_answer"
HOURS_TO_MATCH = "to_match"
HOURS_TO_ADOPTION = "to_first_adoption"


class Store:
    """Where :func:`apply` reads and writes rollup state; effects accumulate in memory.

    Every counter is also kept without its day and summed over ``ALL`` sites (:class:`Tally`),
    every participant also under ``ALL`` sites and ``ANY_KIND``: so dashboards read a handful of
    rows instead of aggregating the history. Subclasses decide where state comes from and how the
    accumulated effects reach the tables.
    """

    def __init__(self) -> None:
        self.counts: dict[CountKey, int] = defaultdict(int)
        self.tallies: dict[TallyKey, int] = defaultdict(int)
        self.weekly: dict[WeekKey, int] = defaultdict(int)
        self.durations: dict[DurationKey, list[int]] = {}
        # Group (kind, site, other site, topic) → the people behind it: a rebuild sorts the
        # groups and then each group's ids, far cheaper than sorting a million 5-tuples.
        self.participants: dict[GroupKey, set[int]] = defaultdict(set)
        self.states: dict[tuple[type[Any], tuple[int, ...]], Any] = {}

    def count(self, key: CountKey, n: int = 1) -> None:
        day, site, other, topic, kind = key
        self.counts[key] += n
        self.tally(kind, site=site, other=other, topic=topic, n=n)
        if kind == Kind.ADOPTED:
            week = day - timedelta(days=day.weekday())
            self.weekly[(kind, site, topic, week)] += n
            self.weekly[(kind, ALL, topic, week)] += n

    def tally(self, kind: str, *, site: int, other: int = 0, topic: int = 0, n: int = 1) -> None:
        tallies = self.tallies
        tallies[(kind, site, other, topic)] += n
        tallies[(kind, site, ALL, topic)] += n
        tallies[(kind, ALL, other, topic)] += n
        tallies[(kind, ALL, ALL, topic)] += n

    def duration(
        self, kind: str, *, site: int, topics: Iterable[int], start: datetime, end: datetime
    ) -> None:
        ms = int((end - start).total_seconds() * 1000)
        if ms < 0:
            return  # imported history out of order: the metric skips it, as it always has
        bucket = metrics.duration_bucket(ms)
        for topic in (0, *topics):
            for where in (site, ALL):
                cell = self.durations.setdefault((kind, where, topic, bucket), [0, 0])
                cell[0] += 1
                cell[1] += ms

    def participant(self, key: ParticipantKey) -> None:
        kind, site, other, topic, person = key
        groups = self.participants
        groups[(kind, site, other, topic)].add(person)
        if other == 0:
            # Every (…, other) row comes with its (…, 0) twin, so these cover every group.
            groups[(kind, ALL, 0, topic)].add(person)
            groups[(ANY_KIND, site, 0, topic)].add(person)
            groups[(ANY_KIND, ALL, 0, topic)].add(person)

    def get(self, kind: type[Any], key: tuple[int, ...]) -> Any:
        return self.states.get((kind, key))

    def put(self, state: Any) -> None:
        self.states[(type(state), _state_key(state))] = state


def _sql(sql: str, rows: Iterable[Sequence[Any]], *, chunk: int = 5000) -> None:
    batch: list[Sequence[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) >= chunk:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _insert(
    model: Any, columns: Sequence[str], *, add: Sequence[str] = (), keys: Sequence[str] = ()
) -> str:
    """An INSERT for ``model``; with ``add``, an upsert that adds to those columns on ``keys``."""
    table = model._meta.db_table
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 -- our own table and columns
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    if add:
        updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in add)
        sql += f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    return sql


_COUNT_COLUMNS = ("day", "site_id", "other_site_id", "topic_id", "kind", "count")
_TALLY_COLUMNS = ("kind", "site_id", "other_site_id", "topic_id", "count")
_WEEK_COLUMNS = ("kind", "site_id", "topic_id", "week", "count")
_DURATION_COLUMNS = ("kind", "site_id", "topic_id", "bucket", "count", "total_ms")
_PARTICIPANT_COLUMNS = ("kind", "site_id", "other_site_id", "topic_id", "person_id")
_GROUP_COLUMNS = ("kind", "site_id", "other_site_id", "topic_id", "people")


def _insert_rows(model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Plain inserts, as many rows per statement as the database takes parameters: about half
    the CPU of one statement per row on SQLite (each pays its own statement and sequence update).
    """
    width = len(columns)
    per_statement = max(1, (connection.features.max_query_params or 1000 * width) // width)
    head = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) VALUES "  # noqa: S608 -- ours
    one = f"({', '.join(['%s'] * width)})"
    full = head + ", ".join([one] * per_statement)
    batch: list[Any] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.extend(row)
            if len(batch) == per_statement * width:
                cursor.execute(full, batch)
                batch = []
        if batch:
            cursor.execute(head + ", ".join([one] * (len(batch) // width)), batch)


class MemoryStore(Store):
    """Accumulates a whole replay; :meth:`write` replaces the tables with it.

    The replay keeps only the groups an activity names (its site, other site, topic, kind); the
    "every site" and "any kind" sums and unions are derived once before writing (see
    :meth:`_expand`): the same rows as :class:`Store` adds per activity, at a quarter of the
    dictionary work in the replay's hottest loop.
    """

    def tally(self, kind: str, *, site: int, other: int = 0, topic: int = 0, n: int = 1) -> None:
        self.tallies[(kind, site, other, topic)] += n

    def participant(self, key: ParticipantKey) -> None:
        kind, site, other, topic, person = key
        self.participants[(kind, site, other, topic)].add(person)

    def _expand(self) -> None:
        tallies: dict[TallyKey, int] = defaultdict(int)
        for (kind, site, other, topic), n in self.tallies.items():
            tallies[(kind, site, other, topic)] += n
            tallies[(kind, site, ALL, topic)] += n
            tallies[(kind, ALL, other, topic)] += n
            tallies[(kind, ALL, ALL, topic)] += n
        self.tallies = tallies
        groups: dict[GroupKey, set[int]] = defaultdict(set)
        for (kind, site, other, topic), people in self.participants.items():
            groups[(kind, site, other, topic)] |= people
            if other == 0:
                groups[(kind, ALL, 0, topic)] |= people
                groups[(ANY_KIND, site, 0, topic)] |= people
                groups[(ANY_KIND, ALL, 0, topic)] |= people
        self.participants = groups

    def write(self) -> None:
        self._expand()
        with bulk_page_cache(256):
            self._write()

    def _write(self) -> None:
        with connection.cursor() as cursor:
            for model in (*_ROLLUP_MODELS, *_STATE_MODELS.values()):
                # A plain DELETE: QuerySet.delete() would fetch every row first whenever any
                # delete signal receiver is connected anywhere.
                cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608 -- our table
        _insert_rows(
            DailyCount,
            _COUNT_COLUMNS,
            sorted((d, s, o, t, str(k), n) for (d, s, o, t, k), n in self.counts.items() if n),
        )
        _insert_rows(
            Tally,
            _TALLY_COLUMNS,
            sorted((str(k), s, o, t, n) for (k, s, o, t), n in self.tallies.items() if n),
        )
        _insert_rows(
            WeeklyCount,
            _WEEK_COLUMNS,
            ((str(k), s, t, w, n) for (k, s, t, w), n in self.weekly.items() if n),
        )
        _insert_rows(
            DurationBucket,
            _DURATION_COLUMNS,
            ((k, s, t, b, n, ms) for (k, s, t, b), (n, ms) in self.durations.items()),
        )
        # In key order, so the key index grows at its end instead of everywhere.
        groups = sorted((str(g[0]), *g[1:], people) for g, people in self.participants.items())
        _insert_rows(
            Participant,
            _PARTICIPANT_COLUMNS,
            ((k, s, o, t, p) for k, s, o, t, people in groups for p in sorted(people)),
        )
        _insert_rows(
            GroupSize,
            _GROUP_COLUMNS,
            ((k, s, o, t, len(people)) for k, s, o, t, people in groups),
        )
        by_kind: dict[type[Any], list[Any]] = defaultdict(list)
        for (kind, key), state in self.states.items():
            by_kind[kind].append((key, state))
        for kind, model in _STATE_MODELS.items():
            rows = sorted(by_kind.get(kind, []), key=lambda pair: pair[0])
            _write_states(model, kind, (state for _key, state in rows))


def _write_states(model: Any, kind: type[Any], states: Iterable[Any]) -> None:
    """Inserts fact rows straight from the states, adapting only the columns that need it
    (datetimes, JSON): a model instance per row cost more than everything else in the write."""
    names = [f.name for f in fields(kind)]
    adapt: list[Any] = []
    for name in names:
        field_type = model._meta.get_field(name).get_internal_type()
        if field_type == "DateTimeField":
            adapt.append(connection.ops.adapt_datetimefield_value)
        elif field_type == "JSONField":
            adapt.append(lambda value: connection.ops.adapt_json_value(value, None))
        else:
            adapt.append(None)
    pairs = list(zip(names, adapt, strict=True))

    def row(state: Any) -> tuple[Any, ...]:
        values = []
        for name, convert in pairs:
            value = getattr(state, name)
            values.append(convert(value) if convert is not None and value is not None else value)
        return tuple(values)

    _insert_rows(model, names, (row(state) for state in states))


class BatchStore(Store):
    """Folds a batch of new activities into the tables: adds to counters, upserts facts.

    State missing from the batch is read from the facts tables; the caller holds the transaction
    (and the fold cursor's lock), so nobody else changes them meanwhile.
    """

    def get(self, kind: type[Any], key: tuple[int, ...]) -> Any:
        cached = self.states.get((kind, key))
        if cached is not None:
            return cached
        row = (
            _STATE_MODELS[kind]
            .objects.filter(**dict(zip(_STATE_KEYS[kind], key, strict=True)))
            .values()
            .first()
        )
        if row is None:
            return None
        names = {f.name for f in fields(kind)}
        state = kind(**{name: value for name, value in row.items() if name in names})
        self.states[(kind, key)] = state
        return state

    def write(self) -> None:
        counts = [(d, s, o, t, str(k), n) for (d, s, o, t, k), n in self.counts.items() if n]
        _sql(_insert(DailyCount, _COUNT_COLUMNS, add=("count",), keys=_COUNT_COLUMNS[:5]), counts)
        tallies = [(str(k), s, o, t, n) for (k, s, o, t), n in self.tallies.items() if n]
        _sql(_insert(Tally, _TALLY_COLUMNS, add=("count",), keys=_TALLY_COLUMNS[:4]), tallies)
        # A gauge that went back to zero (a positive outcome turned negative) leaves no row, as
        # in a rebuild. Only keys this batch lowered can have reached zero.
        for gauge, site, other, topic in [key for key, n in self.tallies.items() if n < 0]:
            Tally.objects.filter(
                kind=gauge, site_id=site, other_site_id=other, topic_id=topic, count=0
            ).delete()
        weekly = [(str(k), s, t, w, n) for (k, s, t, w), n in self.weekly.items() if n]
        _sql(_insert(WeeklyCount, _WEEK_COLUMNS, add=("count",), keys=_WEEK_COLUMNS[:4]), weekly)
        _sql(
            _insert(
                DurationBucket,
                _DURATION_COLUMNS,
                add=("count", "total_ms"),
                keys=_DURATION_COLUMNS[:4],
            ),
            [(k, s, t, b, n, ms) for (k, s, t, b), (n, ms) in self.durations.items()],
        )
        new = self._new_participants()
        _sql(_insert(Participant, _PARTICIPANT_COLUMNS), new)
        sizes: dict[tuple[str, int, int, int], int] = defaultdict(int)
        for k, s, o, t, _p in new:
            sizes[(k, s, o, t)] += 1
        _sql(
            _insert(GroupSize, _GROUP_COLUMNS, add=("people",), keys=_GROUP_COLUMNS[:4]),
            [(*key, n) for key, n in sizes.items()],
        )
        for kind, model in _STATE_MODELS.items():
            states = [s for (k, _key), s in self.states.items() if k is kind]
            if states:
                keys = _STATE_KEYS[kind]
                model.objects.bulk_create(
                    [model(**_as_dict(s)) for s in states],
                    update_conflicts=True,
                    unique_fields=list(keys),
                    update_fields=[f.name for f in fields(kind) if f.name not in keys],
                    batch_size=1000,
                )

    def _new_participants(self, *, chunk: int = 400) -> list[tuple[str, int, int, int, int]]:
        """The batch's participant rows that are not in the table yet (they grow a group)."""
        wanted = sorted(
            (str(k), s, o, t, p)
            for (k, s, o, t), people in self.participants.items()
            for p in people
        )
        table = Participant._meta.db_table
        existing: set[tuple[str, int, int, int, int]] = set()
        with connection.cursor() as cursor:
            for i in range(0, len(wanted), chunk):
                part = wanted[i : i + chunk]
                values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(part))
                # A join, not a row-value IN: SQLite scans the whole table for the latter.
                on = " AND ".join(
                    f"p.{column} = v.column{i}" for i, column in enumerate(_PARTICIPANT_COLUMNS, 1)
                )
                cursor.execute(
                    f"SELECT {', '.join('p.' + c for c in _PARTICIPANT_COLUMNS)} "  # noqa: S608 -- ours
                    f"FROM (VALUES {values}) AS v JOIN {table} p ON {on}",
                    [v for row in part for v in row],
                )
                existing.update(tuple(row) for row in cursor.fetchall())
        return [row for row in wanted if row not in existing]


_ROLLUP_MODELS = (DailyCount, Tally, WeeklyCount, DurationBucket, Participant, GroupSize)
_STATE_MODELS: dict[type[Any], Any] = {
    PracticeState: PracticeFact,
    AdoptionState: AdoptionFact,
    QuestionState: QuestionFact,
    RequestState: RequestFact,
}
_STATE_KEYS: dict[type[Any], tuple[str, ...]] = {
    PracticeState: ("practice_id",),
    AdoptionState: ("practice_id", "site_id"),
    QuestionState: ("question_id",),
    RequestState: ("request_id",),
}


def _as_dict(state: Any) -> dict[str, Any]:
    return {f.name: getattr(state, f.name) for f in fields(state)}


def _state_key(state: Any) -> tuple[int, ...]:
    if type(state) is AdoptionState:
        return (state.practice_id, state.site_id)
    return (getattr(state, _STATE_KEYS[type(state)][0]),)


# ----------------------------------------------------------------------------------------- apply


def _day(when: datetime) -> date:
    return when.astimezone(UTC).date()


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _counted(
    store: Store,
    event: Event,
    kind: str,
    *,
    site: int,
    topics: Iterable[int],
    other: int = 0,
    person: int | None = None,
) -> None:
    """Adds one to the all-topics counter and to each topic's, and records who stood behind it."""
    day = _day(event.created_at)
    who = person if person is not None else event.actor_id
    for topic in (0, *topics):
        store.count((day, site, other, topic, kind))
        if who:
            store.participant((kind, site, other, topic, who))
            if other:
                # Also under "any other site", so per-site privacy checks need one lookup.
                store.participant((kind, site, 0, topic, who))


def apply(event: Event, store: Store, lookups: Lookups) -> None:
    """Folds one activity into the rollups. Must stay cheap: it runs after every relevant write."""
    handler = _HANDLERS.get(event.verb)
    if handler is not None:
        handler(event, store, lookups)


def _practice_shared(event: Event, store: Store, lookups: Lookups) -> None:
    state = store.get(PracticeState, (event.object_id,))
    if state is not None and state.shared_at is not None:
        return  # shared again after a retire/reactivate: counted once
    origin = _int(event.payload.get("practice_site")) or _int(event.site_id)
    if state is None:
        state = PracticeState(practice_id=event.object_id)
    state.origin_site_id = origin
    state.shared_at = event.created_at
    store.put(state)
    topics = lookups.topics_of_practice(event.object_id)
    _counted(store, event, Kind.PRACTICE_SHARED, site=origin, topics=topics)
    if state.first_adopted_elsewhere_at is not None:
        store.duration(
            HOURS_TO_ADOPTION,
            site=origin,
            topics=[],
            start=event.created_at,
            end=state.first_adopted_elsewhere_at,
        )


def _adoption(event: Event, store: Store, lookups: Lookups) -> None:
    status = event.verb.split(".", 1)[1]
    adopter = _int(event.site_id)
    origin = _int(event.payload.get("practice_site"))
    if not adopter or adopter == origin:
        return
    topics = lookups.topics_of_practice(event.object_id)
    state = store.get(AdoptionState, (event.object_id, adopter))
    if state is None:
        state = AdoptionState(
            practice_id=event.object_id,
            site_id=adopter,
            origin_site_id=origin,
            first_seen_at=event.created_at,
        )
        _counted(store, event, Kind.TRYING, site=adopter, other=origin, topics=topics)
    previous = state.status
    was_positive = state.adopted_at is not None and state.positive is True
    state.status = status
    state.positive = event.payload.get("positive")
    if status == "dropped" and previous != "dropped":
        _counted(store, event, Kind.DROPPED, site=adopter, other=origin, topics=topics)
    if status == "adapted" and not state.adapted:
        state.adapted = True
        _counted(store, event, Kind.ADAPTED, site=adopter, other=origin, topics=topics)
    if status in ADOPTED and state.adopted_at is None:
        state.adopted_at = event.created_at
        _counted(store, event, Kind.ADOPTED, site=adopter, other=origin, topics=topics)
        practice = store.get(PracticeState, (event.object_id,))
        if practice is None:
            practice = PracticeState(practice_id=event.object_id, origin_site_id=origin)
        if practice.first_adopted_elsewhere_at is None:
            practice.first_adopted_elsewhere_at = event.created_at
            store.put(practice)
            if practice.shared_at is not None:
                store.duration(
                    HOURS_TO_ADOPTION,
                    site=practice.origin_site_id,
                    topics=[],
                    start=practice.shared_at,
                    end=event.created_at,
                )
    is_positive = state.adopted_at is not None and state.positive is True
    if is_positive != was_positive:
        # The latest outcome decides, so this gauge also goes down.
        store.tally(ADOPTED_POSITIVE, site=adopter, other=origin, n=1 if is_positive else -1)
    store.put(state)


def _question_asked(event: Event, store: Store, lookups: Lookups) -> None:
    if store.get(QuestionState, (event.object_id,)) is not None:
        return
    site = _int(event.site_id)
    topics = lookups.topics_of_question(event.object_id)
    store.put(
        QuestionState(
            question_id=event.object_id, site_id=site, asked_at=event.created_at, topic_ids=topics
        )
    )
    _counted(store, event, Kind.ASKED, site=site, topics=topics)


def _question_answered(event: Event, store: Store, lookups: Lookups) -> None:
    question_id = _int(event.payload.get("question_id"))
    state = store.get(QuestionState, (question_id,))
    if state is None:
        return  # asked before analytics existed and not yet rebuilt: nothing to attach to
    answerer_site = _int(event.site_id)
    cross = bool(answerer_site and answerer_site != state.site_id)
    if state.first_answer_at is None:
        state.first_answer_at = event.created_at
        state.first_answer_cross_site = cross
        for topic in (0, *state.topic_ids):
            store.tally(FIRST_ANSWER, site=state.site_id, topic=topic)
            if cross:
                store.tally(FIRST_ANSWER_CROSS, site=state.site_id, topic=topic)
        store.duration(
            HOURS_TO_FIRST_ANSWER,
            site=state.site_id,
            topics=state.topic_ids,
            start=state.asked_at,
            end=event.created_at,
        )
    state.any_cross_site_answer = state.any_cross_site_answer or cross
    store.put(state)
    topics = state.topic_ids
    _counted(store, event, Kind.ANSWERED, site=answerer_site, other=state.site_id, topics=topics)
    if cross:
        _counted(
            store,
            event,
            Kind.ANSWERED_CROSS_SITE,
            site=answerer_site,
            other=state.site_id,
            topics=topics,
        )


def _answer_accepted(event: Event, store: Store, lookups: Lookups) -> None:
    state = store.get(QuestionState, (_int(event.payload.get("question_id")),))
    if state is not None:
        _counted(store, event, Kind.ACCEPTED, site=state.site_id, topics=state.topic_ids)


def _coaching_requested(event: Event, store: Store, lookups: Lookups) -> None:
    if store.get(RequestState, (event.object_id,)) is not None:
        return
    site, topic = _int(event.site_id), _int(event.payload.get("topic_id"))
    store.put(
        RequestState(
            request_id=event.object_id, site_id=site, topic_id=topic, requested_at=event.created_at
        )
    )
    _counted(store, event, Kind.REQUESTED, site=site, topics=[topic] if topic else [])


def _request_state(request_id: int | None, store: Store) -> RequestState | None:
    return None if request_id is None else store.get(RequestState, (request_id,))


def _coaching_accepted(event: Event, store: Store, lookups: Lookups) -> None:
    state = _request_state(lookups.request_of_match(event.object_id), store)
    if state is None or state.matched_at is not None:
        return
    state.matched_at = event.created_at
    state.coach_id = _int(event.actor_id)
    state.coach_site_id = _int(event.site_id)
    store.put(state)
    topics = [state.topic_id] if state.topic_id else []
    store.duration(
        HOURS_TO_MATCH,
        site=state.site_id,
        topics=topics,
        start=state.requested_at,
        end=event.created_at,
    )
    if state.coach_site_id and state.coach_site_id != state.site_id:
        for topic in (0, *topics):
            store.tally(MATCHED_CROSS, site=state.site_id, topic=topic)
    _counted(
        store, event, Kind.MATCHED, site=state.site_id, other=state.coach_site_id, topics=topics
    )


def _coaching_scheduled(event: Event, store: Store, lookups: Lookups) -> None:
    state = _request_state(lookups.request_of_session(event.object_id), store)
    if state is None:
        return
    state.sessions += 1
    store.put(state)
    topics = [state.topic_id] if state.topic_id else []
    if state.sessions == 1:
        for topic in (0, *topics):
            store.tally(SESSIONED, site=state.site_id, topic=topic)
            if state.helped:
                store.tally(HELPED_SESSIONED, site=state.site_id, topic=topic)
    _counted(
        store, event, Kind.SESSION, site=state.site_id, other=state.coach_site_id, topics=topics
    )


def _coaching_helped(event: Event, store: Store, lookups: Lookups) -> None:
    state = _request_state(lookups.request_of_feedback(event.object_id), store)
    if state is None or state.helped:
        return
    state.helped = True
    store.put(state)
    topics = [state.topic_id] if state.topic_id else []
    if state.sessions > 0:
        for topic in (0, *topics):
            store.tally(HELPED_SESSIONED, site=state.site_id, topic=topic)
    _counted(
        store, event, Kind.HELPED, site=state.site_id, other=state.coach_site_id, topics=topics
    )


def _reflection_written(event: Event, store: Store, lookups: Lookups) -> None:
    # Reflections are often private: only a per-site count is kept, never the topic or the text.
    _counted(store, event, Kind.REFLECTED, site=_int(event.site_id), topics=[])


_HANDLERS = {
    "practice.shared": _practice_shared,
    **dict.fromkeys(ADOPTION_VERBS, _adoption),
    "question.asked": _question_asked,
    "question.answered": _question_answered,
    "answer.accepted": _answer_accepted,
    "coaching.requested": _coaching_requested,
    "coaching.accepted": _coaching_accepted,
    "coaching.scheduled": _coaching_scheduled,
    "coaching.helped": _coaching_helped,
    "reflection.written": _reflection_written,
}


# --------------------------------------------------------------------------------- entry points


def event_from(activity: Any) -> Event:
    return Event(
        id=activity.pk,
        verb=activity.verb,
        actor_id=activity.actor_id,
        site_id=activity.site_id,
        object_id=activity.object_id,
        created_at=activity.created_at,
        payload=activity.payload or {},
    )


_last_enqueued: list[float] = [float("-inf")]


def rollup_on_activity(activity: Any) -> None:
    """Spine subscriber: asks for a fold soon; the write itself pays for no rollup statement.

    At most one fold is enqueued per ``ANALYTICS_FOLD_DELAY`` seconds per process, delayed by as
    much, so a burst of writes is folded in one batch. With a delay of 0 (tests) every activity
    is folded right after its commit.
    """
    if activity.verb not in VERBS:
        return
    delay = int(settings.ANALYTICS_FOLD_DELAY)
    now = time.monotonic()
    if delay and now - _last_enqueued[0] < delay:
        return
    _last_enqueued[0] = now
    from pollinate.core.tasks import task_enqueue

    task_enqueue("pollinate.analytics.tasks.rollups_fold", _delay=delay or None)


def _events(rows: Iterable[tuple[Any, ...]]) -> Iterator[Event]:
    for id_, verb, actor_id, site_id, object_id, created_at, payload in rows:
        yield Event(id_, verb, actor_id, site_id, object_id, created_at, payload or {})


_EVENT_COLUMNS = ("id", "verb", "actor_id", "site_id", "object_id", "created_at", "payload")


def rollups_fold(*, batch_size: int = 2000, max_batches: int | None = None) -> int:
    """Folds the activities recorded since the last fold, in id order; returns how many.

    Each batch and the cursor's advance commit together, so a crash folds nothing twice and
    loses nothing: the next fold resumes after the last committed batch. On SQLite, writers are
    serialised, so ids commit in order and the cursor never skips a late commit.
    """
    from pollinate.activity.models import Activity

    folded = batches = 0
    lookups = Lookups()
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            FoldCursor.objects.get_or_create(pk=1)
            # A write first: it takes the lock, so two folds never read the same cursor.
            FoldCursor.objects.filter(pk=1).update(last_activity_id=F("last_activity_id"))
            cursor = FoldCursor.objects.get(pk=1)
            rows = list(
                Activity.objects.filter(id__gt=cursor.last_activity_id, verb__in=VERBS)
                .order_by("id")
                .values_list(*_EVENT_COLUMNS)[:batch_size]
            )
            if rows:
                store = BatchStore()
                for event in _events(rows):
                    apply(event, store, lookups)
                store.write()
                cursor.last_activity_id = rows[-1][0]
            cursor.folded_at = timezone.now()
            cursor.save(update_fields=["last_activity_id", "folded_at"])
        folded += len(rows)
        batches += 1
        if len(rows) < batch_size:
            break
    return folded


# Verbs whose handler reads and keeps no state: a rebuild lets the database group them.
STATELESS_VERBS = {"reflection.written"}


def _aware(value: Any) -> datetime:
    """A timestamp read by a raw cursor, as the ORM would return it (aware, UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _payload(value: Any) -> dict[str, Any]:
    if isinstance(value, str | bytes):
        value = json.loads(value)
    return value or {}


def spine_events(
    *, upto: int | None = None, verbs: Iterable[str] = VERBS, chunk_size: int = 20000
) -> Iterator[Event]:
    """Every relevant activity of the spine (up to id ``upto``), oldest first.

    A raw cursor read in large chunks: the ORM's per-row converters cost more than the replay.
    """
    from pollinate.activity.models import Activity

    wanted = sorted(verbs)
    where = f"verb IN ({', '.join(['%s'] * len(wanted))})"
    params: list[Any] = list(wanted)
    if upto is not None:
        where += " AND id <= %s"
        params.append(upto)
    sql = (
        f"SELECT {', '.join(_EVENT_COLUMNS)} FROM {Activity._meta.db_table} "  # noqa: S608 -- ours
        f"WHERE {where} ORDER BY created_at, id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            for id_, verb, actor_id, site_id, object_id, created_at, payload in rows:
                yield Event(
                    id_, verb, actor_id, site_id, object_id, _aware(created_at), _payload(payload)
                )


def _fold_stateless(store: Store, *, upto: int) -> int:
    """Reflections, grouped by the database: the same counters and participants as replaying
    each through :func:`_reflection_written` (a test holds the two equal), without one Python
    object per activity. Order does not matter for them: they only add."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    from pollinate.activity.models import Activity

    total = 0
    if connection.vendor == "sqlite":
        # SQLite keeps UTC text: its own date() groups by UTC day in C, where TruncDate would
        # call a Python function per row.
        table = Activity._meta.db_table
        placeholders = ", ".join(["%s"] * len(STATELESS_VERBS))
        params: list[str | int] = [*sorted(STATELESS_VERBS), upto]
        where = f"FROM {table} WHERE verb IN ({placeholders}) AND id <= %s"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT date(created_at), site_id, COUNT(*) {where} GROUP BY 1, 2", params
            )
            per_day = [(date.fromisoformat(d), site, n) for d, site, n in cursor.fetchall()]
            cursor.execute(
                f"SELECT DISTINCT site_id, actor_id {where} AND actor_id IS NOT NULL", params
            )
            people = cursor.fetchall()
    else:
        rows = Activity.objects.filter(verb__in=list(STATELESS_VERBS), id__lte=upto)
        per_day = list(
            rows.annotate(day=TruncDate("created_at", tzinfo=UTC))
            .values_list("day", "site_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        people = list(
            rows.exclude(actor_id=None).values_list("site_id", "actor_id").distinct().order_by()
        )
    for day, site, n in per_day:
        store.count((day, _int(site), 0, 0, Kind.REFLECTED), n)
        total += n
    for site, person in people:
        store.participant((Kind.REFLECTED, _int(site), 0, 0, person))
    return total


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The replay builds millions of tuples that form no cycles; the cyclic collector would walk
    them all again and again as they accumulate (about 40 % of the replay's CPU at 1M)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def rollups_rebuild(*, timings: dict[str, float] | None = None) -> int:
    """Recomputes every rollup from the spine; returns the number of activities replayed.

    The fold cursor moves to the last activity that existed when the replay started, so the
    fold carries on with whatever was recorded during the rebuild. ``timings`` receives the CPU
    seconds of each phase (``grouped``, ``replay``, ``write``).
    """
    from django.db.models import Max

    from pollinate.activity.models import Activity

    phases = timings if timings is not None else {}
    started = time.process_time()

    def lap(name: str) -> None:
        nonlocal started
        now = time.process_time()
        phases[name] = round(now - started, 2)
        started = now

    upto = Activity.objects.aggregate(n=Max("id"))["n"] or 0
    lookups = Lookups()
    lookups.preload()
    store = MemoryStore()
    with _no_cyclic_gc():
        replayed = _fold_stateless(store, upto=upto)
        lap("grouped")
        for event in spine_events(upto=upto, verbs=VERBS - STATELESS_VERBS):
            apply(event, store, lookups)
            replayed += 1
        lap("replay")
        with transaction.atomic():
            store.write()
            FoldCursor.objects.update_or_create(
                pk=1, defaults={"last_activity_id": upto, "folded_at": timezone.now()}
            )
        lap("write")
    logger.info("analytics rollups rebuilt from %s activities (CPU s: %s)", replayed, phases)
    return replayed
