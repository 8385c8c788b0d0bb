"""Who should see a new question: a few members most likely to answer it, preferring other sites.

``route_question`` is the one entry point the services call; it gathers signals with a handful of
queries and hands them to ``rank_candidates``, a pure function built on the coaching matching
scorer (``pollinate.coaching.matching.score_candidates``), so there is one scorer, not two.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from pollinate.coaching.matching import Candidate, Mode, Need, score_candidates

if TYPE_CHECKING:
    from pollinate.questions.models import Question

ROUTE_LIMIT = 5
PRE_CANDIDATES = 150  # people scored in full per question, out of every signal gathered


@dataclass
class CandidateSignals:
    """What we know about one possible answerer for one question."""

    person_id: int
    site_id: int
    languages: list[str] = field(default_factory=list)
    topic_levels: dict[int, int] = field(default_factory=dict)
    is_coach: bool = False
    answered_similar: int = 0
    accepted_similar: int = 0
    recent_offers: int = 0


@dataclass(frozen=True)
class RoutedCandidate:
    person_id: int
    score: float
    reasons: tuple[str, ...]


def rank_candidates(
    signals: list[CandidateSignals],
    *,
    asker_id: int,
    asker_site_id: int,
    languages: frozenset[str],
    topic_ids: list[int],
    max_recent_offers: int,
    limit: int = ROUTE_LIMIT,
) -> list[RoutedCandidate]:
    """Ranks possible answerers with the coaching matching scorer. Pure: no database access.

    The question is a ``Need`` and each person a ``Candidate`` whose capacity is the weekly offer
    cap, so the scorer's hard constraints (shared language, topic, free capacity) and its
    cross-site and spare-capacity reasons apply unchanged. Past answers on the same topics add
    points the coaching scorer does not know about.
    """
    need = Need(
        request_id=0,
        person_id=asker_id,
        site_id=asker_site_id,
        topic_id=topic_ids[0],
        languages=languages,
        mode=Mode.REMOTE,
        related_topic_ids=frozenset(topic_ids[1:]),
    )
    history = {entry.person_id: entry for entry in signals}
    candidates = []
    for entry in signals:
        levels = dict(entry.topic_levels)
        if entry.answered_similar and not levels:
            # Answered this topic before: known to know it, at least "practising".
            levels[topic_ids[0]] = 2
        candidates.append(
            Candidate(
                coach_id=entry.person_id,
                site_id=entry.site_id,
                topics=levels,
                languages=frozenset(entry.languages),
                modes=frozenset({Mode.REMOTE}),
                capacity=max_recent_offers,
                load=min(entry.recent_offers, max_recent_offers),
                certified_topic_ids=frozenset(levels) if entry.is_coach else frozenset(),
            )
        )
    ranked: list[RoutedCandidate] = []
    for suggestion in score_candidates(need, candidates):
        entry = history[suggestion.coach_id]
        best = max(entry.topic_levels.values(), default=0)
        if best < 3 and not entry.is_coach and not entry.answered_similar:
            continue  # only proficient people, coaches and past answerers are offered questions
        bonus = min(entry.answered_similar, 6) * 0.5 + min(entry.accepted_similar, 3) * 1.0
        codes = tuple(reason.code for reason in suggestion.reasons if reason.points > 0)
        if bonus:
            codes += ("answered_similar",)
        ranked.append(RoutedCandidate(entry.person_id, round(suggestion.score + bonus, 3), codes))
    ranked.sort(key=lambda candidate: (-candidate.score, candidate.person_id))
    return ranked[:limit]


def _question_topic_ids(question: Question) -> tuple[list[int], list[int]]:
    """The question's own topics, and those plus their child topics."""
    from pollinate.people.models import Topic

    direct = list(question.topic_links.values_list("topic_id", flat=True))
    children = list(Topic.objects.filter(parent_id__in=direct).values_list("pk", flat=True))
    return direct, direct + children


