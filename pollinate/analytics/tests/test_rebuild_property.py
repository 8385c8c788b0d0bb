"""Property: for any spine, the rebuild (a replay) equals what the fold kept batch by batch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pollinate.activity.models import Activity
from pollinate.analytics import rollups
from pollinate.analytics.models import (
    AdoptionFact,
    DailyCount,
    DurationBucket,
    FoldCursor,
    GroupSize,
    Participant,
    PracticeFact,
    QuestionFact,
    RequestFact,
    Tally,
    WeeklyCount,
)
from pollinate.analytics.tests.scenario import T0
from pollinate.people.models import Topic
from pollinate.people.tests.factories import PersonFactory, SiteFactory
from pollinate.practices.tests.factories import PracticeFactory
from pollinate.questions.models import QuestionTopic
from pollinate.questions.tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db

TABLES = (
    DailyCount,
    Tally,
    GroupSize,
    DurationBucket,
    WeeklyCount,
    Participant,
    PracticeFact,
    AdoptionFact,
    QuestionFact,
    RequestFact,
)
PRACTICE_VERBS = (
    "practice.shared",
    "practice.trying",
    "practice.adopted",
    "practice.adapted",
    "practice.dropped",
)

# One step of a spine: (verb family, verb, who, which object, hours after the previous step,
# outcome). Small pools, so steps collide on the same practice, question and person.
step = st.tuples(
    st.sampled_from(("practice", "question", "answer", "reflection")),
    st.sampled_from(PRACTICE_VERBS),
    st.integers(0, 5),
    st.integers(0, 2),
    st.sampled_from((0, 0, 0.5, 3, 30, 400)),
    st.sampled_from((True, False, None)),
)


def _state() -> dict[str, list[Any]]:
    def rows(model: Any) -> list[Any]:
        names = [f.attname for f in model._meta.fields if f.name != "id"]
        return sorted(model.objects.values_list(*names), key=repr)

    return {model.__name__: rows(model) for model in TABLES}


@settings(
    max_examples=25,
    deadline=None,
    # ``world`` is made once per test and reused by every example; each
    # example starts from an empty spine and empty rollups.
    # A list here replaces the project profile's (conftest.py): too_slow stays suppressed, or
    # a loaded 2-core CI machine fails the build on generation speed.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=25), batch=st.integers(1, 6))
def test_rebuild_equals_the_fold_for_any_spine(world, steps, batch):
    Activity.objects.all().delete()
    for model in (*TABLES, FoldCursor):
        model.objects.all().delete()
    when = T0
    for family, practice_verb, who, obj, hours, positive in steps:
        when += timedelta(hours=hours)
        person = world["people"][who]
        if family == "practice":
            practice = world["practices"][obj]
            payload: dict[str, Any] = {"practice_site": practice.site_id}
            if practice_verb in ("practice.adopted", "practice.adapted") and positive is not None:
                payload["positive"] = positive
            verb, object_id = practice_verb, practice.pk
        elif family == "question":
            verb, object_id, payload = "question.asked", world["questions"][obj].pk, {}
        elif family == "answer":
            question = world["questions"][obj]
            verb, object_id, payload = "question.answered", 1000 + who, {"question_id": question.pk}
        else:
            verb, object_id, payload = "reflection.written", who, {}
        Activity.objects.create(
            actor=person,
            site=person.site,
            verb=verb,
            object_type=family,
            object_id=object_id,
            created_at=when,
            payload=payload,
        )
    while rollups.rollups_fold(batch_size=batch, max_batches=1):
        pass
    folded = _state()
    assert rollups.rollups_rebuild() == len(steps)
    assert _state() == folded


@pytest.fixture
def world(site_a: Any, site_b: Any) -> dict[str, Any]:
    """Three sites (one central), six people, three practices and questions, two topics."""
    hq = SiteFactory(name="Headquarters", code="hq", is_central=True)
    sites = [site_a, site_b, hq]
    topics = [Topic.objects.create(kind="process", name=name) for name in ("Welding", "Paint")]
    people = [PersonFactory(site=sites[n % 3]) for n in range(6)]
    practices = [PracticeFactory(owner=people[n], site=people[n].site) for n in range(3)]
    practices[0].topics.add(topics[0])
    practices[1].topics.add(*topics)
    questions = [QuestionFactory(author=people[n], site=people[n].site) for n in range(3)]
    QuestionTopic.objects.create(question=questions[0], topic=topics[1])
    return {"people": people, "practices": practices, "questions": questions}
