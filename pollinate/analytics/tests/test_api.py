"""The analytics API: same dashboards, access rules and privacy threshold as the pages."""

from __future__ import annotations

import pytest

from pollinate.analytics.tests.scenario import build
from pollinate.people.services import api_token_create

pytestmark = pytest.mark.django_db
TOO_SMALL = "Not enough people to show this safely."


def _figures(body: dict) -> dict[str, object]:  # type: ignore[type-arg]
    return {f["label"]: f["value"] for f in body["figures"]}


def test_a_member_reads_the_organisation_figures_tables_and_curve(
    record, site_a, site_b, bob, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 2
    build(record, site_a, site_b)
    response = as_client(bob).get("/api/analytics/org")
    assert response.status_code == 200
    body = response.json()
    assert body["safe"] is True and body["k"] == 2
    figures = _figures(body)
    assert figures["Adoptions at other sites"] == 3
    assert figures["Adaptations"] == 1
    assert {t["key"] for t in body["tables"]} >= {"flows", "contributions", "curve"}
    assert body["curve"][-1]["total"] == 3


def test_the_api_withholds_a_group_below_the_threshold_and_says_why(
    record, site_a, site_b, bob, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 50
    build(record, site_a, site_b)
    body = as_client(bob).get("/api/analytics/org").json()
    assert body == {
        "scope": "org",
        "safe": False,
        "k": 50,
        "message": TOO_SMALL,
        "figures": [],
        "tables": [],
        "curve": [],
        "named_recognition": False,
        "notice": "",
    }


def test_small_rows_are_withheld_from_api_tables(record, site_a, site_b, bob, as_client, settings):
    settings.PRIVACY_MIN_GROUP = 2
    build(record, site_a, site_b)
    flows = next(
        t for t in as_client(bob).get("/api/analytics/org").json()["tables"] if t["key"] == "flows"
    )
    # Every adoption flow of the scenario has a single person behind it.
    assert flows["rows"] == []
    assert flows["withheld"] == 3


def test_a_site_lead_reads_their_sites_dashboard(
    record, site_a, site_b, alice, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 2
    build(record, site_a, site_b)
    body = as_client(alice).get(f"/api/analytics/sites/{site_a.code}").json()
    assert body["scope"] == f"site:{site_a.code}"
    assert _figures(body)["Practices we adapted"] == 1


def test_a_site_lead_may_not_read_another_sites_dashboard(alice, site_b, as_client):
    response = as_client(alice).get(f"/api/analytics/sites/{site_b.code}")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_a_member_may_not_read_their_own_sites_dashboard(bob, site_a, as_client):
    assert as_client(bob).get(f"/api/analytics/sites/{site_a.code}").status_code == 403


def test_an_unknown_site_or_topic_is_a_json_404(admin, as_client):
    client = as_client(admin)
    for path in ("/api/analytics/sites/nowhere", "/api/analytics/topics/999999"):
        response = client.get(path)
        assert response.status_code == 404
        assert set(response.json()) == {"code", "message"}


def test_a_topic_dashboard_counts_only_that_topic(record, site_a, site_b, bob, as_client, settings):
    settings.PRIVACY_MIN_GROUP = 1
    s = build(record, site_a, site_b)
    body = as_client(bob).get(f"/api/analytics/topics/{s.topic.pk}").json()
    figures = _figures(body)
    assert figures["Practices shared"] == 1
    assert figures["Adoptions at other sites"] == 2


def test_my_figures_are_mine_only_and_need_no_threshold(
    record, site_a, site_b, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 50
    s = build(record, site_a, site_b)
    mine = _figures(as_client(s.lyon_people[5]).get("/api/analytics/me").json())
    assert mine["Answers I gave"] == 2
    assert mine["Practices I shared"] == 0
    author = _figures(as_client(s.lyon_people[0]).get("/api/analytics/me").json())
    assert author["Practices I shared"] == 1


def test_a_bearer_token_reads_the_organisation_figures(client, bob, settings):
    settings.PRIVACY_MIN_GROUP = 50
    secret = api_token_create(person=bob, name="dashboards")
    response = client.get("/api/analytics/org", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response.json()["safe"] is False


@pytest.mark.parametrize("path", ["/api/analytics/org", "/api/analytics/me"])
def test_anonymous_callers_get_a_json_401(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message"}


@pytest.mark.parametrize("path", ["/api/analytics/org", "/api/analytics/me"])
def test_the_api_refuses_post(bob, as_client, path):
    assert as_client(bob).post(path).status_code == 405
