from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from pollinate.activity.models import Activity
from pollinate.people.models import Person, Skill
from pollinate.people.selectors import people_counts_changed
from pollinate.people.tests.factories import PersonFactory, SkillFactory, TopicFactory

pytestmark = pytest.mark.django_db


def _png(size: tuple[int, int] = (40, 40)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "bob-on-holiday.png"
    return buffer


@pytest.mark.parametrize(
    "url",
    ["/", "/people/", "/me/", "/me/activity/", "/sites/lyon/", "/people/invite/"],
)
def test_it_sends_anonymous_visitors_to_sign_in(client: Client, site_a, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_it_shows_another_sites_member_page_to_a_member(as_client, bob, charlie) -> None:
    response = as_client(bob).get(f"/people/{charlie.pk}/")
    assert response.status_code == 200
    assert "Charlie" in response.content.decode()
    assert "Porto Plant" in response.content.decode()


def test_it_answers_404_for_an_unknown_person_and_site(as_client, bob) -> None:
    assert as_client(bob).get("/people/999999/").status_code == 404
    assert as_client(bob).get("/sites/nowhere/").status_code == 404


def test_it_hides_deactivated_people_from_members(as_client, bob, charlie) -> None:
    charlie.user.is_active = False
    charlie.user.save()
    assert as_client(bob).get(f"/people/{charlie.pk}/").status_code == 404


def test_it_saves_a_profile_with_a_photo_and_records_activity(as_client, bob) -> None:
    response = as_client(bob).post(
        "/me/",
        {
            "display_name": "Bob Martin",
            "job_title": "Line technician",
            "team": "Night shift",
            "languages": ["fr", "en"],
            "time_zone": "Europe/Paris",
            "bio": "Lens edging since 2009.",
            "interface_language": "",
            "photo": _png(),
        },
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.display_name == "Bob Martin"
    assert bob.languages == ["fr", "en"]
    assert bob.photo.name.startswith("people/") and bob.photo.name.endswith(".jpg")
    # Stored under a random name: the uploaded one never reaches the disk.
    assert "holiday" not in bob.photo.name
    activity = Activity.objects.get(verb="person.profile_updated")
    assert activity.actor == bob and "photo" in activity.payload["fields"]


def test_it_refuses_a_file_that_is_not_an_image_and_keeps_the_profile(as_client, bob) -> None:
    fake = io.BytesIO(b"<script>alert(1)</script>")
    fake.name = "photo.png"
    response = as_client(bob).post(
        "/me/",
        {
            "display_name": "Changed",
            "languages": ["fr"],
            "time_zone": "Europe/Paris",
            "photo": fake,
        },
    )
    assert response.status_code == 400
    assert "image" in response.content.decode().lower()
    bob.refresh_from_db()
    assert bob.display_name == "Bob"
    assert not bob.photo


def test_it_shows_field_errors_for_a_bad_time_zone(as_client, bob) -> None:
    response = as_client(bob).post(
        "/me/", {"display_name": "", "languages": ["fr"], "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "errorlist" in body
    assert "Mars/Olympus" in body


def test_it_refuses_the_wrong_method(as_client, bob) -> None:
    assert as_client(bob).post("/people/").status_code == 405
    assert as_client(bob).get("/me/skills/").status_code == 405


def test_it_adds_and_removes_a_skill(as_client, bob) -> None:
    topic = TopicFactory(name="Lens edging")
    client = as_client(bob)
    assert client.post("/me/skills/", {"topic": topic.pk, "level": 4}).status_code == 302
    assert Skill.objects.get(person=bob, topic=topic).level == 4
    assert client.post(f"/me/skills/{topic.pk}/remove/").status_code == 302
    assert not Skill.objects.filter(person=bob).exists()


def test_the_directory_finds_who_knows_a_topic_across_sites_best_first(
    as_client, bob, charlie, dana
) -> None:
    welding = TopicFactory(name="Welding")
    SkillFactory(person=charlie, topic=welding, level=3)
    SkillFactory(person=dana, topic=welding, level=4)
    response = as_client(bob).get("/people/", {"topic": welding.pk})
    people = list(response.context["page"].object_list)
    assert people == [dana, charlie]


def test_the_directory_filters_by_site_country_and_language(as_client, bob, charlie) -> None:
    client = as_client(bob)
    assert list(client.get("/people/", {"site": "porto"}).context["page"]) == [charlie]
    assert list(client.get("/people/", {"country": "PT"}).context["page"]) == [charlie]
    speakers = list(client.get("/people/", {"language": "pt"}).context["page"])
    assert speakers == [charlie]


def test_the_directory_query_count_does_not_grow_with_the_people_shown(
    as_client, bob, site_a, django_assert_max_num_queries
) -> None:
    topic = TopicFactory()
    SkillFactory(person=bob, topic=topic, level=2)
    client = as_client(bob)

    def queries_of(url: str) -> int:
        client.get(url)  # the total is counted and cached once per filter set
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        assert response.status_code == 200
        return len(context.captured_queries)

    urls = ["/people/", f"/people/?topic={topic.pk}"]
    small = [queries_of(url) for url in urls]
    for person in PersonFactory.create_batch(29, site=site_a):
        SkillFactory(person=person, topic=topic, level=3)
    people_counts_changed()
    large = [queries_of(url) for url in urls]
    assert small == large
    with django_assert_max_num_queries(12):
        body = client.get(f"/people/?topic={topic.pk}").content.decode()
    assert body.count('class="person-card"') == 24
    assert "30 people" in body


def test_who_knows_ranks_by_best_level_then_name_across_pages(as_client, bob, site_a) -> None:
    parent = TopicFactory(name="Welding")
    child = TopicFactory(name="TIG welding", parent=parent)
    other = TopicFactory(name="Painting")
    levels = {}
    for index in range(30):
        person = PersonFactory(site=site_a, display_name=f"Welder {index:02d}")
        level = 4 if index % 3 == 0 else 2
        SkillFactory(person=person, topic=parent, level=level)
        # Knowing the narrower topic too must not list a person twice, and the best level counts.
        if index % 5 == 0:
            SkillFactory(person=person, topic=child, level=3)
            level = max(level, 3)
        levels[person.pk] = (level, person.display_name)
    SkillFactory(person=PersonFactory(site=site_a), topic=other, level=4)
    client = as_client(bob)
    first = client.get("/people/", {"topic": parent.pk})
    second = client.get("/people/", {"topic": parent.pk, "page": 2})
    shown = list(first.context["page"].object_list) + list(second.context["page"].object_list)
    expected = sorted(levels, key=lambda pk: (-levels[pk][0], levels[pk][1], pk))
    assert [person.pk for person in shown] == expected
    assert first.context["page"].paginator.count == 30
    assert "page=2" in first.content.decode() and "page=1&amp;page" not in first.content.decode()


def test_the_directory_total_follows_skill_and_account_changes(
    as_client, bob, charlie, django_capture_on_commit_callbacks
) -> None:
    from pollinate.people.services import skill_set

    welding = TopicFactory(name="Welding")
    client = as_client(bob)

    def total() -> int:
        return client.get("/people/", {"topic": welding.pk}).context["page"].paginator.count

    assert total() == 0
    with django_capture_on_commit_callbacks(execute=True):
        skill_set(actor=charlie, person=charlie, topic=welding, level=3)
    assert total() == 1
    with django_capture_on_commit_callbacks(execute=True):
        skill_set(actor=charlie, person=charlie, topic=welding, level=None)
    assert total() == 0


def test_the_directory_cards_show_skills_strongest_first(as_client, bob, charlie) -> None:
    for name, level in [("Kaizen", 2), ("Welding", 4), ("Painting", 1), ("Lean", 3), ("5S", 1)]:
        SkillFactory(person=charlie, topic=TopicFactory(name=name), level=level)
    body = as_client(bob).get("/people/", {"site": "porto"}).content.decode()
    chips = body[body.index('class="chips"') :]
    assert chips.index("Welding · 4") < chips.index("Lean · 3") < chips.index("Kaizen · 2")
    assert "chip chip--level-4" in chips
    assert chips[: chips.index("</ul>")].count("<li") == 4
    assert f'href="/people/{charlie.pk}/"' in body


def test_the_directory_answers_htmx_with_the_results_partial(as_client, bob) -> None:
    response = as_client(bob).get("/people/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.content.decode()


def test_the_site_page_shows_who_is_there_and_what_they_know(as_client, bob, alice, site_a) -> None:
    SkillFactory(person=alice, topic=TopicFactory(name="Kaizen"), level=4)
    response = as_client(bob).get("/sites/lyon/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Alice" in body and "Kaizen" in body


def test_a_renamed_topic_keeps_its_old_link_working(as_client, bob) -> None:
    topic = TopicFactory(name="Welding")
    old_slug = topic.slug
    topic.name, topic.slug = "Arc welding", "arc-welding"
    topic.save()
    response = as_client(bob).get(f"/topics/{topic.pk}-{old_slug}/")
    assert response.status_code == 301
    assert response["Location"] == f"/topics/{topic.pk}-arc-welding/"


def test_a_merged_topic_redirects_to_the_topic_it_was_merged_into(as_client, bob, admin) -> None:
    from pollinate.people.services import topic_merge

    source, target = TopicFactory(name="MIG welding"), TopicFactory(name="Welding")
    SkillFactory(person=bob, topic=source, level=2)
    topic_merge(actor=admin, source=source, target=target)
    response = as_client(bob).get(f"/topics/{source.pk}-{source.slug}/")
    assert response.status_code == 301
    assert response["Location"] == target.get_absolute_url()
    assert Skill.objects.get(person=bob).topic == target


def test_my_activity_shows_only_my_own_records(as_client, bob, charlie) -> None:
    as_client(charlie).post("/me/skills/", {"topic": TopicFactory().pk, "level": 2})
    as_client(bob).post(
        "/me/", {"display_name": "Bobby", "languages": ["fr"], "time_zone": "Europe/Paris"}
    )
    response = as_client(bob).get("/me/activity/")
    rows = response.context["rows"]
    assert [activity.actor for activity, _ in rows] == [bob]
    assert "updated their profile" in response.content.decode()


def test_only_administrators_can_open_the_invitation_page(as_client, bob, alice, admin) -> None:
    assert as_client(bob).get("/people/invite/").status_code == 403
    assert as_client(alice).get("/people/invite/").status_code == 403
    assert as_client(admin).get("/people/invite/").status_code == 200


def test_an_account_without_a_profile_gets_an_explanation(client: Client, db) -> None:
    from pollinate.people.models import User

    user = User.objects.create_user("lonely@example.com", "x-very-long-password")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    assert "no member profile" in response.content.decode()


def test_the_language_switch_is_remembered_on_the_profile(as_client, bob) -> None:
    client = as_client(bob)
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.interface_language == "fr"
    assert client.get("/").headers["Content-Language"] == "fr"


def test_people_created_by_the_service_get_their_sites_time_zone(site_b) -> None:
    from pollinate.people.services import person_create

    person = person_create(email="New@Example.com", password=None, display_name="New", site=site_b)
    assert isinstance(person, Person)
    assert person.user.email == "new@example.com"
    assert person.time_zone == "Europe/Lisbon"
    assert Activity.objects.filter(verb="person.joined", actor=person).count() == 1


def test_person_cards_escape_what_people_write_about_themselves(as_client, bob, site_a) -> None:
    sneaky = PersonFactory(site=site_a, display_name="<b>Eve</b>", job_title='"><script>x</script>')
    SkillFactory(person=sneaky, topic=TopicFactory(name="<i>Lean</i>"), level=4)
    client = as_client(bob)
    for body in (
        client.get("/people/", {"q": "Eve"}).content.decode(),
        client.get("/sites/lyon/").content.decode(),
    ):
        assert "&lt;b&gt;Eve&lt;/b&gt;" in body
        assert "<script>x" not in body and "&lt;script&gt;x" in body
        assert "<b>Eve</b>" not in body
    assert "&lt;i&gt;Lean&lt;/i&gt; · 4" in client.get("/people/", {"q": "Eve"}).content.decode()


def test_what_a_site_knows_follows_skill_changes(
    as_client, bob, alice, django_capture_on_commit_callbacks
) -> None:
    from pollinate.people.services import skill_set

    kaizen = TopicFactory(name="Kaizen")
    client = as_client(bob)
    assert client.get("/sites/lyon/").context["knowledge"] == []
    with django_capture_on_commit_callbacks(execute=True):
        skill_set(actor=alice, person=alice, topic=kaizen, level=4)
    assert client.get("/sites/lyon/").context["knowledge"] == [(kaizen, 1, 1)]
    with django_capture_on_commit_callbacks(execute=True):
        skill_set(actor=alice, person=alice, topic=kaizen, level=None)
    assert client.get("/sites/lyon/").context["knowledge"] == []


def test_the_directory_filters_offer_a_topic_as_soon_as_it_is_created(as_client, bob) -> None:
    client = as_client(bob)
    assert "Ultrasonic testing" not in client.get("/people/").content.decode()
    topic = TopicFactory(name="Ultrasonic testing")
    body = client.get("/people/").content.decode()
    assert f'<option value="{topic.pk}">Ultrasonic testing</option>' in body
    selected = client.get("/people/", {"topic": topic.pk}).content.decode()
    assert f'<option value="{topic.pk}" selected>Ultrasonic testing</option>' in selected
