from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from pollinate.core.pagination import LimitOffsetPagination
from pollinate.core.ratelimit import RateLimited
from pollinate.people.access import api_member
from pollinate.people.models import Topic
from pollinate.people.schemas import ErrorOut
from pollinate.questions import selectors, services
from pollinate.questions.access import access_answer, access_question
from pollinate.questions.models import Answer, Question
from pollinate.questions.schemas import (
    AnswerIn,
    AnswerOut,
    CloseIn,
    CommentIn,
    QuestionIn,
    QuestionListItemOut,
    QuestionOut,
)

router = Router(tags=["questions"])


def _item(question: Question) -> QuestionListItemOut:
    return QuestionListItemOut(
        id=question.pk,
        title=question.title,
        status=question.status,
        site_code=question.site.code,
        author_id=question.author_id,
        answer_count=question.answer_count,
        created_at=question.created_at,
    )


def _answer(answer: Answer) -> AnswerOut:
    return AnswerOut(
        id=answer.pk,
        author_id=answer.author_id,
        author=answer.author.display_name,
        site_code=answer.author.site.code,
        body=answer.body,
        is_accepted=answer.is_accepted,
        is_cross_site=answer.is_cross_site,
        helpful_count=answer.helpful_count,
        created_at=answer.created_at,
    )


def _full(question: Question) -> QuestionOut:
    answers = selectors.answer_list_for_question(question=question)
    return QuestionOut(
        **_item(question).dict(),
        body=question.body,
        language=question.language,
        equipment=question.equipment,
        topic_ids=list(question.topic_links.values_list("topic_id", flat=True)),
        photo_url=question.photo.url if question.photo else None,
        close_reason=question.close_reason,
        duplicate_of_id=question.duplicate_of_id,
        practice_id=question.practice_id,
        answers=[_answer(answer) for answer in answers],
    )


class _LazyItems:
    """What the paginator slices: only the requested window is read and converted, and the count
    stops at ``LIST_COUNT_CAP`` (counting 300k questions on every call is a table scan)."""

    def __init__(self, questions: QuerySet[Question] | selectors.RankedQuestions) -> None:
        self.questions = questions

    def __len__(self) -> int:
        if isinstance(self.questions, QuerySet):
            return int(self.questions[: selectors.LIST_COUNT_CAP].count())
        return len(self.questions)

    def __getitem__(self, window: slice) -> list[QuestionListItemOut]:
        return [_item(question) for question in self.questions[window]]


@router.get("/", response=list[QuestionListItemOut])
@paginate(LimitOffsetPagination)
def questions_list(
    request: HttpRequest, scope: str = "all", q: str = ""
) -> list[QuestionListItemOut]:
    """scope: all | site (unanswered at my site) | could (questions I could answer) | mine."""
    person = api_member(request)
    questions: QuerySet[Question] | selectors.RankedQuestions
    if scope == "site":
        questions = selectors.question_list_unanswered_at_site(site=person.site)
    elif scope == "could":
        questions = selectors.question_list_could_answer(person=person)
    elif scope == "mine":
        questions = selectors.question_list_mine(person=person)
    else:
        questions = selectors.question_list(query=q[:100])
    return _LazyItems(questions)  # type: ignore[return-value]


@router.post("/", response={201: QuestionOut, 422: ErrorOut, 429: ErrorOut})
def questions_create(request: HttpRequest, payload: QuestionIn) -> tuple[int, QuestionOut]:
    person = api_member(request)
    topics = list(Topic.objects.filter(pk__in=payload.topic_ids, merged_into=None))
    try:
        question = services.question_ask(
            actor=person,
            title=payload.title,
            body=payload.body,
            language=payload.language,
            topics=topics,
            equipment=payload.equipment,
        )
    except RateLimited as limited:
        raise HttpError(429, str(limited)) from None
    return 201, _full(access_question(person, question.pk))


@router.get("/{question_id}", response={200: QuestionOut, 404: ErrorOut})
def questions_get(request: HttpRequest, question_id: int) -> QuestionOut:
    return _full(access_question(api_member(request), question_id))


