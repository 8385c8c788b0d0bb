"""Reads about questions: lists (all, unanswered at my site, I could answer, mine) and details."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.functional import cached_property

from pollinate.core.compiled import compiled_models
from pollinate.core.reversing import URL_MARKER as _URL_MARKER
from pollinate.core.search import search_ids
from pollinate.people.models import Person, Site, Skill, Topic
from pollinate.questions.models import (
    Answer,
    AnswerHelpful,
    Comment,
    Question,
    QuestionOffer,
    QuestionStatus,
    QuestionTopic,
)
from pollinate.questions.search import QUESTION

if TYPE_CHECKING:
    from pollinate.practices.models import Practice

# Newest matching open questions considered per topic scan: five pages of 20 per topic. 200 cost
# 3–5 ms more CPU per page at 300k questions for pages nobody reaches (older ones are searchable).
COULD_ANSWER_WINDOW = 100
LIST_COUNT_CAP = 1_000  # list pages count at most this many rows (50 pages of 20)


class CappedPaginator(Paginator):
    """Counts at most ``LIST_COUNT_CAP`` rows: ``COUNT(*)`` over 300k questions is a table scan on
    every list page, and nobody pages past the 50th; search and filters reach older questions."""

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            return int(self.object_list[:LIST_COUNT_CAP].count())
        return len(self.object_list)


def _with_cards(questions: QuerySet[Question]) -> QuerySet[Question]:
    return questions.select_related("author", "author__site", "site").prefetch_related(
        Prefetch("topics", queryset=Topic.objects.only("id", "name", "name_translations", "slug"))
    )


class RankedQuestions:
    """Search results in relevance order, for the paginator: the ranking is a list of ids, and only
    the page being shown is read (with its cards' related rows)."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int, /) -> Question: ...
    @overload
    def __getitem__(self, index: slice, /) -> list[Question]: ...
    def __getitem__(self, index: int | slice, /) -> Question | list[Question]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        ids = self.ids[index]
        page = _with_cards(Question.objects.filter(pk__in=ids))
        rows = {question.pk: question for question in page}
        return [rows[pk] for pk in ids if pk in rows]

    def __iter__(self) -> Iterator[Question]:
        return iter(self[:])


def question_ids_newest_on_topics(
    topic_ids: list[int], *, limit: int, open_only: bool = False, exclude: int | None = None
) -> list[int]:
    """The newest ``limit`` question ids on any of the topics, one index walk per topic.

    ``topic_id IN (...) ORDER BY created_at`` makes SQLite read and sort every row of those topics
    (thousands each at 300k questions). Here each topic reads at most ``limit`` rows from the
    ``(topic, [is_open,] -created_at)`` indexes, all in one statement (``UNION ALL`` of limited
    subqueries: SQLite and PostgreSQL alike), and the lists are merged in Python. Raw SQL because
    building one ORM query per topic cost more than running them.
    """
    if not topic_ids or limit <= 0:
        return []
    table = connection.ops.quote_name(QuestionTopic._meta.db_table)
    where = "topic_id = %s"
    if open_only:
        where += " AND is_open = %s"
    if exclude is not None:
        where += " AND question_id <> %s"
    parts: list[str] = []
    params: list[int | bool] = []
    for index, topic_id in enumerate(topic_ids):
        # Only the quoted table name and fixed clauses are interpolated; values are parameters.
        parts.append(
            f"SELECT * FROM (SELECT created_at, question_id FROM {table} WHERE {where}"  # noqa: S608
            f" ORDER BY created_at DESC LIMIT %s) AS t{index}"
        )
        params.append(topic_id)
        if open_only:
            params.append(True)
        if exclude is not None:
            params.append(exclude)
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    rows.sort(key=lambda row: (row[0], row[1]), reverse=True)
    return list(dict.fromkeys(int(question_id) for _created, question_id in rows))[:limit]


def question_list(
    *, query: str = "", topic: Topic | None = None
) -> QuerySet[Question] | RankedQuestions:
    """All questions, newest first; with a query, the full-text matches, most relevant first.

    The search index ranks at most ``SEARCH_CANDIDATE_CAP`` of the newest matches, so a common
    word costs the same as a rare one. Ranking happens in Python on ids: ordering SQL by a
    ``CASE`` over hundreds of ids cost more to compile than the whole search. A topic filter walks
    the topic's own index (the newest ``LIST_COUNT_CAP``) instead of joining and sorting.
    """
    if not query.strip():
        if topic is None:
            return _with_cards(Question.objects.order_by("-created_at", "-id"))
        return RankedQuestions(question_ids_newest_on_topics([topic.pk], limit=LIST_COUNT_CAP))
    ranked = [object_id for object_id, _score in search_ids(QUESTION, query)]
    if ranked and topic is not None:
        # Looked up by question (at most the candidate cap), not by topic (thousands of rows).
        links = QuestionTopic.objects.filter(question_id__in=ranked).values_list(
            "question_id", "topic_id"
        )
        kept = {question_id for question_id, topic_id in links if topic_id == topic.pk}
        ranked = [pk for pk in ranked if pk in kept]
    return RankedQuestions(ranked)


def question_list_unanswered_at_site(*, site: Site) -> QuerySet[Question]:
    return _with_cards(
        Question.objects.filter(site=site, status=QuestionStatus.OPEN, answer_count=0).order_by(
            "-created_at", "-id"
        )
    )


def question_list_mine(*, person: Person) -> QuerySet[Question]:
    return _with_cards(Question.objects.filter(author=person).order_by("-created_at", "-id"))


def question_list_could_answer(*, person: Person) -> RankedQuestions:
    """Open questions offered to me, or about topics where I am proficient, newest first.

    Candidate ids come from index walks that do not grow with the table (my newest offers, the
    newest open questions per topic); they are then checked and ordered on their primary keys in
    Python, because without planner statistics SQLite prefers the status index for
    ``id IN (...) AND status = 'open'`` and reads every open question.
    """
    topic_ids = list(
        Skill.objects.filter(person=person, level__gte=3).values_list("topic_id", flat=True)
    )
    ids: set[int] = set(
        QuestionOffer.objects.filter(person=person)
        .order_by("-created_at")
        .values_list("question_id", flat=True)[:COULD_ANSWER_WINDOW]
    )
    if topic_ids:
        ids.update(
            question_ids_newest_on_topics(topic_ids[:12], limit=COULD_ANSWER_WINDOW, open_only=True)
        )
    rows = Question.objects.filter(pk__in=ids).values_list(
        "pk", "status", "author_id", "created_at"
    )
    kept = [
        (created_at, pk)
        for pk, status, author_id, created_at in rows
        if status == QuestionStatus.OPEN and author_id != person.pk
    ]
    kept.sort(reverse=True)
    return RankedQuestions([pk for _created, pk in kept])


def answer_list_for_question(*, question: Question) -> QuerySet[Answer]:
    """The answers, accepted and most helpful first, with their authors (comments and the viewer's
    marks: ``answer_extras``)."""
    return Answer.objects.filter(question=question).select_related("author", "author__site")


def answers_shown(*, question: Question) -> list[Answer]:
    """``answer_list_for_question`` for the question page, its SQL compiled once per process."""
    found = compiled_models(
        "questions-answers-shown",
        lambda question_id: answer_list_for_question(question=Question(pk=question_id)),
        question_id=question.pk,
    )
    return [answer for answer in found if isinstance(answer, Answer)]


@dataclass(frozen=True)
class CommentLine:
    """What the question page shows of a comment."""

    author: str
    site: str
    body: str


@dataclass(frozen=True)
class AnswerExtras:
    """Under a question's answers: their comments (oldest first) and the viewer's helpful marks."""

    comments: dict[int, list[CommentLine]]
    marked_helpful: set[int]


def answer_extras(*, answer_ids: list[int], person: Person) -> AnswerExtras:
    """Comments and the viewer's helpful marks for these answers, as plain values in one
    statement: two ORM queries (comment instances with authors and sites, then the marks) cost the
    question page several times what the database spent answering them. Only quoted table names
    are interpolated; every value is a parameter."""
    if not answer_ids:
        return AnswerExtras({}, set())
    table = connection.ops.quote_name
    ids = ", ".join(["%s"] * len(answer_ids))
    with connection.cursor() as cursor:
        # Comments oldest first, as Comment's ordering (created_at, then id); marks after them.
        cursor.execute(
            "SELECT 0, c.answer_id, p.display_name, s.name, c.body, c.created_at, c.id"  # noqa: S608 -- names
            f" FROM {table(Comment._meta.db_table)} c"
            f" INNER JOIN {table(Person._meta.db_table)} p ON c.author_id = p.id"
            f" INNER JOIN {table(Site._meta.db_table)} s ON p.site_id = s.id"
            f" WHERE c.answer_id IN ({ids})"
            " UNION ALL SELECT 1, answer_id, NULL, NULL, NULL, NULL, NULL"
            f" FROM {table(AnswerHelpful._meta.db_table)}"
            f" WHERE answer_id IN ({ids}) AND person_id = %s ORDER BY 1, 6, 7",
            [*answer_ids, *answer_ids, person.pk],
        )
        rows = cursor.fetchall()
    comments: dict[int, list[CommentLine]] = {}
    marked: set[int] = set()
    for kind, answer_id, author, site, body, _created, _id in rows:
        if kind == 1:
            marked.add(answer_id)
        else:
            comments.setdefault(answer_id, []).append(CommentLine(author, site, body))
    return AnswerExtras(comments, marked)


@dataclass(frozen=True)
class RecentHelp:
    """An accepted answer as the "help given" card lists it."""

    url: str
    title: str
    site: str
    is_cross_site: bool


@dataclass(frozen=True)
class HelpGiven:
    answers: int
    accepted: int
    accepted_cross_site: int
    helpful_marks: int
    recent_accepted: list[RecentHelp]


def help_given(*, person: Person) -> HelpGiven:
    """Recognition from help given: accepted and helpful answers, especially across sites.

    Shown on every person's page, so it is one statement: the totals over the author's answers
    and their five latest accepted ones with the question's title and site (an aggregate and a
    query with its joins cost the page several times what the database spent on them). Only
    quoted table names are interpolated; every value is a parameter.
    """
    table = connection.ops.quote_name
    answers = table(Answer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 0, COUNT(*), SUM(CASE WHEN is_accepted THEN 1 ELSE 0 END),"  # noqa: S608 -- names
            " SUM(CASE WHEN is_accepted AND is_cross_site THEN 1 ELSE 0 END),"
            f" SUM(helpful_count), NULL, NULL FROM {answers} WHERE author_id = %s"
            " UNION ALL SELECT * FROM (SELECT 1, a.id, a.question_id,"
            " CASE WHEN a.is_cross_site THEN 1 ELSE 0 END, 0, q.title, s.name"
            f" FROM {answers} a INNER JOIN {table(Question._meta.db_table)} q"
            f" ON a.question_id = q.id INNER JOIN {table(Site._meta.db_table)} s"
            " ON q.site_id = s.id WHERE a.author_id = %s AND a.is_accepted"
            " ORDER BY a.created_at DESC, a.id DESC LIMIT 5) AS recent",
            [person.pk, person.pk],
        )
        rows = cursor.fetchall()
    totals = next(row for row in rows if row[0] == 0)
    detail = reverse("questions:detail", args=[_URL_MARKER])
    recent = [
        RecentHelp(
            url=f"{detail.replace(str(_URL_MARKER), str(question_id))}#answer-{answer_id}",
            title=title,
            site=site,
            is_cross_site=bool(cross_site),
        )
        for kind, answer_id, question_id, cross_site, _unused, title, site in rows
        if kind == 1
    ]
    return HelpGiven(
        answers=int(totals[1] or 0),
        accepted=int(totals[2] or 0),
        accepted_cross_site=int(totals[3] or 0),
        helpful_marks=int(totals[4] or 0),
        recent_accepted=recent,
    )


PRACTICE_CHOICES = 8


def practice_choices(*, actor: Person, question: Question, query: str = "") -> list[Practice]:
    """Practices the closer may pick as "answered by": search results, or, before any search,
    the newest live practices on the question's topics. Only practices the actor may see."""
    from pollinate.practices.selectors import PracticeFilters, practice_list, practice_search

    query = query.strip()[:100]
    if query:
        return practice_search(
            actor=actor, filters=PracticeFilters(query=query), limit=PRACTICE_CHOICES
        )
    topic = question.topics.order_by("pk").first()
    if topic is None:
        return []
    return list(practice_list(actor=actor, filters=PracticeFilters(topic=topic))[:PRACTICE_CHOICES])


def practice_closing(*, actor: Person, question: Question) -> Practice | None:
    """The practice a question was closed with, when the viewer may see it."""
    if question.practice_id is None:
        return None
    from pollinate.practices.models import Practice

    return Practice.objects.visible_to(actor).filter(pk=question.practice_id).first()
