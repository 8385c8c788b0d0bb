"""What the question page and the "help given" card cost in queries, and that what they reuse
between requests never shows one viewer another's view or a stale one."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pollinate.people.models import Person
from pollinate.questions.models import Answer
from pollinate.questions.selectors import help_given
from pollinate.questions.tests.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def _accepted_answer(author: Person, *, helpful: int, cross_site: bool) -> Answer:
    return AnswerFactory(
        author=author, is_accepted=True, is_cross_site=cross_site, helpful_count=helpful
    )


def test_help_given_reads_as_many_queries_for_eight_accepted_answers_as_for_one(
    alice: Person, charlie: Person
) -> None:
    _accepted_answer(charlie, helpful=2, cross_site=True)
    with CaptureQueriesContext(connection) as one:
        first = help_given(person=charlie)
    for n in range(7):
        _accepted_answer(charlie, helpful=n, cross_site=n % 2 == 0)
    AnswerFactory(author=charlie, helpful_count=5)
    with CaptureQueriesContext(connection) as nine:
        help = help_given(person=charlie)
    assert len(nine) == len(one) == 2
    assert (first.answers, first.accepted, first.helpful_marks) == (1, 1, 2)
    assert (help.answers, help.accepted, help.accepted_cross_site) == (9, 8, 5)
    assert help.helpful_marks == 2 + sum(range(7)) + 5
    assert len(help.recent_accepted) == 5
    # What the card shows of each is loaded with it.
    with CaptureQueriesContext(connection) as shown:
        for answer in help.recent_accepted:
            assert answer.question.title and answer.question.site.name and answer.get_absolute_url()
    assert len(shown) == 0


def test_help_given_for_someone_without_accepted_answers_is_one_query(
    django_assert_num_queries: Any, bob: Person
) -> None:
    AnswerFactory(author=bob, helpful_count=3)
    with django_assert_num_queries(1):
        help = help_given(person=bob)
    assert (help.answers, help.accepted, help.helpful_marks, help.recent_accepted) == (1, 0, 3, [])


def test_the_help_given_card_links_recent_accepted_answers_with_their_site(
    as_client: Any, alice: Person, charlie: Person
) -> None:
    question = QuestionFactory(author=alice, title="Which torque for the M8 bolts?")
    answer = AnswerFactory(question=question, author=charlie, is_accepted=True, is_cross_site=True)
    page = as_client(alice).get(charlie.get_absolute_url()).content.decode()
    assert f'href="{answer.get_absolute_url()}">Which torque for the M8 bolts?</a>' in page
    assert f"· {alice.site.name}</span>" in page
    assert "Across sites" in page