def route_question(*, question: Question, limit: int = ROUTE_LIMIT) -> list[RoutedCandidate]:
    """The people a new question is offered to, best first; never the asker."""
    from pollinate.notifications.selectors import notification_routing_opt_outs
    from pollinate.people.models import Person, Role, RoleName, Skill
    from pollinate.questions.models import Answer, QuestionOffer
    from pollinate.questions.selectors import question_ids_newest_on_topics

    direct_ids, topic_ids = _question_topic_ids(question)
    if not topic_ids:
        return []
    signals: dict[int, CandidateSignals] = {}
    # Proficient people, and coaches with any level in the topic.
    # No joins here: with person, user and roles joined, SQLite looked up three rows for every
    # skill of the topics (thousands at 20k members). Inactive people are dropped further down.
    coach_ids = Role.objects.filter(role=RoleName.COACH).values("person_id")
    skill_rows = (
        Skill.objects.filter(topic_id__in=topic_ids)
        .filter(Q(level__gte=3) | Q(person_id__in=coach_ids))
        .exclude(person_id=question.author_id)
        .values_list("person_id", "topic_id", "level")
        .order_by("-level")[:400]
    )
    for person_id, topic_id, level in skill_rows:
        entry = signals.setdefault(person_id, CandidateSignals(person_id=person_id, site_id=0))
        entry.topic_levels[topic_id] = max(entry.topic_levels.get(topic_id, 0), level)
    # Past answerers on the question's own topics (children would multiply the scan, and skills
    # already cover them).
    recent_questions = question_ids_newest_on_topics(direct_ids, limit=300, exclude=question.pk)
    answer_rows = (
        Answer.objects.filter(question_id__in=recent_questions)
        .exclude(author_id=question.author_id)
        .values("author_id")
        .annotate(n=Count("id"), accepted=Count("id", filter=Q(is_accepted=True)))
        .order_by("-accepted", "-n")[:100]
    )
    for row in answer_rows:
        entry = signals.setdefault(
            row["author_id"], CandidateSignals(person_id=row["author_id"], site_id=0)
        )
        entry.answered_similar, entry.accepted_similar = row["n"], row["accepted"]
    if not signals:
        return []

    # The scorer and the per-person lookups below cost per candidate: keep the strongest few
    # (level, or "practising" for past answerers, plus the same history bonus as the ranking).
    def strength(entry: CandidateSignals) -> float:
        level = max(entry.topic_levels.values(), default=2 if entry.answered_similar else 0)
        bonus = min(entry.answered_similar, 6) * 0.5 + min(entry.accepted_similar, 3) * 1.0
        return level + bonus

    ids = sorted(signals, key=lambda pk: (-strength(signals[pk]), pk))[:PRE_CANDIDATES]
    opted_out = notification_routing_opt_outs(person_ids=ids)
    people = Person.objects.filter(pk__in=ids, user__is_active=True).values_list(
        "pk", "site_id", "languages"
    )
    coaches = set(
        Person.objects.filter(pk__in=ids, roles__role=RoleName.COACH).values_list("pk", flat=True)
    )
    since = timezone.now() - timedelta(days=7)
    load = defaultdict(
        int,
        QuestionOffer.objects.filter(person_id__in=ids, created_at__gte=since)
        .values("person_id")
        .annotate(n=Count("id"))
        .values_list("person_id", "n"),
    )
    alive: list[CandidateSignals] = []
    for pk, site_id, languages in people:
        if pk in opted_out:
            continue
        entry = signals[pk]
        entry.site_id, entry.languages = site_id, list(languages or [])
        entry.is_coach, entry.recent_offers = pk in coaches, load[pk]
        alive.append(entry)
    author_languages = list(question.author.languages or [])
    return rank_candidates(
        alive,
        asker_id=question.author_id,
        asker_site_id=question.site_id,
        languages=frozenset([question.language, *author_languages]),
        topic_ids=topic_ids,
        max_recent_offers=settings.QUESTIONS_MAX_OFFERS_PER_WEEK,
        limit=limit,
    )
