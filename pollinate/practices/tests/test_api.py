from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from pollinate.people.models import Person
from pollinate.practices import services
from pollinate.practices.models import Adoption, Practice, PracticeStatus


def _json(client: Client, method: str, url: str, body: Any = None) -> Any:
    response = getattr(client, method)(
        url, data=json.dumps(body) if body is not None else None, content_type="application/json"
    )
    return response


def test_the_openapi_schema_lists_the_practice_endpoints(as_client: Any, bob: Person) -> None:
    schema = as_client(bob).get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/practices/practices",
        "/api/practices/practices/{practice_id}",
        "/api/practices/practices/{practice_id}/revisions",
        "/api/practices/practices/{practice_id}/adoptions/mine",
        "/api/practices/practices/{practice_id}/comments",
        "/api/practices/search",
        "/api/practices/feed",
    ):
        assert path in paths, path


def test_anonymous_api_calls_are_401_with_a_stable_code(client: Client, practice: Practice) -> None:
    response = client.get(f"/api/practices/practices/{practice.pk}")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_create_read_and_edit_with_version_check(
    as_client: Any, bob: Person, alice: Person
) -> None:
    client = as_client(bob)
    created = _json(client, "post", "/api/practices/practices", {"title": "Andon", "steps": "Pull"})
    assert created.status_code == 201
    practice_id = created.json()["id"]
    assert created.json()["status"] == "shared"
    edited = _json(
        client,
        "patch",
        f"/api/practices/practices/{practice_id}",
        {"version": 1, "steps": "Pull the cord"},
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    stale = _json(
        as_client(alice),
        "patch",
        f"/api/practices/practices/{practice_id}",
        {"version": 1, "steps": "x"},
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    revisions = client.get(f"/api/practices/practices/{practice_id}/revisions").json()
    assert [r["number"] for r in revisions] == [2, 1]
    restored = _json(
        client,
        "post",
        f"/api/practices/practices/{practice_id}/revisions/1/restore",
        {"version": 2},
    )
    assert restored.json()["steps"] == "Pull"


def test_another_sites_practice_cannot_be_edited_and_a_draft_is_not_found(
    as_client: Any, charlie: Person, practice: Practice, draft: Practice
) -> None:
    client = as_client(charlie)
    forbidden = _json(
        client, "patch", f"/api/practices/practices/{practice.pk}", {"version": 1, "title": "x"}
    )
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    assert client.get(f"/api/practices/practices/{draft.pk}").status_code == 404
    assert client.get(f"/api/practices/practices/{draft.pk}/comments").status_code == 404


def test_wrong_methods_are_refused(as_client: Any, bob: Person, practice: Practice) -> None:
    client = as_client(bob)
    assert client.put(f"/api/practices/practices/{practice.pk}").status_code == 405
    assert client.delete("/api/practices/search").status_code == 405


def test_adoption_adaptation_comments_reactions_and_follows(
    as_client: Any, charlie: Person, bob: Person, practice: Practice
) -> None:
    client = as_client(charlie)
    adopted = _json(
        client,
        "put",
        f"/api/practices/practices/{practice.pk}/adoptions/mine",
        {"status": "adopted", "outcome_positive": True, "outcome": "Works"},
    )
    assert adopted.status_code == 200 and adopted.json()["site_code"] == "porto"
    own_site = _json(
        as_client(bob),
        "put",
        f"/api/practices/practices/{practice.pk}/adoptions/mine",
        {"status": "adopted"},
    )
    assert own_site.status_code == 400 and own_site.json()["code"] == "bad_request"
    adapted = _json(
        client,
        "post",
        f"/api/practices/practices/{practice.pk}/adaptations",
        {"title": "Porto way", "adaptation_note": "Shorter"},
    )
    assert adapted.status_code == 201 and adapted.json()["adapted_from_id"] == practice.pk
    assert Adoption.objects.get(practice=practice).status == "adapted"
    comment = _json(
        client,
        "post",
        f"/api/practices/practices/{practice.pk}/comments",
        {"body": "<b>hi</b> **there**"},
    )
    assert comment.status_code == 201
    assert (
        "<b>" not in comment.json()["body_html"]
        and "<strong>there</strong>" in comment.json()["body_html"]
    )
    assert (
        _json(
            as_client(bob), "delete", f"/api/practices/comments/{comment.json()['id']}"
        ).status_code
        == 403
    )
    reacted = _json(client, "put", f"/api/practices/practices/{practice.pk}/reactions/helpful")
    assert reacted.json() == {"helpful_count": 1, "learned_count": 0, "mine": ["helpful"]}
    assert (
        _json(client, "put", f"/api/practices/practices/{practice.pk}/reactions/love").status_code
        == 400
    )
    assert _json(client, "put", "/api/practices/follows/site/lyon").json() == {"following": True}
    assert _json(client, "put", "/api/practices/follows/site/nowhere").status_code == 404


def test_search_and_list_filters(
    as_client: Any, charlie: Person, alice: Person, practice: Practice
) -> None:
    services.practice_create(
        actor=alice, title="Qualité au poste", steps="Contrôle visuel", language="fr"
    )
    client = as_client(charlie)
    found = client.get("/api/practices/search", {"q": "qualite"}).json()
    assert [p["title"] for p in found["practices"]] == ["Qualité au poste"]
    french = client.get("/api/practices/practices", {"language": "fr"}).json()
    assert french["count"] == 1
    feed = client.get("/api/practices/feed").json()
    assert {p["id"] for p in feed["practices"]} >= {practice.pk}


@pytest.mark.parametrize("status", [PracticeStatus.SHARED])
def test_search_filters_by_status(
    as_client: Any, charlie: Person, practice: Practice, status: str
) -> None:
    results = (
        as_client(charlie).get("/api/practices/practices", {"q": "torque", "status": status}).json()
    )
    assert [item["id"] for item in results["items"]] == [practice.pk]
