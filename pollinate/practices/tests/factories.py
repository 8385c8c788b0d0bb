from __future__ import annotations

import factory
from django.utils import timezone

from pollinate.people.tests.factories import PersonFactory
from pollinate.practices.models import Adoption, Comment, Practice, PracticeStatus, Tag


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    title = factory.Sequence(lambda n: f"Practice {n}")
    steps = "1. Do the thing.\n2. Check it."
    problem = "Too much scrap."
    evidence = "Scrap went down."
    language = "en"
    owner = factory.SubFactory(PersonFactory)
    site = factory.LazyAttribute(lambda o: o.owner.site)
    status = PracticeStatus.SHARED
    shared_at = factory.LazyFunction(timezone.now)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"Press {n}")
    kind = "equipment"


class AdoptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Adoption

    practice = factory.SubFactory(PracticeFactory)
    site = factory.SubFactory("pollinate.people.tests.factories.SiteFactory")
    status = "adopted"
    outcome_positive = True


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    practice = factory.SubFactory(PracticeFactory)
    author = factory.SubFactory(PersonFactory)
    body = "Nice."
