from __future__ import annotations

import factory
from django.utils import timezone

from pollinate.curation.models import Collection, CollectionFollow, Episode, Item, ItemKind


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection

    title = factory.Sequence(lambda n: f"Series {n}")
    introduction = "Why this series matters."
    publish_at = factory.LazyFunction(timezone.now)


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Episode

    collection = factory.SubFactory(CollectionFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Episode {n}")
    publish_at = factory.LazyFunction(timezone.now)


class LinkItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    episode = factory.SubFactory(EpisodeFactory)
    kind = ItemKind.LINK
    url = "https://example.org/5s-guide"
    link_title = "A guide to 5S"
    link_source = "Example Institute"
    commentary = "Read the second part."


class CollectionFollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectionFollow

    collection = factory.SubFactory(CollectionFactory)
