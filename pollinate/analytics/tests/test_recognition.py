"""Named recognition: off by default (no names anywhere), an administrator's switch, a notice."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from pollinate.analytics.models import RecognitionSetting
from pollinate.analytics.services import recognition_set
from pollinate.analytics.tests.scenario import build
from pollinate.audit.models import AuditRecord
from pollinate.coaching.models import Feedback
from pollinate.coaching.tests.factories import CoachingSessionFactory, MatchFactory
from pollinate.people.tests.factories import PersonFactory
from pollinate.practices.tests.factories import AdoptionFactory, PracticeFactory
from pollinate.questions.tests.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db
NOTICE = "Named recognition is on."


@pytest.fixture
def helpers(record: Any, site_a: Any, site_b: Any, settings: Any) -> dict[str, Any]:
    """Three people at Lyon whose help was taken up at Porto, and one whose help stayed home."""
    settings.PRIVACY_MIN_GROUP = 2
    build(record, site_a, site_b)
    answerer = PersonFactory(site=site_a, display_name="Aurore Answerer")
    question = QuestionFactory(site=site_b, author=PersonFactory(site=site_b))
    AnswerFactory(question=question, author=answerer, is_accepted=True)
    coach = PersonFactory(site=site_a, display_name="Camille Coach")
    session = CoachingSessionFactory(match=MatchFactory(coach=coach))
    Feedback.objects.create(session=session, can_now_do="Set the jig", rating=5, helped=True)
    owner = PersonFactory(site=site_a, display_name="Paul Practice")
    AdoptionFactory(practice=PracticeFactory(owner=owner, site=site_a), site=site_b)
    homebody = PersonFactory(site=site_a, display_name="Hugo Home")
    home_question = QuestionFactory(site=site_a, author=PersonFactory(site=site_a))
    AnswerFactory(question=home_question, author=homebody, is_accepted=True)
    return {"names": ["Aurore Answerer", "Camille Coach", "Paul Practice"], "home": "Hugo Home"}


def _everything(client: Any, site_code: str) -> str:
    """Every page, CSV and API answer where a name could show."""
    urls = [
        reverse("analytics:org"),
        reverse("analytics:org_csv", args=["recognition"]),
        reverse("analytics:site", args=[site_code]),
        reverse("analytics:site_csv", args=[site_code, "recognition"]),
        "/api/analytics/org",
        f"/api/analytics/sites/{site_code}",
        reverse("analytics:me"),
    ]
    return "\n".join(client.get(url).content.decode() for url in urls)


def test_named_recognition_is_off_by_default_and_no_name_shows_anywhere(
    helpers, admin, site_a, as_client
):
    seen = _everything(as_client(admin), site_a.code)
    for name in (*helpers["names"], helpers["home"]):
        assert name not in seen
    assert NOTICE not in seen
    response = as_client(admin).get(reverse("analytics:org_csv", args=["recognition"]))
    assert response.status_code == 404  # no such table while it is off


def test_when_an_administrator_turns_it_on_dashboards_csv_and_api_name_the_helpers(
    helpers, admin, bob, site_a, as_client
):
    response = as_client(admin).post(reverse("analytics:recognition"), {"named_recognition": "on"})
    assert response.status_code == 302
    assert RecognitionSetting.objects.get().named_recognition is True
    assert AuditRecord.objects.filter(details__named_recognition=True).exists()

    page = as_client(bob).get(reverse("analytics:org")).content.decode()
    assert NOTICE in page
    for name in helpers["names"]:
        assert name in page
    assert helpers["home"] not in page  # an answer accepted at its own site is not "elsewhere"
    rows = list(
        csv.reader(
            io.StringIO(
                as_client(bob)
                .get(reverse("analytics:org_csv", args=["recognition"]))
                .content.decode()
            )
        )
    )
    assert rows[0] == ["Person", "Site", "Help"]
    # Alphabetical, never by volume: no count column to rank by.
    assert [row[0] for row in rows[1:]] == helpers["names"]
    api = as_client(bob).get("/api/analytics/org").json()
    assert api["named_recognition"] is True and api["notice"]
    table = next(t for t in api["tables"] if t["key"] == "recognition")
    assert [row[0] for row in table["rows"]] == helpers["names"]
    assert NOTICE in as_client(bob).get(reverse("analytics:me")).content.decode()


def test_the_site_dashboard_names_only_what_that_site_gave(helpers, admin, site_b, as_client):
    recognition_set(actor=admin, enabled=True)
    page = as_client(admin).get(reverse("analytics:site", args=[site_b.code])).content.decode()
    assert NOTICE in page
    for name in helpers["names"]:
        assert name not in page  # they are Lyon's people: Porto took their help, it gave none


def test_the_threshold_still_withholds_a_small_dashboard_names_included(
    helpers, admin, bob, as_client, settings
):
    recognition_set(actor=admin, enabled=True)
    settings.PRIVACY_MIN_GROUP = 500
    page = as_client(bob).get(reverse("analytics:org")).content.decode()
    assert "Not enough people to show this safely" in page
    for name in helpers["names"]:
        assert name not in page


def test_turning_it_off_again_hides_every_name(helpers, admin, bob, site_a, as_client):
    recognition_set(actor=admin, enabled=True)
    as_client(admin).post(reverse("analytics:recognition"), {"named_recognition": "off"})
    seen = _everything(as_client(admin), site_a.code)
    assert all(name not in seen for name in helpers["names"])
    assert NOTICE not in seen


def test_the_setting_is_the_default_until_an_administrator_decides(
    helpers, bob, as_client, settings
):
    settings.ANALYTICS_NAMED_RECOGNITION = True
    page = as_client(bob).get(reverse("analytics:org")).content.decode()
    assert NOTICE in page and helpers["names"][0] in page


def test_only_an_administrator_may_open_or_change_the_switch(bob, alice, as_client, client):
    for person in (bob, alice):
        assert as_client(person).get(reverse("analytics:recognition")).status_code == 403
        response = as_client(person).post(
            reverse("analytics:recognition"), {"named_recognition": "on"}
        )
        assert response.status_code == 403
    assert not RecognitionSetting.objects.exists()
    assert client.get(reverse("analytics:recognition")).status_code == 302  # to sign-in


def test_the_switch_page_explains_what_turning_it_on_means(admin, as_client):
    page = as_client(admin).get(reverse("analytics:recognition")).content.decode()
    assert "Named recognition is off." in page
    assert "never ranked" in page
    assert as_client(admin).put(reverse("analytics:recognition")).status_code == 405


def test_my_figures_in_the_api_carry_the_notice_while_it_is_on(helpers, admin, bob, as_client):
    client = as_client(bob)
    before = client.get("/api/analytics/me").json()
    assert before["named_recognition"] is False and before["notice"] == ""
    recognition_set(actor=admin, enabled=True)
    during = client.get("/api/analytics/me").json()
    assert during["named_recognition"] is True
    assert "Named recognition is on" in during["notice"]
