"""What the question page and the "help given" card cost in queries, and that what they reuse
between requests never shows one viewer another's view or a stale one."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pollinate.people.models import Person
from pollinate.people.tests.factories import TopicFactory
from pollinate.questions import services
from pollinate.questions.models import Answer
from pollinate.questions.selectors import help_given
from pollinate.questions.tests.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def _accepted_answer(author: Person, *, helpful: int, cross_site: bool) -> Answer:
    return AnswerFactory(
        author=author, is_accepted=True, is_cross_site=cross_site, helpful_count=helpful
    )


def test_help_given_is_one_query_for_eight_accepted_answers_as_for_one(
    alice: Person, charlie: Person
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    _accepted_answer(charlie, helpful=2, cross_site=True)
    with CaptureQueriesContext(connection) as one:
        first = help_given(person=charlie)
    answers = []
    for n in range(7):
        answer = _accepted_answer(charlie, helpful=n, cross_site=n % 2 == 0)
        Answer.objects.filter(pk=answer.pk).update(created_at=timezone.now() + timedelta(minutes=n))
        answers.append(answer)
    AnswerFactory(author=charlie, helpful_count=5)
    with CaptureQueriesContext(connection) as nine:
        help = help_given(person=charlie)
    assert len(nine) == len(one) == 1
    assert (first.answers, first.accepted, first.accepted_cross_site) == (1, 1, 1)
    assert first.helpful_marks == 2
    assert (help.answers, help.accepted, help.accepted_cross_site) == (9, 8, 5)
    assert help.helpful_marks == 2 + sum(range(7)) + 5
    # The five latest accepted answers, newest first, with their question and its site.
    latest = answers[::-1][:5]
    assert [r.url for r in help.recent_accepted] == [a.get_absolute_url() for a in latest]
    assert [r.title for r in help.recent_accepted] == [a.question.title for a in latest]
    assert [r.site for r in help.recent_accepted] == [a.question.site.name for a in latest]
    assert [r.is_cross_site for r in help.recent_accepted] == [a.is_cross_site for a in latest]


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


def test_the_question_page_reads_as_many_queries_for_eight_answers_as_for_one(
    as_client: Any, alice: Person, bob: Person, charlie: Person
) -> None:
    question = QuestionFactory(author=alice)
    first = AnswerFactory(question=question, author=charlie)
    services.comment_post(actor=alice, answer=first, body="thanks")
    client = as_client(bob)
    client.get(question.get_absolute_url())
    with CaptureQueriesContext(connection) as one:
        page = client.get(question.get_absolute_url()).content.decode()
    assert page.count('class="card stack answer') == 1
    for _ in range(7):
        answer = AnswerFactory(question=question)
        services.comment_post(actor=alice, answer=answer, body="thanks")
        services.comment_post(actor=charlie, answer=answer, body="Line one\nline <two>")
    with CaptureQueriesContext(connection) as eight:
        page = client.get(question.get_absolute_url()).content.decode()
    assert page.count('class="card stack answer') == 8
    assert page.count("Line one<br>line &lt;two&gt;</li>") == 7
    assert len(eight) == len(one)


def test_an_edit_shows_at_once_on_the_question_page(
    as_client: Any, alice: Person, bob: Person
) -> None:
    welding, painting = TopicFactory(name="Welding"), TopicFactory(name="Painting")
    question = services.question_ask(
        actor=alice, title="Cracks at dawn on line 3", body="First **text**", topics=[welding]
    )
    client = as_client(bob)
    before = client.get(question.get_absolute_url()).content.decode()
    assert "Cracks at dawn on line 3" in before and ">Welding</a>" in before
    services.question_update(
        actor=alice,
        question=question,
        title="Cracks at dusk on line 3",
        body="Second *text*",
        topics=[painting],
        equipment=["Jig 9"],
    )
    after = client.get(question.get_absolute_url()).content.decode()
    assert "Cracks at dusk on line 3" in after and "Cracks at dawn" not in after
    assert ">Painting</a>" in after and ">Welding</a>" not in after
    assert "<em>text</em>" in after and "<strong>text</strong>" not in after
    assert '<span class="chip chip--accent">Jig 9</span>' in after


def test_the_question_page_head_follows_each_viewers_language(
    as_client: Any, alice: Person, bob: Person
) -> None:
    topic = TopicFactory(name="Welding", name_translations={"fr": "Soudage"})
    question = services.question_ask(actor=alice, title="Cracks at dawn on line 3", topics=[topic])
    english = as_client(alice).get(question.get_absolute_url()).content.decode()
    bob.interface_language = "fr"
    bob.save()
    french = as_client(bob).get(question.get_absolute_url()).content.decode()
    assert ">Welding</a>" in english and "Soudage" not in english
    assert ">Soudage</a>" in french and ">Welding</a>" not in french
    assert "Ajouter un commentaire" not in english
    again = as_client(alice).get(question.get_absolute_url()).content.decode()
    assert ">Welding</a>" in again and "Soudage" not in again


def test_each_viewer_gets_their_own_controls_and_helpful_state(
    as_client: Any, alice: Person, bob: Person, charlie: Person
) -> None:
    question = QuestionFactory(author=alice)
    answer = AnswerFactory(question=question, author=charlie, helpful_count=0)
    services.answer_mark_helpful(actor=bob, answer=answer, helpful=True)
    edit = f'href="/questions/answers/{answer.pk}/edit/"'
    accept = f'action="/questions/answers/{answer.pk}/accept/"'
    as_bob = as_client(bob).get(question.get_absolute_url()).content.decode()
    as_alice = as_client(alice).get(question.get_absolute_url()).content.decode()
    as_charlie = as_client(charlie).get(question.get_absolute_url()).content.decode()
    assert 'aria-pressed="true">Helpful ✓</button>' in as_bob
    assert 'aria-pressed="false">This helped</button>' in as_alice
    # The author never marks their own answer, and sees how many did.
    assert "This helped" not in as_charlie and "Helpful ✓" not in as_charlie
    assert "1 found this helpful" in as_charlie
    assert edit in as_charlie and edit not in as_bob and edit not in as_alice
    assert accept in as_alice and accept not in as_bob and accept not in as_charlie
    # The asker's own question controls stay hers.
    assert f'href="/questions/{question.pk}/edit/"' in as_alice
    assert f'href="/questions/{question.pk}/edit/"' not in as_bob


def test_marking_helpful_with_htmx_answers_with_the_new_control(
    as_client: Any, alice: Person, bob: Person
) -> None:
    answer = AnswerFactory(question=QuestionFactory(author=alice))
    response = as_client(bob).post(
        f"/questions/answers/{answer.pk}/helpful/", {"helpful": "1"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith(f'<div class="helpful" id="helpful-{answer.pk}">')
    assert f'hx-target="#helpful-{answer.pk}"' in html
    assert '<input type="hidden" name="helpful" value="0">' in html
    assert 'aria-pressed="true">Helpful ✓</button>' in html
    assert "1 found this helpful" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_a_question_closed_as_a_duplicate_links_the_original(
    as_client: Any, alice: Person, bob: Person
) -> None:
    original = QuestionFactory(author=bob, title="The original torque question")
    question = QuestionFactory(author=alice)
    services.question_close(
        actor=alice, question=question, reason="duplicate", duplicate_of=original
    )
    page = as_client(bob).get(question.get_absolute_url()).content.decode()
    assert "Closed as a duplicate of" in page
    assert f'<a href="{original.get_absolute_url()}">The original torque question</a>' in page


def test_answer_extras_are_comments_oldest_first_and_only_the_viewers_marks(
    alice: Person, bob: Person, charlie: Person
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from pollinate.questions.models import AnswerHelpful, Comment
    from pollinate.questions.selectors import answer_extras

    question = QuestionFactory(author=alice)
    first, second, elsewhere = (
        AnswerFactory(question=question),
        AnswerFactory(question=question),
        AnswerFactory(),
    )
    now = timezone.now()
    Comment.objects.create(answer=first, author=bob, body="later", created_at=now)
    Comment.objects.create(
        answer=first, author=charlie, body="earlier", created_at=now - timedelta(hours=1)
    )
    Comment.objects.create(answer=elsewhere, author=bob, body="not here")
    AnswerHelpful.objects.create(answer=second, person=bob)
    AnswerHelpful.objects.create(answer=first, person=charlie)
    AnswerHelpful.objects.create(answer=elsewhere, person=bob)
    extras = answer_extras(answer_ids=[first.pk, second.pk], person=bob)
    assert [(c.author, c.site, c.body) for c in extras.comments[first.pk]] == [
        ("Charlie", charlie.site.name, "earlier"),
        ("Bob", bob.site.name, "later"),
    ]
    assert second.pk not in extras.comments
    assert extras.marked_helpful == {second.pk}
    assert answer_extras(answer_ids=[], person=bob).comments == {}


def test_a_question_number_beyond_any_row_is_not_found(as_client: Any, alice: Person) -> None:
    client = as_client(alice)
    assert client.get(f"/questions/{2**64}/").status_code == 404
    assert client.get("/questions/987654321/").status_code == 404
