from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from pollinate.chats.models import Chat, ChatParticipant, ChatPrompt, ChatVisibility
from pollinate.people.tests.factories import PersonFactory


class ChatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chat
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Live chat {n}")
    description = "Let us compare how each site does it."
    created_by = factory.SubFactory(PersonFactory)
    site = factory.LazyAttribute(lambda chat: chat.created_by.site)
    visibility = ChatVisibility.ORGANISATION
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=5))
    ends_at = factory.LazyAttribute(lambda chat: chat.starts_at + timedelta(hours=1))
    language = "en"

    @factory.post_generation
    def prompts(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            for number, body in enumerate(extracted or ["What is your first step?"], start=1):
                ChatPrompt.objects.create(chat=self, number=number, body=body)

    @factory.post_generation
    def hosted(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.hosts.add(self.created_by)
            ChatParticipant.objects.get_or_create(
                chat=self, person=self.created_by, defaults={"is_invited": True, "rsvp": "going"}
            )
