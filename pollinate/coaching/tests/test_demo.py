from __future__ import annotations

import datetime as dt

import pytest

from pollinate.coaching import demo
from pollinate.coaching.models import (
    CoachingRequest,
    CoachingSession,
    CoachOffer,
    CoachTopic,
    Feedback,
    Match,
    RequestStatus,
)
from pollinate.people.demo import org_generate


@pytest.mark.django_db
def test_demo_data_has_offers_requests_in_every_state_sessions_and_feedback() -> None:
    org = org_generate(
        sites=4,
        members=120,
        seed=3,
        demo=True,
        today=dt.date(2026, 1, 15),
        populate=False,
        scale={"coaching_requests": 60, "coaching_sessions": 80},
    )
    demo.populate(org=org, rng=org.rng_for("coaching"))
    assert CoachOffer.objects.count() >= len(set(org.coach_ids) - {org.demo_member_id})
    assert CoachTopic.objects.exists()
    assert CoachingRequest.objects.count() == 60
    states = set(CoachingRequest.objects.values_list("status", flat=True))
    assert {RequestStatus.OPEN, RequestStatus.MATCHED, RequestStatus.CLOSED} <= states
    assert CoachingRequest.objects.filter(learner_id=org.demo_member_id).exists()
    assert not Match.objects.filter(coach_id=org.demo_member_id).exists()
    assert CoachingSession.objects.count() == 80
    assert Feedback.objects.filter(helped=True).exists()
    # Explanations stored with matches are the engine's own reasons.
    assert all(m.reasons for m in Match.objects.all()[:20])
