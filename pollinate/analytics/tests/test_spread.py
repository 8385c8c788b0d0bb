"""The per-practice spread page: reach, speed, adaptation, outcomes and provenance."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pollinate.analytics.tests.scenario import build
from pollinate.practices.models import Practice, PracticeStatus
from pollinate.practices.tests.factories import PracticeFactory

pytestmark = pytest.mark.django_db


def _lyon_practice(s) -> Practice:  # type: ignore[no-untyped-def]
    return Practice.objects.get(site=s.lyon, owner=s.lyon_people[0])


def test_the_spread_page_shows_reach_speed_and_outcomes(record, site_a, site_b, bob, as_client):
    s = build(record, site_a, site_b)
    practice = _lyon_practice(s)
    response = as_client(bob).get(reverse("analytics:practice", args=[practice.pk]))
    assert response.status_code == 200
    spread = response.context["spread"]
    # Porto adopted after 48 h (positive), headquarters after 72 h (negative).
    assert spread.sites_reached == 2
    assert spread.hours_to_first_adoption == 48.0
    assert spread.positive_share == 50.0
    assert spread.adaptation_share == 0.0
    assert [row[0] for row in spread.adopters] == [s.porto.name, s.hq.name]


def test_the_provenance_tree_runs_from_the_original_through_its_adaptations(
    site_a, site_b, charlie, bob, as_client
):
    original = PracticeFactory(owner=bob, site=site_a, title="Original")
    child = PracticeFactory(
        owner=charlie, site=site_b, title="Porto version", adapted_from=original
    )
    PracticeFactory(owner=bob, site=site_a, title="Lyon remix", adapted_from=child)
    PracticeFactory(
        owner=charlie,
        site=site_b,
        title="Secret draft",
        adapted_from=child,
        status=PracticeStatus.DRAFT,
    )
    response = as_client(bob).get(reverse("analytics:practice", args=[child.pk]))
    tree = response.context["spread"].tree
    assert [(n.title, n.depth, n.current) for n in tree] == [
        ("Original", 0, False),
        ("Porto version", 1, True),
        ("Lyon remix", 2, False),
    ]
    assert "Secret draft" not in response.content.decode()


def test_the_practice_page_links_to_its_spread(site_a, bob, as_client):
    practice = PracticeFactory(owner=bob, site=site_a)
    body = as_client(bob).get(practice.get_absolute_url()).content.decode()
    assert reverse("analytics:practice", args=[practice.pk]) in body


def test_someone_elses_draft_has_no_spread_page(site_b, charlie, bob, as_client):
    draft = PracticeFactory(owner=charlie, site=site_b, status=PracticeStatus.DRAFT)
    response = as_client(bob).get(reverse("analytics:practice", args=[draft.pk]))
    assert response.status_code == 404


def test_the_spread_page_needs_sign_in_and_refuses_post(client, site_a, bob, as_client):
    practice = PracticeFactory(owner=bob, site=site_a)
    url = reverse("analytics:practice", args=[practice.pk])
    assert client.get(url).status_code == 302
    assert as_client(bob).post(url).status_code == 405
