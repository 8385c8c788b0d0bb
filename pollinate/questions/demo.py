"""Demo questions and answers for ``generate_org`` (bulk inserts; no routing or notifications)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from pollinate.questions.models import Answer, Question, QuestionStatus, QuestionTopic

STEMS = [
    "Why does the weld crack on cold mornings?",
    "How do you keep changeover under 20 minutes?",
    "Best way to label spare parts so night shift finds them?",
    "What torque do you use on the press guard bolts?",
    "How do you train new starters on lockout?",
]


def populate(*, org: Any, rng: random.Random) -> None:
    people = list(org.person_ids)
    sites = {site.pk: site for site in org.sites}
    if not people or not sites:
        return
    from pollinate.people.models import Person

    site_of = dict(Person.objects.filter(pk__in=people).values_list("pk", "site_id"))
    count = int(org.scale.get("questions", 200))
    now = timezone.now()
    questions = []
    for n in range(count):
        author = rng.choice(people)
        created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
        questions.append(
            Question(
                author_id=author,
                site_id=site_of[author],
                title=f"{rng.choice(STEMS)} ({n})",
                body="We tried the obvious things.",
                created_at=created,
                last_activity_at=created,
            )
        )
    Question.objects.bulk_create(questions, batch_size=2000)
    links, answers = [], []
    topics = list(org.topics)
    for question in questions:
        if topics:
            links.append(
                QuestionTopic(
                    question=question,
                    topic=rng.choice(topics),
                    created_at=question.created_at,
                    is_open=True,
                )
            )
        for _ in range(rng.randint(0, 4)):
            author = rng.choice(people)
            answers.append(
                Answer(
                    question=question,
                    author_id=author,
                    body="What worked for us: check the basics first.",
                    is_cross_site=site_of[author] != question.site_id,
                    created_at=question.created_at + timedelta(hours=rng.randint(1, 72)),
                )
            )
            question.answer_count += 1
    QuestionTopic.objects.bulk_create(links, batch_size=5000)
    Answer.objects.bulk_create(answers, batch_size=5000)
    Question.objects.bulk_update(questions, ["answer_count"], batch_size=2000)
    # Accept the first answer of about half the answered questions.
    accepted = {}
    for answer in answers:
        accepted.setdefault(answer.question_id, answer)
    chosen = [a for a in accepted.values() if rng.random() < 0.5]
    for answer in chosen:
        answer.is_accepted = True
    Answer.objects.bulk_update(chosen, ["is_accepted"], batch_size=2000)
    ids = [a.question_id for a in chosen]
    Question.objects.filter(pk__in=ids).update(status=QuestionStatus.ANSWERED)
    QuestionTopic.objects.filter(question_id__in=ids).update(is_open=False)