@router.post(
    "/{question_id}/answers", response={201: AnswerOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
)
def answers_create(
    request: HttpRequest, question_id: int, payload: AnswerIn
) -> tuple[int, AnswerOut]:
    person = api_member(request)
    question = access_question(person, question_id)
    try:
        answer = services.answer_post(actor=person, question=question, body=payload.body)
    except RateLimited as limited:
        raise HttpError(429, str(limited)) from None
    return 201, _answer(access_answer(person, answer.pk))


@router.post("/answers/{answer_id}/accept", response={200: AnswerOut, 403: ErrorOut, 404: ErrorOut})
def answers_accept(request: HttpRequest, answer_id: int) -> AnswerOut:
    person = api_member(request)
    answer = services.answer_accept(actor=person, answer=access_answer(person, answer_id))
    return _answer(access_answer(person, answer.pk))


@router.post(
    "/answers/{answer_id}/helpful", response={200: AnswerOut, 403: ErrorOut, 404: ErrorOut}
)
def answers_helpful(request: HttpRequest, answer_id: int, helpful: bool = True) -> AnswerOut:
    person = api_member(request)
    answer = access_answer(person, answer_id)
    services.answer_mark_helpful(actor=person, answer=answer, helpful=helpful)
    return _answer(access_answer(person, answer_id))


@router.post("/answers/{answer_id}/comments", response={201: dict, 404: ErrorOut, 429: ErrorOut})
def comments_create(request: HttpRequest, answer_id: int, payload: CommentIn) -> tuple[int, dict]:
    person = api_member(request)
    try:
        comment = services.comment_post(
            actor=person, answer=access_answer(person, answer_id), body=payload.body
        )
    except RateLimited as limited:
        raise HttpError(429, str(limited)) from None
    return 201, {"id": comment.pk}


@router.post(
    "/{question_id}/close", response={200: QuestionOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def questions_close(request: HttpRequest, question_id: int, payload: CloseIn) -> QuestionOut:
    person = api_member(request)
    question = access_question(person, question_id, for_write=True)
    duplicate = access_question(person, payload.duplicate_of) if payload.duplicate_of else None
    services.question_close(
        actor=person,
        question=question,
        reason=payload.reason,
        duplicate_of=duplicate,
        practice_id=payload.practice_id,
    )
    return _full(access_question(person, question_id))


@router.put(
    "/{question_id}", response={200: QuestionOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def questions_update(request: HttpRequest, question_id: int, payload: QuestionIn) -> QuestionOut:
    """Edits one's own question (or, for a moderator, anyone's); the photo stays."""
    person = api_member(request)
    question = access_question(person, question_id, for_write=True)
    services.question_update(
        actor=person,
        question=question,
        title=payload.title,
        body=payload.body,
        language=payload.language,
        topics=list(Topic.objects.filter(pk__in=payload.topic_ids, merged_into=None)),
        equipment=payload.equipment,
    )
    return _full(access_question(person, question_id))


@router.delete("/{question_id}", response={204: None, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def questions_delete(request: HttpRequest, question_id: int) -> tuple[int, None]:
    """Deletes one's own question while nobody else answered it (a moderator: any question)."""
    person = api_member(request)
    services.question_delete(
        actor=person, question=access_question(person, question_id, for_write=True)
    )
    return 204, None


@router.put("/answers/{answer_id}", response={200: AnswerOut, 403: ErrorOut, 404: ErrorOut})
def answers_update(request: HttpRequest, answer_id: int, payload: AnswerIn) -> AnswerOut:
    person = api_member(request)
    answer = access_answer(person, answer_id, for_write=True)
    services.answer_update(actor=person, answer=answer, body=payload.body)
    return _answer(access_answer(person, answer_id))


@router.delete("/answers/{answer_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def answers_delete(request: HttpRequest, answer_id: int) -> tuple[int, None]:
    person = api_member(request)
    services.answer_delete(actor=person, answer=access_answer(person, answer_id, for_write=True))
    return 204, None
