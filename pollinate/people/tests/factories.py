from __future__ import annotations

import factory

from pollinate.people.models import Person, Role, Site, Skill, Topic, TopicKind, User


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Plant {n}")
    code = factory.Sequence(lambda n: f"plant-{n}")
    country = "FR"
    time_zone = "Europe/Paris"
    languages = factory.LazyFunction(lambda: ["fr", "en"])


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")
    kind = TopicKind.PROCESS


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def saved(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Person {n}")
    site = factory.SubFactory(SiteFactory)
    languages = factory.LazyFunction(lambda: ["en"])
    time_zone = "Europe/Paris"


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill

    person = factory.SubFactory(PersonFactory)
    topic = factory.SubFactory(TopicFactory)
    level = 3


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    person = factory.SubFactory(PersonFactory)
    role = "coach"
    site = None
