"""What questions put in the shared full-text index (``pollinate.core.search``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pollinate.core.search import search_index, search_register, search_remove

if TYPE_CHECKING:
    from pollinate.questions.models import Question

QUESTION = "question"


def _topic_words(names: list[tuple[str, dict[str, str]]]) -> str:
    words: list[str] = []
    for name, translations in names:
        words.append(name)
        words.extend(str(value) for value in (translations or {}).values())
    return " ".join(words)


def _body(question: Question, topics: list[tuple[str, dict[str, str]]]) -> str:
    return "\n".join([question.body, " ".join(question.equipment or []), _topic_words(topics)])


def question_reindex(question: Question) -> None:
    """Call inside the transaction that wrote the question (or its topics)."""
    topics = list(question.topics.values_list("name", "name_translations"))
    search_index(QUESTION, question.pk, title=question.title, body=_body(question, topics))


def question_unindex(question_id: int) -> None:
    search_remove(QUESTION, question_id)


def _question_documents() -> Iterator[tuple[int, str, str]]:
    from pollinate.questions.models import Question

    questions = Question.objects.prefetch_related("topics").order_by("pk")
    for question in questions.iterator(chunk_size=1000):
        topics = [(topic.name, topic.name_translations) for topic in question.topics.all()]
        yield question.pk, question.title, _body(question, topics)


def register() -> None:
    search_register(QUESTION, documents=_question_documents)
