from __future__ import annotations

import factory

from pollinate.people.tests.factories import PersonFactory
from pollinate.reflections.models import Reflection


class ReflectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reflection

    author = factory.SubFactory(PersonFactory)
    site = factory.LazyAttribute(lambda reflection: reflection.author.site)
    team = factory.LazyAttribute(lambda reflection: reflection.author.team)
    title = factory.Sequence(lambda n: f"Changeover {n} ran late")
    happened = "We lost 40 minutes."
    visibility = "private"
