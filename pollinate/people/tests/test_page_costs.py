"""The people pages' cost does not grow with what they list, and what they build in one pass
reads as their templates did."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pollinate.people.selectors import people_counts_changed
from pollinate.people.tests.factories import PersonFactory, SkillFactory, TopicFactory

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    client.get(url)  # totals and what a site knows are counted and cached once
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_a_members_page_lists_their_skills_strongest_first_in_the_readers_language(
    as_client, bob, charlie, dana
) -> None:
    welding = TopicFactory(name="Welding", name_translations={"fr": "Soudage"})
    lean = TopicFactory(name="Lean")
    kaizen = TopicFactory(name="Kaizen")
    for topic, level in [(lean, 2), (welding, 4), (kaizen, 2)]:
        SkillFactory(person=charlie, topic=topic, level=level)
    body = as_client(bob).get(f"/people/{charlie.pk}/").content.decode()
    skills = body[body.index("Knows about") :]
    assert skills.index("Welding") < skills.index("Kaizen") < skills.index("Lean")
    assert (
        f'<li class="row"><a href="/topics/{welding.pk}-{welding.slug}/">Welding</a> '
        '<span class="chip chip--level-4">Expert — I teach it</span></li>'
    ) in skills
    assert "Practising — I do it with help" in skills
    dana.interface_language = "fr"
    dana.save(update_fields=["interface_language"])
    french = as_client(dana).get(f"/people/{charlie.pk}/").content.decode()
    assert ">Soudage</a>" in french and "Expert — I teach it" not in french


def test_a_members_page_costs_the_same_with_more_skills(as_client, bob, charlie) -> None:
    client = as_client(bob)
    SkillFactory(person=charlie, level=3)
    few = _queries(client, f"/people/{charlie.pk}/")
    for _index in range(12):
        SkillFactory(person=charlie, level=2)
    assert _queries(client, f"/people/{charlie.pk}/") == few
    assert client.get(f"/people/{charlie.pk}/").content.decode().count('<li class="row">') == 13


def test_the_site_page_costs_the_same_with_more_people_and_skills(as_client, bob, site_a) -> None:
    client = as_client(bob)
    few = _queries(client, "/sites/lyon/")
    topics = TopicFactory.create_batch(14)
    for index, person in enumerate(PersonFactory.create_batch(30, site=site_a)):
        SkillFactory(person=person, topic=topics[index % 14], level=4)
    people_counts_changed()
    assert _queries(client, "/sites/lyon/") == few
    body = client.get("/sites/lyon/").content.decode()
    assert "Who is here (31 people)" in body
    assert body.count('class="person-card"') == 24
    assert body.count('<tr><td><a href="/topics/') == 12


def test_the_site_page_lists_what_they_know_with_links_and_escaped_names(
    as_client, bob, alice
) -> None:
    from pollinate.people.services import skill_set

    topic = TopicFactory(name="<i>Lean</i>")
    skill_set(actor=alice, person=alice, topic=topic, level=4)
    people_counts_changed()
    body = as_client(bob).get("/sites/lyon/").content.decode()
    assert (
        f'<tr><td><a href="/topics/{topic.pk}-{topic.slug}/">&lt;i&gt;Lean&lt;/i&gt;</a></td>'
        "<td>1</td><td>1</td></tr>"
    ) in body


def test_the_member_and_site_doors_read_each_requests_own_row(
    as_client, bob, charlie, dana, site_a, site_b
) -> None:
    from pollinate.people.access import access_person, access_site

    client = as_client(bob)
    for person in (charlie, dana, bob):
        body = client.get(f"/people/{person.pk}/").content.decode()
        assert f"<h1>{person.display_name}</h1>" in body
        found = access_person(bob, person.pk)
        assert (found.pk, found.user.email, found.site.name) == (
            person.pk,
            person.user.email,
            person.site.name,
        )
        assert found.user.person is found
    for site in (site_a, site_b):
        assert f"<h1>{site.name}</h1>" in client.get(f"/sites/{site.code}/").content.decode()
        assert access_site(bob, site.code) == site
    assert client.get("/sites/Lyon/").status_code == 404  # codes match exactly
    assert client.get("/people/0/").status_code == 404
