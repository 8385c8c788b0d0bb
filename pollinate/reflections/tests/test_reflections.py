from __future__ import annotations

import pytest
from django.core.cache import cache

from pollinate.activity.models import Activity
from pollinate.notifications.models import Notification
from pollinate.reflections import services
from pollinate.reflections.models import Reflection
from pollinate.reflections.tests.factories import ReflectionFactory

# Real commits: spine subscribers (notifications) run after commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db: None) -> None:
    cache.clear()


def _aar(**extra: str) -> dict[str, str]:
    return {
        "kind": "aar",
        "title": "Night shift changeover ran 40 minutes late",
        "planned": "Changeover in 20 minutes.",
        "happened": "It took an hour.",
        "why": "The torque wrench was missing.",
        "differently": "Shadow board at the press.",
        "visibility": "private",
        **extra,
    }


def test_a_member_writes_a_private_after_action_review(as_client, alice) -> None:
    response = as_client(alice).post("/reflections/new/", _aar())
    reflection = Reflection.objects.get()
    assert response.status_code == 302
    assert reflection.author == alice
    page = as_client(alice).get(reflection.get_absolute_url()).content.decode()
    assert "Shadow board at the press." in page
    activity = Activity.objects.get(verb="reflection.written")
    assert activity.is_public is False
    assert "title" not in activity.payload


def test_an_empty_reflection_gets_form_errors(as_client, alice) -> None:
    response = as_client(alice).post(
        "/reflections/new/", _aar(happened="", differently="", title="Empty one")
    )
    assert response.status_code == 400
    assert not Reflection.objects.exists()
    oversized = as_client(alice).post("/reflections/new/", _aar(why="x" * 5001))
    assert oversized.status_code == 400


def test_a_private_reflection_is_invisible_to_everyone_else_on_every_page(
    as_client, alice, bob, charlie, admin
) -> None:
    reflection = ReflectionFactory(author=alice, title="My secret mistake", visibility="private")
    for other in (bob, charlie, admin):
        client = as_client(other)
        assert client.get(reflection.get_absolute_url()).status_code == 404
        assert "My secret mistake" not in client.get("/reflections/").content.decode()
        assert "My secret mistake" not in client.get("/reflections/?q=secret").content.decode()
        assert client.post(f"/reflections/{reflection.pk}/delete/").status_code == 404
    assert Reflection.objects.filter(pk=reflection.pk).exists()


def test_a_team_reflection_is_seen_by_the_team_only(as_client, alice, bob, editor) -> None:
    alice.team = bob.team = "Press line"
    alice.save()
    bob.save()
    reflection = services.reflection_create(actor=alice, **_aar(visibility="team"))
    assert as_client(bob).get(reflection.get_absolute_url()).status_code == 200
    assert as_client(editor).get(reflection.get_absolute_url()).status_code == 404
    assert Activity.objects.get(verb="reflection.written").is_public is False


def test_a_site_reflection_is_seen_at_the_site_but_not_elsewhere(
    as_client, alice, bob, charlie
) -> None:
    reflection = ReflectionFactory(author=alice, visibility="site")
    assert as_client(bob).get(reflection.get_absolute_url()).status_code == 200
    assert as_client(charlie).get(reflection.get_absolute_url()).status_code == 404


def test_an_everyone_reflection_is_seen_at_other_sites(as_client, alice, charlie) -> None:
    ReflectionFactory(author=alice, visibility="everyone", title="Open lesson")
    assert "Open lesson" in as_client(charlie).get("/reflections/").content.decode()


def test_private_reflections_stay_out_of_feeds_and_notifications(as_client, alice, bob) -> None:
    services.reflection_create(actor=alice, **_aar(title="Hidden from the feed"))
    home = as_client(bob).get("/").content.decode()
    assert "wrote a reflection" not in home
    assert not Notification.objects.exists()


def test_only_the_author_edits_a_shared_reflection(as_client, alice, bob) -> None:
    reflection = ReflectionFactory(author=alice, visibility="site")
    assert as_client(bob).get(f"/reflections/{reflection.pk}/edit/").status_code == 403
    assert as_client(bob).post(f"/reflections/{reflection.pk}/delete/").status_code == 403
    response = as_client(alice).post(
        f"/reflections/{reflection.pk}/edit/", _aar(title="Renamed", visibility="everyone")
    )
    assert response.status_code == 302
    reflection.refresh_from_db()
    assert (reflection.title, reflection.visibility) == ("Renamed", "everyone")


def test_anonymous_and_wrong_methods_are_refused(client, as_client, alice) -> None:
    reflection = ReflectionFactory(author=alice)
    assert "/sign-in/" in client.get("/reflections/")["Location"]
    assert "/sign-in/" in client.get(reflection.get_absolute_url())["Location"]
    assert as_client(alice).get(f"/reflections/{reflection.pk}/delete/").status_code == 405
    assert as_client(alice).get(f"/reflections/{reflection.pk}/practice/").status_code == 405


def test_a_reflection_turns_into_a_practice_draft_once_and_keeps_the_link(as_client, alice) -> None:
    from pollinate.practices.models import Practice

    reflection = services.reflection_create(actor=alice, **_aar())
    client = as_client(alice)
    assert client.post(f"/reflections/{reflection.pk}/practice/").status_code == 302
    client.post(f"/reflections/{reflection.pk}/practice/")
    reflection.refresh_from_db()
    practice = Practice.objects.get()
    assert reflection.practice_id == practice.pk
    assert practice.title == reflection.title
    assert "Shadow board" in practice.steps


def test_the_reflection_list_uses_a_fixed_number_of_queries(
    as_client, alice, django_assert_max_num_queries
) -> None:
    for _ in range(15):
        ReflectionFactory(author=alice)
    client = as_client(alice)
    with django_assert_max_num_queries(10):
        response = client.get("/reflections/")
    assert response.content.decode().count("question-card__title") == 15
