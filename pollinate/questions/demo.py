"""Demo questions for ``generate_org``: multilingual, answered across sites, some accepted.

``populate`` is the ``generate_org`` hook; ``questions_generate`` is the same generator with the
sizes given explicitly, which the benchmark (``questions/bench.py``) calls for 300k questions and
1M answers. Everything is bulk-inserted in chunks of questions (memory stays flat at any size),
and routing offers, helpful marks, comments, the activity spine rows and the search index are
written as the services would have left them, minus notifications (generated history is not
news).

Shape of the data: a question is written in a language its author speaks, on one or two of the
author's topics; about 15 % stay unanswered (more among the newest); answers come from people who
know the topic and share the language, about 60 % from another site; about half of the answered
questions have an accepted answer and a few are closed as duplicates.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.urls import reverse

from pollinate.activity.models import Activity
from pollinate.core.search import search_index_many
from pollinate.questions.models import (
    Answer,
    AnswerHelpful,
    CloseReason,
    Comment,
    Question,
    QuestionOffer,
    QuestionStatus,
    QuestionTopic,
    RoutingReason,
)
from pollinate.questions.search import QUESTION

CHUNK = 5000  # questions per round of inserts
BATCH = 2000

# (title, details) per language; {topic} is the question's first topic, {n} a number.
QUESTIONS: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("Why does {topic} drift after the lunch break?",
         "Settings are checked at shift start. After about {n} minutes stopped, the first parts"
         " are out of tolerance. Anyone seen this?"),
        ("How do you keep {topic} changeover under {n} minutes?",
         "We are at 45 minutes on line 2. Which steps did you move outside the stop?"),
        ("Best way to label spare parts for {topic} so night shift finds them?",
         "Labels fade and the shelves get mixed up. Photos welcome."),
        ("What do you check first when {topic} alarms at start-up?",
         "The manual lists {n} causes. Which one is it usually, in your experience?"),
        ("How do you train new starters on {topic} safely?",
         "We pair them for a week, but mistakes still happen in week two."),
    ],
    "fr": [
        ("Pourquoi {topic} dérive-t-il après la pause ?",
         "Les réglages sont vérifiés en début de poste. Après {n} minutes d'arrêt, les premières"
         " pièces sont hors tolérance."),
        ("Comment réduire le changement de série sur {topic} ?",
         "Nous sommes à {n} minutes. Quelles étapes faites-vous machine en marche ?"),
        ("Quel contrôle faites-vous d'abord sur {topic} ?",
         "Le manuel liste plusieurs causes. Laquelle est la plus fréquente chez vous ?"),
    ],
    "de": [
        ("Warum weicht {topic} nach der Pause ab?",
         "Nach {n} Minuten Stillstand sind die ersten Teile außer Toleranz."),
        ("Wie haltet ihr den Rüstwechsel bei {topic} kurz?",
         "Wir brauchen {n} Minuten. Was macht ihr vor dem Stopp?"),
    ],
    "es": [
        ("¿Cómo reducís el cambio de formato en {topic}?",
         "Tardamos {n} minutos. ¿Qué pasos hacéis con la máquina en marcha?"),
    ],
    "pt": [
        ("Porque é que {topic} falha no arranque?",
         "Acontece depois de {n} minutos parado. Alguém já viu isto?"),
    ],
    "pl": [
        ("Jak skrócić przezbrojenie {topic}?",
         "Zajmuje nam {n} minut. Co robicie przed zatrzymaniem maszyny?"),
    ],
    "ja": [
        ("{topic}：段取り替えを短くするには？",
         "今は{n}分かかります。停止前に何を準備していますか。"),
    ],
    "zh": [
        ("{topic}：开机报警时先检查什么？", "手册列出了{n}个原因，你们通常先查哪一个？"),
    ],
}  # fmt: skip

ANSWERS: dict[str, list[str]] = {
    "en": [
        "We had the same. It was the coolant temperature: we now warm up for {n} minutes.",
        "Check the clamp pressure first; ours dropped after every long stop.",
        "Move tool presetting outside the stop. We went from 45 to {n} minutes.",
        "Shadow board plus a photo of the right setting at the machine. Works on nights too.",
        "Ask maintenance for the sensor log; in our case a loose connector explained it.",
    ],
    "fr": [
        "Même problème chez nous : la température du liquide. Chauffe de {n} minutes maintenant.",
        "Vérifiez d'abord la pression de serrage, elle baissait après chaque arrêt.",
        "Préréglage des outils hors arrêt : nous sommes passés à {n} minutes.",
    ],
    "de": [
        "Bei uns war es die Kühlmitteltemperatur. Jetzt {n} Minuten Warmlauf.",
        "Erst den Spanndruck prüfen, der fiel bei uns nach jedem Stillstand.",
    ],
    "es": ["Nos pasó lo mismo: era la temperatura del refrigerante. Calentamos {n} minutos."],
    "pt": ["Connosco era a pressão de aperto. Verifiquem isso primeiro."],
    "pl": ["U nas pomogło przygotowanie narzędzi przed postojem: teraz {n} minut."],
    "ja": ["工具のプリセットを停止前に行い、{n}分に短縮しました。"],
    "zh": ["我们先检查冷却液温度，现在预热{n}分钟。"],
}
COMMENTS = [
    "Thanks, trying this on Monday.",
    "Which sensor exactly?",
    "Merci, ça a marché !",
    "Danke, hat geholfen.",
    "Could you share a photo of the board?",
]
EQUIPMENT = ["press 4", "robot cell B", "CNC lathe", "line 2", "oven 1", "AGV", "torque wrench"]


@dataclass(frozen=True)
class _Plan:
    """What one question becomes, decided before anything is written."""

    answers: int
    accepted: bool
    duplicate: bool


def _plan(rng: random.Random, *, mean_answers: float, recent: bool) -> _Plan:
    unanswered = 0.45 if recent else 0.12
    if rng.random() < unanswered:
        return _Plan(0, False, False)
    # Geometric number of answers with the requested mean over answered questions.
    extra_mean = max(mean_answers / (1 - 0.15) - 1, 0.01)
    p = 1 / (1 + extra_mean)
    answers = 1 + int(math.log(1 - rng.random()) / math.log(1 - p)) if p < 1 else 1
    roll = rng.random()
    return _Plan(min(answers, 40), roll < 0.5, 0.5 <= roll < 0.53)


def _text(rng: random.Random, table: dict[str, list[Any]], language: str) -> Any:
    return rng.choice(table.get(language) or table["en"])


def populate(*, org: Any, rng: random.Random) -> None:
    questions_generate(
        org=org, rng=rng, questions=int(org.scale["questions"]), answers=int(org.scale["answers"])
    )


def questions_generate(
    *, org: Any, rng: random.Random, questions: int, answers: int
) -> dict[str, int]:
    """Writes ``questions`` questions and about ``answers`` answers; returns the counts written."""
    people: list[int] = list(org.person_ids)
    if not people or questions <= 0:
        return {}
    topics = list(org.leaf_topics or org.topics)
    topic_by_id = {topic.pk: topic for topic in topics}
    # Who knows what, per language: answerers share the question's language.
    knows: dict[tuple[int, str], list[int]] = defaultdict(list)
    for topic_id, expert_ids in org.experts.items():
        for person_id in expert_ids:
            for language in org.languages_of(person_id):
                knows[(topic_id, language)].append(person_id)
    speakers: dict[str, list[int]] = defaultdict(list)
    for person_id in people:
        for language in org.languages_of(person_id):
            speakers[language].append(person_id)
    mean_answers = answers / questions
    counts: dict[str, int] = defaultdict(int)
    previous_ids: list[int] = []
    for start in range(0, questions, CHUNK):
        size = min(CHUNK, questions - start)
        written = _chunk(
            org=org,
            rng=rng,
            size=size,
            people=people,
            topics=topics,
            topic_by_id=topic_by_id,
            knows=knows,
            speakers=speakers,
            mean_answers=mean_answers,
            previous_ids=previous_ids,
        )
        for name, value in written.items():
            counts[name] += value
    return dict(counts)


def _chunk(
    *,
    org: Any,
    rng: random.Random,
    size: int,
    people: list[int],
    topics: list[Any],
    topic_by_id: dict[int, Any],
    knows: dict[tuple[int, str], list[int]],
    speakers: dict[str, list[int]],
    mean_answers: float,
    previous_ids: list[int],
) -> dict[str, int]:
    rows: list[Question] = []
    plans: list[_Plan] = []
    topic_ids: list[list[int]] = []
    for _ in range(size):
        author = rng.choice(people)
        languages = [lang for lang in org.languages_of(author) if lang in QUESTIONS] or ["en"]
        # Shop floors ask in their own language; English second.
        language = languages[0] if rng.random() < 0.75 else rng.choice(languages)
        chosen = rng.sample(topics, k=min(len(topics), 1 if rng.random() < 0.7 else 2))
        name = chosen[0].name_translations.get(language) or chosen[0].name
        title, body = _text(rng, QUESTIONS, language)
        created = org.past(rng, days=540)
        recent = (org.now - created) < timedelta(days=10)
        plan = _plan(rng, mean_answers=mean_answers, recent=recent)
        fill = {"topic": name, "n": rng.randint(5, 90)}
        rows.append(
            Question(
                author_id=author,
                site_id=org.person_site[author],
                title=title.format(**fill),
                body=body.format(**fill),
                language=language,
                equipment=[rng.choice(EQUIPMENT)] if rng.random() < 0.4 else [],
                answer_count=plan.answers,
                created_at=created,
                last_activity_at=created,
            )
        )
        plans.append(plan)
        topic_ids.append([topic.pk for topic in chosen])
    Question.objects.bulk_create(rows, batch_size=BATCH)

    links: list[QuestionTopic] = []
    answer_rows: list[Answer] = []
    answer_owner: list[int] = []  # index into rows, per answer
    offers: list[QuestionOffer] = []
    for index, (question, plan, ids) in enumerate(zip(rows, plans, topic_ids, strict=True)):
        pool = knows.get((ids[0], question.language)) or speakers.get(question.language) or people
        others = [pk for pk in pool[:200] if org.person_site[pk] != question.site_id]
        for person_id in rng.sample(others, k=min(2, len(others))):
            offers.append(
                QuestionOffer(
                    question=question,
                    person_id=person_id,
                    kind=RoutingReason.ROUTED,
                    score=round(rng.uniform(3, 9), 2),
                    explanation="Knows the topic · another site",
                    created_at=question.created_at,
                )
            )
        when = question.created_at
        for _ in range(plan.answers):
            # About 60 % of answers come from another site: the point of asking the network.
            candidates = others if others and rng.random() < 0.6 else pool
            author = rng.choice(candidates)
            if author == question.author_id:
                author = rng.choice(people)
            when = org.past(rng, days=540, after=when + timedelta(minutes=5))
            fill = {"n": rng.randint(3, 30)}
            answer_rows.append(
                Answer(
                    question=question,
                    author_id=author,
                    body=_text(rng, ANSWERS, question.language).format(**fill),
                    is_cross_site=org.person_site[author] != question.site_id,
                    created_at=when,
                )
            )
            answer_owner.append(index)
        question.last_activity_at = when
    # The accepted answer is usually the first or second; mark it before inserting.
    accepted_of: dict[int, Answer] = {}
    first_answer: dict[int, int] = {}
    for position, owner in enumerate(answer_owner):
        first_answer.setdefault(owner, position)
    for owner, position in first_answer.items():
        if plans[owner].accepted:
            count = plans[owner].answers
            answer = answer_rows[position + (1 if count > 1 and rng.random() < 0.3 else 0)]
            answer.is_accepted = True
            answer.helpful_count = rng.randint(1, 3)
            accepted_of[owner] = answer
    for answer in answer_rows:
        if not answer.is_accepted and rng.random() < 0.15:
            answer.helpful_count = 1
    Answer.objects.bulk_create(answer_rows, batch_size=BATCH)

    updates: list[tuple[str, str, int | None, datetime, int]] = []
    for index, (question, plan) in enumerate(zip(rows, plans, strict=True)):
        status, reason, duplicate_of = QuestionStatus.OPEN, "", None
        if index in accepted_of:
            status = QuestionStatus.ANSWERED
        elif plan.duplicate and (previous_ids or index):
            status, reason = QuestionStatus.CLOSED, CloseReason.DUPLICATE
            earlier = previous_ids[-5000:] + [q.pk for q in rows[max(0, index - 50) : index]]
            duplicate_of = rng.choice(earlier)
        question.status = status
        if status != QuestionStatus.OPEN or question.last_activity_at != question.created_at:
            accepted = accepted_of.get(index)
            updates.append(
                (
                    status,
                    reason,
                    accepted.pk if accepted else None,
                    question.last_activity_at,
                    question.pk,
                )
            )
            if duplicate_of is not None:
                question.duplicate_of_id = duplicate_of
    with connection.cursor() as cursor:
        # One statement per row through executemany: bulk_update's CASE would be far slower here.
        cursor.executemany(
            "UPDATE questions_question SET status = %s, close_reason = %s,"
            " accepted_answer_id = %s, last_activity_at = %s WHERE id = %s",
            updates,
        )
        cursor.executemany(
            "UPDATE questions_question SET duplicate_of_id = %s WHERE id = %s",
            [(q.duplicate_of_id, q.pk) for q in rows if q.duplicate_of_id],
        )
    for question, ids in zip(rows, topic_ids, strict=True):
        links += [
            QuestionTopic(
                question=question,
                topic_id=topic_id,
                is_open=question.status == QuestionStatus.OPEN,
                created_at=question.created_at,
            )
            for topic_id in ids
        ]
    QuestionTopic.objects.bulk_create(links, batch_size=BATCH)
    QuestionOffer.objects.bulk_create(offers, batch_size=BATCH)

    marks: list[AnswerHelpful] = []
    comments: list[Comment] = []
    for answer in answer_rows:
        question = answer.question
        if answer.helpful_count:
            voters = {question.author_id}
            while len(voters) < answer.helpful_count + 1:
                voters.add(rng.choice(people))
            voters.discard(question.author_id)
            marks += [
                AnswerHelpful(answer=answer, person_id=pk, created_at=answer.created_at)
                for pk in sorted(voters)[: answer.helpful_count]
            ]
        if rng.random() < 0.08:
            comments.append(
                Comment(
                    answer=answer,
                    author_id=question.author_id,
                    body=rng.choice(COMMENTS),
                    created_at=answer.created_at + timedelta(hours=rng.randint(1, 30)),
                )
            )
    AnswerHelpful.objects.bulk_create(marks, batch_size=BATCH)
    Comment.objects.bulk_create(comments, batch_size=BATCH)

    activities = [
        Activity(
            actor_id=q.author_id,
            verb="question.asked",
            object_type="questions.question",
            object_id=q.pk,
            site_id=q.site_id,
            created_at=q.created_at,
            payload=_payload(q, offered_to=[], mentions=[]),
        )
        for q in rows
    ]
    activities += [
        Activity(
            actor_id=a.author_id,
            verb="question.answered",
            object_type="questions.answer",
            object_id=a.pk,
            site_id=org.person_site[a.author_id],
            created_at=a.created_at,
            payload=_payload(a.question, answer_id=a.pk, mentions=[]),
        )
        for a in answer_rows
    ]
    activities += [
        Activity(
            actor_id=rows[owner].author_id,
            verb="answer.accepted",
            object_type="questions.answer",
            object_id=a.pk,
            site_id=rows[owner].site_id,
            created_at=a.created_at + timedelta(hours=2),
            payload=_payload(
                rows[owner],
                answer_id=a.pk,
                answer_author_id=a.author_id,
                cross_site=a.is_cross_site,
            ),
        )
        for owner, a in accepted_of.items()
    ]
    Activity.objects.bulk_create(activities, batch_size=BATCH)

    search_index_many(
        QUESTION,
        (
            (
                q.pk,
                q.title,
                "\n".join(
                    [q.body, " ".join(q.equipment)]
                    + [_topic_words(topic_by_id.get(pk)) for pk in ids]
                ),
            )
            for q, ids in zip(rows, topic_ids, strict=True)
        ),
    )
    previous_ids += [q.pk for q in rows if q.status != QuestionStatus.CLOSED]
    return {
        "questions": len(rows),
        "answers": len(answer_rows),
        "accepted": len(accepted_of),
        "offers": len(offers),
        "comments": len(comments),
        "helpful": len(marks),
    }


def _question_url(question_id: int) -> str:
    # One reverse() for the whole run: it is the slowest part of building millions of payloads.
    if "url" not in _URL:
        _URL["url"] = reverse("questions:detail", args=[987654321])
    return _URL["url"].replace("987654321", str(question_id))


_URL: dict[str, str] = {}


def _topic_words(topic: Any) -> str:
    if topic is None:
        return ""
    return " ".join([topic.name, *(str(v) for v in (topic.name_translations or {}).values())])


def _payload(question: Question, **extra: object) -> dict[str, object]:
    return {
        "question_id": question.pk,
        "question_author_id": question.author_id,
        "title": question.title,
        "url": _question_url(question.pk),
        **extra,
    }
