"""Rollups kept from the activity spine, incrementally (one activity at a time, after commit) or by
replaying the whole spine (``analytics_rebuild``).

Both paths run the same :func:`apply` on the same :class:`Event`, against two stores: the database
store upserts rows one activity at a time; the memory store accumulates everything and is written
in bulk. Replaying the spine in (created_at, id) order therefore gives the incremental state.
Analytics only reads other apps: their models are looked up lazily, so an app that is not there yet
(or an object deleted since) only leaves its dimension empty.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from django.apps import apps
from django.db import connection, transaction

from pollinate.analytics.models import (
    AdoptionFact,
    DailyCount,
    Kind,
    Participant,
    PracticeFact,
    QuestionFact,
    RequestFact,
)

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


class Store:
    """Where :func:`apply` reads and writes rollup state."""

    def count(self, key: CountKey, n: int = 1) -> None:
        raise NotImplementedError

    def participant(self, key: ParticipantKey) -> None:
        raise NotImplementedError

    def get(self, kind: type[Any], key: tuple[int, ...]) -> Any:
        raise NotImplementedError

    def put(self, state: Any) -> None:
        raise NotImplementedError


class MemoryStore(Store):
    """Accumulates a whole replay in dictionaries; :meth:`write` replaces the tables with it."""

    def __init__(self) -> None:
        self.counts: dict[CountKey, int] = defaultdict(int)
        self.participants: set[ParticipantKey] = set()
        self.states: dict[tuple[type[Any], tuple[int, ...]], Any] = {}

    def count(self, key: CountKey, n: int = 1) -> None:
        self.counts[key] += n

    def participant(self, key: ParticipantKey) -> None:
        self.participants.add(key)

    def get(self, kind: type[Any], key: tuple[int, ...]) -> Any:
        return self.states.get((kind, key))

    def put(self, state: Any) -> None:
        self.states[(type(state), _state_key(state))] = state

    def write(self, *, batch_size: int = 5000) -> None:
        for model in (DailyCount, Participant, *_STATE_MODELS.values()):
            model.objects.all().delete()
        DailyCount.objects.bulk_create(
            (
                DailyCount(day=d, site_id=s, other_site_id=o, topic_id=t, kind=k, count=n)
                for (d, s, o, t, k), n in self.counts.items()
                if n
            ),
            batch_size=batch_size,
        )
        Participant.objects.bulk_create(
            (
                Participant(kind=k, site_id=s, other_site_id=o, topic_id=t, person_id=p)
                for (k, s, o, t, p) in self.participants
            ),
            batch_size=batch_size,
        )
        by_kind: dict[type[Any], list[Any]] = defaultdict(list)
        for (kind, _key), state in self.states.items():
            by_kind[kind].append(state)
        for kind, model in _STATE_MODELS.items():
            model.objects.bulk_create(
                (model(**_as_dict(s)) for s in by_kind.get(kind, [])), batch_size=batch_size
            )


class DatabaseStore(Store):
    """Upserts one activity's effects; the caller holds a transaction."""

    def count(self, key: CountKey, n: int = 1) -> None:
        day, site, other, topic, kind = key
        table = DailyCount._meta.db_table
        # One statement on both SQLite and PostgreSQL; concurrent writers add, never overwrite.
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (day, site_id, other_site_id, topic_id, kind, count) "  # noqa: S608 -- table name is ours
                "VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (day, site_id, other_site_id, topic_id, kind) "
                f"DO UPDATE SET count = {table}.count + excluded.count",
                [day, site, other, topic, kind, n],
            )

    def participant(self, key: ParticipantKey) -> None:
        kind, site, other, topic, person = key
        Participant.objects.bulk_create(
            [
                Participant(
                    kind=kind, site_id=site, other_site_id=other, topic_id=topic, person_id=person
                )
            ],
            ignore_conflicts=True,
        )

    def get(self, kind: type[Any], key: tuple[int, ...]) -> Any:
        model = _STATE_MODELS[kind]
        row = (
            model.objects.select_for_update()
            .filter(**dict(zip(_STATE_KEYS[kind], key, strict=True)))
            .values()
            .first()
        )
        if row is None:
            return None
        names = {f.name for f in fields(kind)}
        return kind(**{name: value for name, value in row.items() if name in names})

    def put(self, state: Any) -> None:
        kind = type(state)
        values = _as_dict(state)
        lookup = {name: values.pop(name) for name in _STATE_KEYS[kind]}
        _STATE_MODELS[kind].objects.update_or_create(**lookup, defaults=values)


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
    return tuple(getattr(state, name) for name in _STATE_KEYS[type(state)])


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


def rollup_on_activity(activity: Any) -> None:
    """Spine subscriber: folds one committed activity into the rollups."""
    if activity.verb not in VERBS:
        return
    with transaction.atomic():
        apply(event_from(activity), DatabaseStore(), Lookups())


def spine_events(*, chunk_size: int = 20000) -> Iterator[Event]:
    """Every relevant activity of the spine, oldest first."""
    from pollinate.activity.models import Activity

    rows = (
        Activity.objects.filter(verb__in=VERBS)
        .order_by("created_at", "id")
        .values_list("id", "verb", "actor_id", "site_id", "object_id", "created_at", "payload")
    )
    for row in rows.iterator(chunk_size=chunk_size):
        yield Event(*row)


def rollups_rebuild() -> int:
    """Recomputes every rollup from the spine; returns the number of activities replayed."""
    lookups = Lookups()
    lookups.preload()
    store = MemoryStore()
    replayed = 0
    for event in spine_events():
        apply(event, store, lookups)
        replayed += 1
    with transaction.atomic():
        store.write()
    logger.info("analytics rollups rebuilt from %s activities", replayed)
    return replayed
