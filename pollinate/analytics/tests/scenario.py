"""A small organisation with hand-counted answers, written through the spine subscribers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pollinate.people.models import Person, Site, Topic
from pollinate.people.tests.factories import PersonFactory, SiteFactory
from pollinate.practices.tests.factories import PracticeFactory
from pollinate.questions.models import QuestionTopic
from pollinate.questions.tests.factories import QuestionFactory

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@dataclass
class Scenario:
    lyon: Site
    porto: Site
    hq: Site
    topic: Topic
    lyon_people: list[Person]
    porto_people: list[Person]
    hq_people: list[Person]


def build(record, site_a: Site, site_b: Site) -> Scenario:  # type: ignore[no-untyped-def]
    hq = SiteFactory(name="Headquarters", code="hq", is_central=True)
    topic = Topic.objects.create(kind="process", name="Welding")
    lyon = [PersonFactory(site=site_a) for _ in range(6)]
    porto = [PersonFactory(site=site_b) for _ in range(6)]
    central = [PersonFactory(site=hq) for _ in range(6)]
    p1 = PracticeFactory(owner=lyon[0], site=site_a)
    p1.topics.add(topic)
    p2 = PracticeFactory(owner=central[0], site=hq)
    p3 = PracticeFactory(owner=porto[0], site=site_b)

    def practice(verb: str, who: Person, obj: object, hours: float, **payload: object) -> None:
        record(
            verb,
            actor=who,
            object_type="practices.practice",
            object_id=obj.pk,  # type: ignore[attr-defined]
            when=T0 + timedelta(hours=hours),
            payload={"practice_site": obj.site_id, **payload},  # type: ignore[attr-defined]
        )

    practice("practice.shared", lyon[0], p1, 0)
    practice("practice.shared", central[0], p2, 0)
    practice("practice.shared", porto[0], p3, 1)
    # p1 (Lyon, welding): Porto tries then adopts (positive) after 48 h; HQ adopts (negative).
    practice("practice.trying", porto[1], p1, 24)
    practice("practice.adopted", porto[2], p1, 48, positive=True)
    practice("practice.adopted", central[1], p1, 72, positive=False)
    # p2 (HQ): Lyon adapts it after 24 h, positive.
    practice("practice.adapted", lyon[1], p2, 24, positive=True)
    # p3 (Porto): Lyon drops it.
    practice("practice.dropped", lyon[2], p3, 30)

    q1 = QuestionFactory(author=lyon[3], site=site_a)
    QuestionTopic.objects.create(question=q1, topic=topic)
    q2 = QuestionFactory(author=porto[3], site=site_b)
    q3 = QuestionFactory(author=lyon[4], site=site_a)
    for question, hours in ((q1, 0), (q2, 0), (q3, 0)):
        record(
            "question.asked",
            actor=question.author,
            object_type="questions.question",
            object_id=question.pk,
            when=T0 + timedelta(hours=hours),
            site=question.site,
            payload={"question_id": question.pk},
        )

    def answer(question: object, who: Person, hours: float) -> None:
        record(
            "question.answered",
            actor=who,
            object_type="questions.answer",
            object_id=1000 + int(hours * 10),
            when=T0 + timedelta(hours=hours),
            payload={"question_id": question.pk},  # type: ignore[attr-defined]
        )

    answer(q1, porto[4], 2)  # first answer, cross-site, 2 h
    answer(q1, lyon[5], 5)
    answer(q3, lyon[5], 10)  # same-site, 10 h
    # q2 stays unanswered.
    return Scenario(site_a, site_b, hq, topic, lyon, porto, central)
