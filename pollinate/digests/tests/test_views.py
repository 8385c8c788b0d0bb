"""The digest page, preferences, one-click unsubscribe and the API."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from django.test import Client

from pollinate.curation.tests.factories import CollectionFollowFactory, EpisodeFactory
from pollinate.digests.models import DigestPreference, Frequency
from pollinate.digests.services import unsubscribe_token
from pollinate.people.models import Person

pytestmark = pytest.mark.django_db


def _frequency(person: Person) -> str:
    pref = DigestPreference.objects.filter(person=person).first()
    return pref.frequency if pref else Frequency.WEEKLY


def test_the_digest_page_shows_new_episodes_of_followed_collections(
    bob: Person, as_client: Any
) -> None:
    episode = EpisodeFactory(title="Changeover in ten minutes")
    CollectionFollowFactory(person=bob, collection=episode.collection)
    response = as_client(bob).get("/digests/")
    assert response.status_code == 200
    assert "Changeover in ten minutes" in response.content.decode()


def test_the_digest_page_explains_how_to_fill_an_empty_digest(
    bob: Person, as_client: Any, django_assert_max_num_queries: Any
) -> None:
    client = as_client(bob)
    with django_assert_max_num_queries(25):
        response = client.get("/digests/")
    assert "Nothing for you yet" in response.content.decode()


def test_the_digest_page_asks_anonymous_visitors_to_sign_in(db: None) -> None:
    response = Client().get("/digests/")
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


def test_preferences_are_saved_for_the_member_only(
    bob: Person, alice: Person, as_client: Any
) -> None:
    response = as_client(bob).post(
        "/digests/preferences/", {"frequency": "daily", "kinds": ["practices", "questions"]}
    )
    assert response.status_code == 302
    pref = DigestPreference.objects.get(person=bob)
    assert pref.frequency == Frequency.DAILY
    assert set(pref.muted_kinds) == {"adoptions", "chats", "episodes", "help"}
    assert not DigestPreference.objects.filter(person=alice).exists()


def test_an_unknown_frequency_is_refused(bob: Person, as_client: Any) -> None:
    response = as_client(bob).post("/digests/preferences/", {"frequency": "hourly"})
    assert response.status_code == 400
    assert _frequency(bob) == Frequency.WEEKLY


def test_preferences_refuse_get(bob: Person, as_client: Any) -> None:
    assert as_client(bob).get("/digests/preferences/").status_code == 405


def test_one_click_unsubscribe_works_without_a_session(bob: Person) -> None:
    token = unsubscribe_token(bob.pk)
    response = Client(enforce_csrf_checks=True).post(
        f"/digests/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert _frequency(bob) == Frequency.NEVER


def test_opening_the_unsubscribe_link_asks_before_changing_anything(bob: Person) -> None:
    response = Client().get(f"/digests/unsubscribe/{unsubscribe_token(bob.pk)}/")
    assert response.status_code == 200
    assert _frequency(bob) == Frequency.WEEKLY


def test_a_section_link_mutes_only_that_section(bob: Person) -> None:
    Client().post(f"/digests/unsubscribe/{unsubscribe_token(bob.pk, 'chats')}/")
    pref = DigestPreference.objects.get(person=bob)
    assert pref.frequency == Frequency.WEEKLY
    assert pref.muted_kinds == ["chats"]


def test_a_tampered_token_cannot_unsubscribe_someone_else(bob: Person, alice: Person) -> None:
    _payload, _, rest = unsubscribe_token(bob.pk).partition(":")
    forged = signing.b64_encode(json.dumps({"p": alice.pk, "k": "all"}).encode()).decode()
    response = Client().post(f"/digests/unsubscribe/{forged}:{rest}/")
    assert response.status_code == 400
    assert _frequency(alice) == Frequency.WEEKLY
    assert _frequency(bob) == Frequency.WEEKLY


def test_an_expired_token_is_refused(
    bob: Person, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = unsubscribe_token(bob.pk)
    later = time.time() + (settings.DIGESTS_UNSUBSCRIBE_MAX_AGE_DAYS + 1) * 86400
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = Client().post(f"/digests/unsubscribe/{token}/")
    assert response.status_code == 400
    assert _frequency(bob) == Frequency.WEEKLY


def test_unsubscribe_refuses_other_methods(bob: Person) -> None:
    response = Client().put(f"/digests/unsubscribe/{unsubscribe_token(bob.pk)}/")
    assert response.status_code == 405


def test_the_api_reads_and_changes_my_preferences(bob: Person, as_client: Any) -> None:
    client = as_client(bob)
    assert client.get("/api/digests/preferences").json()["frequency"] == "weekly"
    response = client.put(
        "/api/digests/preferences",
        {"frequency": "daily", "muted_kinds": ["help"]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["muted_kinds"] == ["help"]
    assert _frequency(bob) == Frequency.DAILY


def test_the_api_refuses_an_unknown_section(bob: Person, as_client: Any) -> None:
    response = as_client(bob).put(
        "/api/digests/preferences",
        {"frequency": "daily", "muted_kinds": ["gossip"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_the_api_needs_a_member(db: None) -> None:
    assert Client().get("/api/digests/preferences").status_code == 401
    assert Client().get("/api/digests/current").status_code == 401


def test_the_api_shows_my_current_digest(bob: Person, as_client: Any) -> None:
    episode = EpisodeFactory(title="Torque basics")
    CollectionFollowFactory(person=bob, collection=episode.collection)
    data = as_client(bob).get("/api/digests/current").json()
    assert data["sections"][0]["kind"] == "episodes"
    assert "Torque basics" in data["sections"][0]["entries"][0]["title"]
    assert data["time_zone"] == bob.time_zone
    next_at = datetime.fromisoformat(data["next_at"]).astimezone(ZoneInfo(bob.time_zone))
    assert (next_at.weekday(), next_at.hour, next_at.minute) == (0, 7, 0)  # Monday 07:00 local


def test_a_link_for_a_deleted_member_is_refused_politely(bob: Person) -> None:
    token = unsubscribe_token(bob.pk + 1000)
    response = Client().post(f"/digests/unsubscribe/{token}/")
    assert response.status_code == 400
