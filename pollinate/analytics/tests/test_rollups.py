from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from pollinate.analytics.models import (
    AdoptionFact,
    DailyCount,
    Kind,
    Participant,
    PracticeFact,
    QuestionFact,
    RequestFact,
)
from pollinate.analytics.rollups import rollups_rebuild
from pollinate.analytics.tests.scenario import build

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, Any]:
    return {
        "counts": sorted(
            DailyCount.objects.values_list(
                "day", "site_id", "other_site_id", "topic_id", "kind", "count"
            )
        ),
        "participants": sorted(
            Participant.objects.values_list(
                "kind", "site_id", "other_site_id", "topic_id", "person_id"
            )
        ),
        "practices": sorted(
            PracticeFact.objects.values_list(
                "practice_id", "origin_site_id", "shared_at", "first_adopted_elsewhere_at"
            )
        ),
        "adoptions": sorted(
            AdoptionFact.objects.values_list(
                "practice_id",
                "site_id",
                "origin_site_id",
                "first_seen_at",
                "adopted_at",
                "status",
                "positive",
                "adapted",
            )
        ),
        "questions": sorted(
            QuestionFact.objects.values_list(
                "question_id",
                "site_id",
                "topic_ids",
                "asked_at",
                "first_answer_at",
                "first_answer_cross_site",
                "any_cross_site_answer",
            ),
            key=str,
        ),
        "requests": sorted(RequestFact.objects.values_list()),
    }


def _total(kind: str, **filters: Any) -> int:
    return sum(DailyCount.objects.filter(kind=kind, **filters).values_list("count", flat=True))


def test_subscribers_count_adoptions_once_per_site_with_their_origin(record, site_a, site_b):
    s = build(record, site_a, site_b)
    assert _total(Kind.PRACTICE_SHARED, topic_id=0) == 3
    assert _total(Kind.ADOPTED, topic_id=0) == 3  # Porto and HQ adopt p1, Lyon adapts p2
    assert _total(Kind.ADOPTED, topic_id=0, other_site_id=s.lyon.pk) == 2
    assert _total(Kind.ADOPTED, topic_id=s.topic.pk) == 2  # p1 is the welding practice
    assert _total(Kind.TRYING, topic_id=0) == 4  # four (practice, site) pairs engaged
    assert _total(Kind.DROPPED, topic_id=0) == 1
    assert _total(Kind.ADAPTED, topic_id=0) == 1
    porto_p1 = AdoptionFact.objects.get(site_id=s.porto.pk, origin_site_id=s.lyon.pk)
    assert porto_p1.status == "adopted" and porto_p1.positive is True
    assert (porto_p1.adopted_at - porto_p1.first_seen_at).total_seconds() == 24 * 3600


def test_subscribers_record_first_answers_and_whether_they_came_from_another_site(
    record, site_a, site_b
):
    s = build(record, site_a, site_b)
    facts = {q.site_id: q for q in QuestionFact.objects.filter(first_answer_at__isnull=False)}
    assert QuestionFact.objects.count() == 3
    assert QuestionFact.objects.filter(first_answer_at__isnull=False).count() == 2
    assert QuestionFact.objects.filter(first_answer_cross_site=True).count() == 1
    assert s.lyon.pk in facts
    assert _total(Kind.ANSWERED_CROSS_SITE, topic_id=0, site_id=s.porto.pk) == 1
    assert _total(Kind.ANSWERED, topic_id=0) == 3


def test_rebuild_from_the_spine_equals_the_incremental_state(record, site_a, site_b):
    build(record, site_a, site_b)
    incremental = _snapshot()
    assert incremental["counts"], "the scenario must produce counters"
    DailyCount.objects.all().delete()
    Participant.objects.all().delete()
    replayed = rollups_rebuild()
    assert replayed == 14
    assert _snapshot() == incremental


def test_the_rebuild_command_replaces_stale_rollups(record, site_a, site_b, capsys):
    build(record, site_a, site_b)
    expected = _snapshot()
    DailyCount.objects.update(count=999)
    call_command("analytics_rebuild")
    assert _snapshot() == expected
    assert "Replayed 14 activities" in capsys.readouterr().out


def test_an_activity_that_is_not_learning_relevant_leaves_the_rollups_alone(record, alice):
    record(
        "person.profile_updated",
        actor=alice,
        object_type="people.person",
        object_id=alice.pk,
        when=__import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC),
    )
    assert DailyCount.objects.count() == 0
