from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from pollinate.activity.models import Activity
from pollinate.people import demo
from pollinate.people.demo import GeneratedOrg, org_digest, org_generate
from pollinate.people.management.commands.prepare_instance import (
    DEMO_ADMIN,
    DEMO_MEMBER,
    DEMO_PASSWORD,
)
from pollinate.people.models import Person, Role, RoleName, Site, Skill, Topic, User

TODAY = date(2026, 5, 1)


def _generate(**options: Any) -> None:
    defaults: dict[str, Any] = {"sites": 6, "members": 120, "seed": 3, "today": TODAY}
    call_command("generate_org", verbosity=0, **{**defaults, **options})


@pytest.fixture
def no_app_demo_data(monkeypatch: pytest.MonkeyPatch) -> list[GeneratedOrg]:
    """Keeps other apps' demo modules out of people's tests, and records what they would get."""
    seen: list[GeneratedOrg] = []
    monkeypatch.setattr(demo, "populate_apps", lambda *, org, log=None: seen.append(org) or [])
    return seen


@pytest.mark.django_db(transaction=True)
def test_the_same_seed_generates_the_same_rows(no_app_demo_data) -> None:
    _generate()
    first = org_digest()
    call_command("flush", interactive=False, verbosity=0)
    _generate()
    assert org_digest() == first
    call_command("flush", interactive=False, verbosity=0)
    _generate(seed=4)
    assert org_digest() != first


@pytest.mark.django_db
def test_it_creates_the_requested_numbers_of_sites_people_and_countries(no_app_demo_data) -> None:
    _generate(sites=10, members=200, countries=4)
    assert Site.objects.count() == 10
    assert Person.objects.count() == 200
    assert User.objects.count() == 200
    assert Site.objects.values("country").distinct().count() == 4
    assert Site.objects.filter(is_central=True).count() == 2
    assert Activity.objects.filter(verb="person.joined").count() == 200


@pytest.mark.django_db
def test_every_person_has_a_site_a_time_zone_languages_and_a_manager_but_one(
    no_app_demo_data,
) -> None:
    _generate()
    people = list(Person.objects.select_related("site"))
    assert all(person.time_zone == person.site.time_zone for person in people)
    assert all(person.languages and person.job_title for person in people)
    assert sum(1 for person in people if person.manager_id is None) == 1
    assert all(not user.has_usable_password() for user in User.objects.all())


@pytest.mark.django_db
def test_every_site_has_a_site_lead_and_the_organisation_has_the_other_roles(
    no_app_demo_data,
) -> None:
    _generate()
    led = set(Role.objects.filter(role=RoleName.SITE_LEAD).values_list("site_id", flat=True))
    assert led == set(Site.objects.values_list("id", flat=True))
    for role in (RoleName.COACH, RoleName.EDITOR, RoleName.MODERATOR, RoleName.ADMINISTRATOR):
        assert Role.objects.filter(role=role, site=None).exists(), role


@pytest.mark.django_db
def test_the_taxonomy_has_french_names_and_people_have_skewed_skills(no_app_demo_data) -> None:
    _generate()
    assert Topic.objects.filter(name="Welding", name_translations__fr="Soudage").exists()
    assert all(topic.name_translations.get("fr") for topic in Topic.objects.all())
    levels = list(Skill.objects.values_list("level", flat=True))
    assert set(levels) == {1, 2, 3, 4}
    assert levels.count(4) < levels.count(2)


@pytest.mark.django_db
def test_site_names_countries_and_zones_are_real(no_app_demo_data) -> None:
    _generate(sites=12, countries=8)
    lyon = Site.objects.get(code="lyon")
    assert (lyon.name, lyon.country, lyon.time_zone) == ("Lyon Headquarters", "FR", "Europe/Paris")
    assert lyon.languages == ["fr", "en"]
    for site in Site.objects.all():
        site.full_clean()  # ISO country, IANA zone and known languages, as the models validate


@pytest.mark.django_db
def test_populate_hooks_receive_the_generated_org(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[GeneratedOrg, random.Random]] = []

    class FakeDemo:
        @staticmethod
        def populate(*, org: GeneratedOrg, rng: random.Random) -> None:
            calls.append((org, rng))

    real_import = demo.importlib.import_module

    def import_module(name: str) -> Any:
        if name == "pollinate.practices.demo":
            return FakeDemo
        if name.endswith(".demo"):
            raise ModuleNotFoundError(name=name)
        return real_import(name)

    monkeypatch.setattr(demo.importlib, "import_module", import_module)
    _generate(sites=3, members=30, scale=["questions=7"], scale_practices=11)
    assert len(calls) == 1
    org, rng = calls[0]
    assert len(org.sites) == 3 and len(org.person_ids) == 30 and org.topics
    assert org.scale["practices"] == 11 and org.scale["questions"] == 7
    assert org.scale["answers"] > 0 and org.scale["no_such_thing"] == 0
    site = org.sites[0]
    assert set(org.people_at(site.pk)) == set(
        Person.objects.filter(site=site).values_list("id", flat=True)
    )
    assert rng.random() == org.rng_for("practices").random()
    assert org.past(rng, days=30) <= org.now
    assert len(org.site_lead_ids) == 3 and org.coach_ids and org.administrator_id
    topic_id, expert_ids = next(iter(org.experts.items()))
    assert Skill.objects.filter(topic_id=topic_id, person_id=expert_ids[0], level__gte=3).exists()


@pytest.mark.django_db
def test_demo_sign_ins_work_with_their_password(no_app_demo_data) -> None:
    org = org_generate(sites=4, members=40, seed=7, demo=True, today=TODAY)
    member = Person.objects.get(user__email=DEMO_MEMBER)
    admin = Person.objects.get(user__email=DEMO_ADMIN)
    assert member.pk == org.demo_member_id and admin.pk == org.demo_admin_id
    assert member.skills.count() >= 2 and member.site.people.count() > 1
    assert admin.user.is_staff and admin.user.is_superuser and admin.is_administrator
    assert admin.user.password.startswith("argon2")
    for email in (DEMO_MEMBER, DEMO_ADMIN):
        client = Client()
        response = client.post("/sign-in/", {"username": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_it_refuses_to_generate_into_a_database_that_has_an_organisation(
    no_app_demo_data, site_a
) -> None:
    with pytest.raises(CommandError, match="already holds an organisation"):
        _generate()
    assert Site.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sites": 5, "members": 3}, "at least one person"),
        ({"sites": 0}, "At least one site"),
        ({"scale": ["practices"]}, "NAME=N"),
    ],
)
def test_it_explains_bad_options_and_writes_nothing(no_app_demo_data, options, message) -> None:
    with pytest.raises(CommandError, match=message):
        _generate(**options)
    assert not Site.objects.exists()
