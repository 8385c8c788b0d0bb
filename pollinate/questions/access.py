"""Who may see and change questions and answers: one door per resource.

Questions are asked to the whole network, so every member sees every question. The asker (or a
moderator) accepts and closes; an answer's author (or a moderator) edits it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from pollinate.core.compiled import compiled_models
from pollinate.people.models import Person, RoleName
from pollinate.questions.models import Answer, Question

_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1


def can_moderate(actor: Person, question: Question) -> bool:
    return actor.has_role(RoleName.MODERATOR, question.site)


def access_question(actor: Person, question_id: int, *, for_write: bool = False) -> Question:
    # A primary key lookup, unordered (as practices do): ``first()`` orders by pk, and with this
    # many joined columns the ORM spent most of the lookup comparing the ordering to the select.
    # Not the duplicate: only a question closed as one shows it (and reads it then).
    # Compiled once per process: the ORM spent longer building this SQL than running it.
    if not _BIGINT_MIN <= question_id <= _BIGINT_MAX:
        raise Http404  # no such row, and the SQL binds the value as it is
    found = compiled_models(
        "questions-access-question",
        lambda pk: (
            Question.objects.select_related("author", "author__site", "site")
            .filter(pk=pk)
            .order_by()[:1]
        ),
        pk=question_id,
    )
    question = found[0] if found else None
    if not isinstance(question, Question):
        raise Http404
    if for_write and question.author_id != actor.pk and not can_moderate(actor, question):
        raise PermissionDenied
    return question


def access_answer(actor: Person, answer_id: int, *, for_write: bool = False) -> Answer:
    found = list(
        Answer.objects.select_related("question", "question__site", "author", "author__site")
        .filter(pk=answer_id)
        .order_by()[:1]
    )
    answer = found[0] if found else None
    if answer is None:
        raise Http404
    if for_write and answer.author_id != actor.pk and not can_moderate(actor, answer.question):
        raise PermissionDenied
    return answer


def can_accept(actor: Person, question: Question) -> bool:
    return question.author_id == actor.pk or can_moderate(actor, question)
