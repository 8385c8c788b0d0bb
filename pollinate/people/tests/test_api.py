from __future__ import annotations

import json

import pytest
from django.test import Client

from pollinate.people.services import api_token_create
from pollinate.people.tests.factories import SkillFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_the_api_refuses_anonymous_callers_with_a_json_error(client: Client, site_a) -> None:
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_token_lets_a_member_read_their_profile(client: Client, bob) -> None:
    SkillFactory(person=bob, topic=TopicFactory(name="Kaizen"), level=3)
    token = api_token_create(person=bob, name="script")
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    data = response.json()
    assert data["display_name"] == "Bob" and data["site"]["code"] == "lyon"
    assert data["skills"] == [
        {"topic_id": data["skills"][0]["topic_id"], "topic": "Kaizen", "level": 3}
    ]


def test_a_wrong_token_is_refused(client: Client, bob) -> None:
    response = client.get("/api/me", HTTP_AUTHORIZATION="Bearer pol_nope")
    assert response.status_code == 401


def test_a_member_updates_their_profile_through_the_api(client: Client, bob) -> None:
    token = api_token_create(person=bob, name="script")
    response = client.patch(
        "/api/me",
        data=json.dumps({"job_title": "Maintenance lead", "languages": ["fr", "de"]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200
    bob.refresh_from_db()
    assert bob.job_title == "Maintenance lead" and bob.languages == ["fr", "de"]


def test_invalid_profile_values_are_a_422_and_change_nothing(client: Client, bob) -> None:
    token = api_token_create(person=bob, name="script")
    response = client.patch(
        "/api/me",
        data=json.dumps({"job_title": "Changed", "time_zone": "Mars/Olympus"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    bob.refresh_from_db()
    assert bob.job_title == ""


def test_malformed_json_is_a_clear_error_not_a_500(client: Client, bob) -> None:
    token = api_token_create(person=bob, name="script")
    response = client.patch(
        "/api/me",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code in (400, 422)
    assert "code" in response.json()


def test_people_of_other_sites_are_readable_and_unknown_ones_are_404(
    as_client, bob, charlie
) -> None:
    client = as_client(bob)
    assert client.get(f"/api/people/{charlie.pk}").json()["site"]["code"] == "porto"
    missing = client.get("/api/people/999999")
    assert missing.status_code == 404 and missing.json() == {
        "code": "not_found",
        "message": "Not found.",
    }


def test_the_people_list_is_paginated_and_filterable(as_client, bob, charlie) -> None:
    response = as_client(bob).get("/api/people", {"site": "porto", "limit": 10})
    data = response.json()
    assert data["count"] == 1 and data["items"][0]["display_name"] == "Charlie"


def test_the_people_list_ranks_who_knows_a_topic_and_pages_through_it(
    as_client, bob, charlie, dana, alice
) -> None:
    welding = TopicFactory(name="Welding")
    SkillFactory(person=charlie, topic=welding, level=3)
    SkillFactory(person=dana, topic=welding, level=4)
    SkillFactory(person=alice, topic=welding, level=3)
    client = as_client(bob)
    first = client.get("/api/people", {"topic": welding.pk, "limit": 2}).json()
    rest = client.get("/api/people", {"topic": welding.pk, "limit": 2, "offset": 2}).json()
    assert first["count"] == rest["count"] == 3
    names = [item["display_name"] for item in first["items"] + rest["items"]]
    assert names == ["Dana", "Alice", "Charlie"]
    assert first["items"][0] == {
        "id": dana.pk,
        "display_name": "Dana",
        "site_code": "porto",
        "job_title": dana.job_title,
    }


def test_the_openapi_schema_is_published(client: Client, db) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert "/api/me" in response.json()["paths"]
