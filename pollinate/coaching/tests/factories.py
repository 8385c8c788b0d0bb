from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from pollinate.coaching.models import (
    CoachingRequest,
    CoachingSession,
    CoachLevel,
    CoachOffer,
    CoachTopic,
    Match,
    MatchStatus,
)
from pollinate.people.tests.factories import PersonFactory, TopicFactory


class CoachOfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoachOffer

    person = factory.SubFactory(PersonFactory)
    languages = factory.LazyFunction(lambda: ["en"])
    capacity = 2
    modes = factory.LazyFunction(lambda: ["remote"])
    pitch = "Happy to help."


class CoachTopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoachTopic

    offer = factory.SubFactory(CoachOfferFactory)
    topic = factory.SubFactory(TopicFactory)
    level = 4
    coach_level = CoachLevel.CERTIFIED


class CoachingRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoachingRequest

    learner = factory.SubFactory(PersonFactory)
    site = factory.LazyAttribute(lambda o: o.learner.site)
    topic = factory.SubFactory(TopicFactory)
    goal = "Set up the edger on my own."
    languages = factory.LazyFunction(lambda: ["en"])


class MatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Match

    request = factory.SubFactory(CoachingRequestFactory)
    coach = factory.SubFactory(PersonFactory)
    status = MatchStatus.ACCEPTED
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3))
    learner_confirmed_at = factory.LazyFunction(timezone.now)


class CoachingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoachingSession

    match = factory.SubFactory(MatchFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=2))
    notes = "Private notes"
