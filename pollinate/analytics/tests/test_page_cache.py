"""The dashboard markup each process keeps: never another board's figures, another language or a
stale "updated … ago"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from pollinate.analytics import views
from pollinate.analytics.selectors import Dashboard, Figure
from pollinate.analytics.tests.scenario import T0, build
from pollinate.people.models import RoleName
from pollinate.people.tests.factories import RoleFactory

pytestmark = pytest.mark.django_db


def _stat(body: str, label: str) -> str:
    match = re.search(
        rf'<span class="stat">([^<]*)</span>\s*<span class="muted">{label}</span>', body
    )
    assert match is not None, label
    return match.group(1)


def test_the_dashboard_speaks_each_readers_language(
    record, site_a, site_b, bob, dana, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 2
    build(record, site_a, site_b)
    dana.interface_language = "fr"
    dana.save(update_fields=["interface_language"])
    for _round in range(2):  # the second round reads what the first one kept
        english = as_client(bob).get(reverse("analytics:org")).content.decode()
        french = as_client(dana).get(reverse("analytics:org")).content.decode()
        assert "Key figures" in english and "Chiffres clés" not in english
        assert "Download this table (CSV)" in english
        assert "Chiffres clés" in french and "Key figures" not in french


def test_a_board_cached_for_one_language_is_labelled_in_the_next_readers(
    record, site_a, site_b, bob, dana, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 2
    settings.ANALYTICS_CACHE_SECONDS = 300  # the shared cache keeps the board between requests
    build(record, site_a, site_b)
    dana.interface_language = "fr"
    dana.save(update_fields=["interface_language"])
    french = as_client(dana).get(reverse("analytics:org")).content.decode()
    assert "Pratiques partagées" in french
    english = as_client(bob).get(reverse("analytics:org")).content.decode()
    assert "Practices shared" in english and "Pratiques partagées" not in english
    csv = as_client(bob).get(reverse("analytics:org_csv", args=["flows"])).content.decode()
    assert "Practice from" in csv


def test_new_figures_show_on_the_next_request(record, site_a, site_b, bob, as_client, settings):
    settings.PRIVACY_MIN_GROUP = 2
    s = build(record, site_a, site_b)
    client = as_client(bob)
    before = int(_stat(client.get(reverse("analytics:org")).content.decode(), "Practices shared"))
    record(
        "practice.shared",
        actor=s.lyon_people[2],
        object_type="practices.practice",
        object_id=90_001,
        when=T0 + timedelta(hours=5),
        payload={"practice_site": site_a.pk},
    )
    after = int(_stat(client.get(reverse("analytics:org")).content.decode(), "Practices shared"))
    assert after == before + 1


def test_each_site_lead_sees_only_their_sites_dashboard(
    record, site_a, site_b, alice, dana, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 2
    build(record, site_a, site_b)
    RoleFactory(person=dana, role=RoleName.SITE_LEAD, site=site_b)
    lyon_page = as_client(alice).get(reverse("analytics:site", args=[site_a.code]))
    porto_page = as_client(dana).get(reverse("analytics:site", args=[site_b.code]))
    lyon, porto = lyon_page.content.decode(), porto_page.content.decode()
    assert f"/analytics/sites/{site_a.code}/flows.csv" in lyon
    assert f"/analytics/sites/{site_b.code}/flows.csv" in porto
    assert site_b.code + "/" not in lyon.split("<main", 1)[1].split("</main>")[0]
    # Whatever this process keeps, the door comes first.
    assert as_client(alice).get(reverse("analytics:site", args=[site_b.code])).status_code == 403


def test_the_updated_phrase_is_written_for_each_request(db):
    now = timezone.now()
    figures = [Figure("Practices shared", 3)]

    def rendered(updated_at):  # type: ignore[no-untyped-def]
        board = Dashboard(
            scope="org", people=9, safe=True, figures=list(figures), updated_at=updated_at
        )
        with translation.override("en"):
            return str(views._dashboard_html(board, csv_url="/analytics/org/"))

    three_days = rendered(now - timedelta(days=3))
    five_hours = rendered(now - timedelta(hours=5))
    never = rendered(None)
    assert "Updated 3\xa0days ago" in three_days
    assert "Updated 5\xa0hours ago" in five_hours and "days ago" not in five_hours
    assert "Updated" not in never and "Practices shared" in never
    assert "\x00" not in three_days + five_hours + never
