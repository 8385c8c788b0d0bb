from __future__ import annotations

import json
from typing import Any

import pytest

from pollinate.coaching.models import CoachOffer, Match, MatchStatus
from pollinate.coaching.tests.factories import (
    CoachingRequestFactory,
    CoachingSessionFactory,
    MatchFactory,
)
from pollinate.core.testing import FUTURE_YEAR
from pollinate.people.models import Person, Topic

pytestmark = pytest.mark.django_db


def _post(client: Any, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def test_the_api_runs_request_suggestions_proposal_and_acceptance(
    as_client: Any, alice: Person, dana: Person, dana_offer: CoachOffer, edging: Topic
) -> None:
    learner = as_client(alice)
    created = _post(learner, "/api/coaching/requests", {"topic_id": edging.pk, "goal": "Edge"})
    assert created.status_code == 201
    request_id = created.json()["id"]
    suggestions = learner.get(f"/api/coaching/requests/{request_id}/suggestions").json()
    assert suggestions[0]["coach_id"] == dana.pk
    assert "another site" in suggestions[0]["explanation"]
    proposed = _post(learner, f"/api/coaching/requests/{request_id}/propose", {"coach_id": dana.pk})
    assert proposed.status_code == 201
    match_id = proposed.json()["id"]
    assert as_client(dana).get("/api/coaching/matches").json()[0]["id"] == match_id
    for _ in range(2):
        accepted = _post(as_client(dana), f"/api/coaching/matches/{match_id}/accept")
        assert accepted.status_code == 200
        assert accepted.json()["status"] == MatchStatus.ACCEPTED
    session = _post(
        learner,
        f"/api/coaching/matches/{match_id}/sessions",
        {"starts_at": f"{FUTURE_YEAR}-01-02T09:00:00+01:00", "duration_minutes": 30},
    )
    assert session.status_code == 201
    assert session.json()["ics_url"].endswith("invite.ics")


def test_anonymous_api_callers_get_401(client: Any, db: None) -> None:
    response = client.get("/api/coaching/requests")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_the_api_refuses_wrong_methods(as_client: Any, alice: Person) -> None:
    assert as_client(alice).delete("/api/coaching/requests").status_code == 405


def test_the_api_hides_other_learners_requests_and_sessions(
    as_client: Any, alice: Person, charlie: Person, dana: Person, edging: Topic
) -> None:
    session = CoachingSessionFactory(
        match=MatchFactory(coach=dana, request=CoachingRequestFactory(learner=alice, topic=edging))
    )
    other = as_client(charlie)
    request_id = session.match.request_id
    assert other.get(f"/api/coaching/requests/{request_id}").status_code == 404
    assert other.get(f"/api/coaching/sessions/{session.pk}").status_code == 404
    feedback = _post(
        other, f"/api/coaching/sessions/{session.pk}/feedback", {"can_now_do": "x", "rating": 5}
    )
    assert feedback.status_code == 404
    assert _post(other, f"/api/coaching/matches/{session.match_id}/accept").status_code == 404
    assert other.get("/api/coaching/requests").json() == []


def test_the_learner_cannot_accept_through_the_api(
    as_client: Any, alice: Person, dana: Person, edging: Topic
) -> None:
    match = MatchFactory(
        coach=dana,
        status=MatchStatus.PROPOSED,
        request=CoachingRequestFactory(learner=alice, topic=edging),
    )
    response = _post(as_client(alice), f"/api/coaching/matches/{match.pk}/accept")
    assert response.status_code == 403
    assert Match.objects.get().status == MatchStatus.PROPOSED


def test_site_gaps_are_for_that_sites_lead_only(
    as_client: Any, alice: Person, bob: Person, edging: Topic
) -> None:
    CoachingRequestFactory(learner=bob, topic=edging)
    gaps = as_client(alice).get("/api/coaching/sites/lyon/gaps")
    assert gaps.json() == [
        {"topic_id": edging.pk, "topic": "Lens edging", "open_requests": 1, "coaches_in_reach": 0}
    ]
    assert as_client(bob).get("/api/coaching/sites/lyon/gaps").status_code == 403


def test_a_volunteer_sets_up_and_pauses_an_offer_through_the_api(
    as_client: Any, bob: Person, edging: Topic
) -> None:
    client = as_client(bob)
    response = client.put(
        "/api/coaching/offer",
        json.dumps(
            {"topic_ids": [edging.pk], "languages": ["fr"], "capacity": 2, "modes": ["remote"]}
        ),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["topics"][0]["coach_level"] == "apprentice"
    paused = _post(client, "/api/coaching/offer/status", {"status": "paused"})
    assert paused.json()["status"] == "paused"
    assert _post(client, "/api/coaching/offer/status", {"status": "bogus"}).status_code == 400


def test_the_api_cancels_a_session_for_its_people_only(
    as_client: Any, alice: Person, charlie: Person, dana: Person, edging: Topic
) -> None:
    session = CoachingSessionFactory(
        match=MatchFactory(coach=dana, request=CoachingRequestFactory(learner=alice, topic=edging))
    )
    assert (
        _post(as_client(charlie), f"/api/coaching/sessions/{session.pk}/cancel").status_code == 404
    )
    response = _post(as_client(alice), f"/api/coaching/sessions/{session.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
