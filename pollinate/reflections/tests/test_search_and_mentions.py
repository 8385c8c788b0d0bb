"""Reflections in the shared search index and @mentions: private and team reflections never reach
anyone else, neither through search (pages and API) nor through a mention's notification."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from pollinate.core.search import search_ids
from pollinate.notifications.models import Notification, NotificationKind
from pollinate.people.tests.factories import PersonFactory
from pollinate.reflections import services
from pollinate.reflections.search import REFLECTION


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db: None) -> None:
    cache.clear()


def _write(person, visibility: str, title: str, **extra: str):  # type: ignore[no-untyped-def]
    data = {"kind": "lesson", "title": title, "lesson": "Calibrate the torque wrench weekly."}
    return services.reflection_create(actor=person, visibility=visibility, **{**data, **extra})


def _found(client, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get("/reflections/", {"q": query})
    assert response.status_code == 200
    return [reflection.title for reflection in response.context["page"].object_list]


def _found_api(client, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [item["title"] for item in client.get("/api/reflections/", {"q": query}).json()["items"]]


@pytest.fixture
def written(alice, site_a):  # type: ignore[no-untyped-def]
    alice.team = "Assembly · Shift A"
    alice.save(update_fields=["team"])
    return {
        "private": _write(alice, "private", "Private torque lesson"),
        "team": _write(alice, "team", "Team torque lesson"),
        "site": _write(alice, "site", "Site torque lesson"),
        "everyone": _write(alice, "everyone", "Everyone torque lesson"),
    }


def test_the_author_finds_all_of_their_reflections_by_words(as_client, alice, written) -> None:
    assert sorted(_found(as_client(alice), "torque wrench")) == sorted(
        reflection.title for reflection in written.values()
    )


def test_private_and_team_reflections_never_appear_in_anyone_elses_search(
    as_client, alice, bob, charlie, written
) -> None:
    # The index itself holds them (so the author finds them); the visibility rule filters them.
    assert len(search_ids(REFLECTION, "torque")) == 4
    assert sorted(_found(as_client(bob), "torque")) == [
        "Everyone torque lesson",
        "Site torque lesson",
    ]
    assert _found(as_client(charlie), "torque") == ["Everyone torque lesson"]
    assert _found(as_client(charlie), "private") == []
    assert _found_api(as_client(charlie), "torque") == ["Everyone torque lesson"]
    assert sorted(_found_api(as_client(bob), "torque")) == [
        "Everyone torque lesson",
        "Site torque lesson",
    ]


def test_a_teammate_finds_the_team_reflection_but_not_the_private_one(
    as_client, site_a, written
) -> None:
    teammate = PersonFactory(site=site_a, team="Assembly · Shift A")
    assert sorted(_found(as_client(teammate), "torque")) == [
        "Everyone torque lesson",
        "Site torque lesson",
        "Team torque lesson",
    ]


def test_a_deleted_reflection_leaves_the_index(alice) -> None:
    reflection = _write(alice, "everyone", "Everyone torque lesson")
    services.reflection_delete(actor=alice, reflection=reflection)
    assert search_ids(REFLECTION, "torque") == []


def test_an_edit_is_searchable_by_its_new_words(as_client, alice, bob) -> None:
    reflection = _write(alice, "everyone", "Everyone torque lesson")
    services.reflection_update(actor=alice, reflection=reflection, lesson="Label the hoses.")
    assert _found(as_client(bob), "hoses") == ["Everyone torque lesson"]
    assert _found(as_client(bob), "wrench") == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("visibility", ["private", "team"])
def test_a_mention_in_a_private_or_team_reflection_notifies_nobody(alice, bob, visibility) -> None:
    _write(alice, visibility, "Torque lesson", lesson="@Bob lent me the wrench.")
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_mention_in_a_shared_reflection_notifies_the_mentioned_person(alice, bob) -> None:
    _write(alice, "site", "Torque lesson", lesson="@Bob lent me the wrench.")
    notification = Notification.objects.get()
    assert notification.recipient == bob
    assert notification.kind == NotificationKind.MENTIONED


@pytest.mark.django_db(transaction=True)
def test_sharing_a_private_reflection_later_notifies_its_mentions_once(alice, bob) -> None:
    reflection = _write(alice, "private", "Torque lesson", lesson="@Bob lent me the wrench.")
    assert not Notification.objects.exists()
    services.reflection_update(actor=alice, reflection=reflection, visibility="everyone")
    services.reflection_update(actor=alice, reflection=reflection, title="Torque lesson, again")
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [bob.pk]
