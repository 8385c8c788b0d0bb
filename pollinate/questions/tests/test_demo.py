from __future__ import annotations

import pytest
from django.db.models import Count, F

from pollinate.activity.models import Activity
from pollinate.core.search import search_ids
from pollinate.people.demo import org_generate
from pollinate.questions.demo import populate
from pollinate.questions.models import Answer, Question, QuestionStatus, QuestionTopic
from pollinate.questions.search import QUESTION


@pytest.mark.django_db
def test_demo_questions_are_multilingual_answered_across_sites_and_consistent() -> None:
    org = org_generate(
        sites=8, members=160, seed=3, populate=False, scale={"questions": 120, "answers": 300}
    )
    populate(org=org, rng=org.rng_for("questions"))
    assert Question.objects.count() == 120
    assert len(set(Question.objects.values_list("language", flat=True))) > 1
    answers = Answer.objects.all()
    assert 200 < answers.count() < 400
    assert answers.filter(is_cross_site=True).count() > answers.count() / 3
    assert not answers.filter(author_id=F("question__author_id")).exists()
    # The denormalised counters and states agree with the rows, as the services leave them.
    counted = Question.objects.annotate(n=Count("answers")).exclude(n=F("answer_count"))
    assert not counted.exists()
    answered = Question.objects.filter(status=QuestionStatus.ANSWERED)
    assert answered.exists()
    assert not answered.filter(accepted_answer=None).exists()
    assert Answer.objects.filter(is_accepted=True).count() == answered.count()
    assert Question.objects.filter(status=QuestionStatus.OPEN, answer_count=0).exists()
    assert not QuestionTopic.objects.filter(is_open=True).exclude(question__status="open").exists()
    assert Activity.objects.filter(verb="answer.accepted").count() == answered.count()
    question = Question.objects.order_by("pk").last()
    assert question is not None
    assert question.pk in {pk for pk, _score in search_ids(QUESTION, question.title, limit=500)}


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_demo_questions() -> None:
    org = org_generate(sites=4, members=60, seed=5, populate=False, scale={"questions": 30})
    populate(org=org, rng=org.rng_for("questions"))
    first = list(Question.objects.order_by("pk").values_list("title", "created_at", "status"))
    Question.objects.all().delete()
    populate(org=org, rng=org.rng_for("questions"))
    again = list(Question.objects.order_by("pk").values_list("title", "created_at", "status"))
    assert first == again
