"""Who may see and change questions and answers: one door per resource.

Questions are asked to the whole network, so every member sees every question. The asker (or a
moderator) accepts and closes; an answer's author (or a moderator) edits it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from pollinate.core.compiled import compiled_first
from pollinate.people.models import Person, RoleName
from pollinate.questions.models import Answer, Question


def can_moderate(actor: Person, question: Question) -> bool:
    return actor.has_role(RoleName.MODERATOR, question.site)


def access_question(actor: Person, question_id: int, *, for_write: bool = False) -> Question:
    # Not the duplicate: only a question closed as one shows it (and reads it then).
    # Compiled once per process: the ORM spent longer building this SQL than running it.
    question = compiled_first(
        "questions-access-question",
        lambda pk: Question.objects.select_related("author", "author__site", "site").filter(pk=pk),
        pk=question_id,
    )
    if question is None:
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
