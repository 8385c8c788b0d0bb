from __future__ import annotations

import pytest

from pollinate.coaching.models import CoachOffer, CoachTopic
from pollinate.coaching.tests.factories import CoachOfferFactory, CoachTopicFactory
from pollinate.people.models import Person, Topic
from pollinate.people.tests.factories import TopicFactory


@pytest.fixture
def edging(db: None) -> Topic:
    return TopicFactory(name="Lens edging")


@pytest.fixture
def dana_offer(dana: Person, edging: Topic) -> CoachOffer:
    """Dana (Porto) coaches lens edging remotely, in Portuguese and English, two at a time."""
    offer = CoachOfferFactory(person=dana, languages=["pt", "en"], capacity=2, modes=["remote"])
    CoachTopicFactory(offer=offer, topic=edging)
    return offer


@pytest.fixture
def dana_topic(dana_offer: CoachOffer) -> CoachTopic:
    return dana_offer.topics.get()
