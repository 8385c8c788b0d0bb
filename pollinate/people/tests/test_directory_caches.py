"""What the people pages keep between requests must never show one reader another's view, a
language they did not ask for, or data from before an edit."""

from __future__ import annotations

import pytest

from pollinate.people.models import Person, Skill, Topic
from pollinate.people.tests.factories import PersonFactory, SkillFactory, TopicFactory

pytestmark = pytest.mark.django_db


def _speaks_french(person: Person) -> Person:
    person.interface_language = "fr"
    person.save(update_fields=["interface_language"])
    return person


def test_the_directory_speaks_each_readers_language_in_filters_and_chips(
    as_client, bob, charlie, dana
) -> None:
    welding = TopicFactory(name="Welding", name_translations={"fr": "Soudage"})
    SkillFactory(person=charlie, topic=welding, level=3)
    _speaks_french(dana)
    for _round in range(2):  # the second round reads what the first one kept
        english = as_client(bob).get("/people/", {"site": "porto"}).content.decode()
        french = as_client(dana).get("/people/", {"site": "porto"}).content.decode()
        assert "Any topic" in english and "Tous les thèmes" not in english
        assert "Welding · 3" in english and "Soudage" not in english
        assert "Tous les thèmes" in french and "Any topic" not in french
        assert "Soudage · 3" in french
        assert f'<option value="{welding.pk}">Soudage</option>' in french


def test_the_directory_filters_show_only_what_this_request_asked_for(
    as_client, bob, charlie
) -> None:
    client = as_client(bob)
    searched = client.get("/people/", {"q": "Ana", "site": "porto"}).content.decode()
    assert 'value="Ana"' in searched
    assert '<option value="porto" selected>Porto Plant</option>' in searched
    plain = client.get("/people/").content.decode()
    assert 'value="Ana"' not in plain
    assert '<option value="porto">Porto Plant</option>' in plain
    assert 'porto" selected' not in plain
    hostile = client.get("/people/", {"q": '"><script>x</script>'}).content.decode()
    assert "<script>x" not in hostile and "&lt;script&gt;x" in hostile
    invalid = client.get("/people/", {"site": "nowhere"}).content.decode()
    assert "Select a valid choice" in invalid
    assert "Select a valid choice" not in client.get("/people/").content.decode()


def test_a_renamed_topic_is_shown_by_its_new_name_at_once(as_client, bob, charlie) -> None:
    topic = TopicFactory(name="Welding")
    SkillFactory(person=charlie, topic=topic, level=4)
    client = as_client(bob)
    assert "Welding · 4" in client.get("/people/", {"site": "porto"}).content.decode()
    topic.name = "Arc welding"
    topic.save()
    body = client.get("/people/", {"site": "porto"}).content.decode()
    assert "Arc welding · 4" in body and "Welding · 4" not in body
    assert f'<option value="{topic.pk}">Arc welding</option>' in body


def test_a_merged_topic_stops_being_a_filter_at_once(as_client, bob, charlie, dana) -> None:
    old, new = TopicFactory(name="Welding"), TopicFactory(name="Joining")
    SkillFactory(person=charlie, topic=old, level=4)
    client = as_client(bob)
    assert list(client.get("/people/", {"topic": old.pk}).context["page"]) == [charlie]
    old.merged_into = new
    old.save()
    response = client.get("/people/", {"topic": old.pk})
    assert response.context["filters"].topic is None
    assert f'<option value="{old.pk}"' not in response.content.decode()


def test_who_knows_includes_a_topic_added_below_the_chosen_one(
    as_client, bob, charlie, django_capture_on_commit_callbacks
) -> None:
    from pollinate.people.services import skill_set

    parent = TopicFactory(name="Welding")
    client = as_client(bob)
    assert list(client.get("/people/", {"topic": parent.pk}).context["page"]) == []
    child = TopicFactory(name="TIG welding", parent=parent)
    with django_capture_on_commit_callbacks(execute=True):
        skill_set(actor=charlie, person=charlie, topic=child, level=3)
    assert list(client.get("/people/", {"topic": parent.pk}).context["page"]) == [charlie]


def test_the_chosen_topic_a_page_gets_is_its_own_copy(as_client, bob) -> None:
    topic = TopicFactory(name="Welding", name_translations={"fr": "Soudage"})
    client = as_client(bob)
    first: Topic = client.get("/people/", {"topic": topic.pk}).context["filters"].topic
    first.name_translations["fr"] = "Changed by a caller"
    first.name = "Changed"
    second: Topic = client.get("/people/", {"topic": topic.pk}).context["filters"].topic
    assert second is not first
    assert (second.name, second.name_translations) == ("Welding", {"fr": "Soudage"})


def test_cards_name_a_topic_created_without_signals(as_client, bob, site_a) -> None:
    # As a topic added by another process or a bulk import: not yet in this process's copy.
    person = PersonFactory(site=site_a, display_name="Zed")
    SkillFactory(person=person, topic=TopicFactory(name="Lean"), level=2)
    client = as_client(bob)
    client.get("/people/")
    [unseen] = Topic.objects.bulk_create([Topic(name="Unseen", slug="unseen", kind="skill")])
    SkillFactory(person=person, topic=unseen, level=4)
    body = client.get("/people/", {"q": "Zed"}).content.decode()
    assert "Zed" in body and "Unseen · 4" in body and "Lean · 2" in body


def test_directory_pages_kept_as_sql_answer_each_requests_own_filters(
    as_client, bob, charlie, dana, site_a, site_b
) -> None:
    # The SQL of a page's queries is kept per process; the values must be this request's.
    welding, painting = TopicFactory(name="Welding"), TopicFactory(name="Painting")
    lyon = [PersonFactory(site=site_a, display_name=f"Lyon {index:02d}") for index in range(26)]
    for index, person in enumerate(lyon):
        SkillFactory(person=person, topic=welding, level=4 if index % 2 else 2)
    SkillFactory(person=charlie, topic=painting, level=1)
    SkillFactory(person=dana, topic=welding, level=3)
    client = as_client(bob)

    def shown(**query: object) -> list[Person]:
        return list(client.get("/people/", query).context["page"].object_list)

    assert shown(site="porto") == [charlie, dana]
    assert {person.site_id for person in shown(site="lyon")} == {site_a.pk}
    assert shown(topic=painting.pk) == [charlie]
    expected = sorted(
        [*lyon, dana],
        key=lambda person: (
            -Skill.objects.get(person=person, topic=welding).level,
            person.display_name,
            person.pk,
        ),
    )
    assert shown(topic=welding.pk) + shown(topic=welding.pk, page=2) == expected
    assert shown(topic=welding.pk, site="porto") == [dana]
    assert shown(topic=painting.pk, site="lyon") == []
    # Free text is not kept as SQL: the same filters with a search still answer right.
    assert shown(topic=welding.pk, site="porto", q="Dan") == [dana]
    assert shown(site="lyon", q="Lyon 0")[0].display_name == "Lyon 00"


def test_directory_cards_and_api_rows_follow_profile_edits(as_client, bob, charlie) -> None:
    client = as_client(bob)
    assert "Porto Plant" in client.get("/people/", {"site": "porto"}).content.decode()
    charlie.display_name = "Charlie Renamed"
    charlie.job_title = "Quality lead"
    charlie.save()
    body = client.get("/people/", {"site": "porto"}).content.decode()
    assert "Charlie Renamed" in body and "Quality lead · Porto Plant" in body
    rows = client.get("/api/people", {"site": "porto"}).json()["items"]
    assert [(row["display_name"], row["job_title"]) for row in rows] == [
        ("Charlie Renamed", "Quality lead")
    ]
