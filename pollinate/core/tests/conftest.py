"""Fixtures for the cross-cutting security tests: the authorization matrix's personas and objects.

Every object is owned by ``charlie`` (a plain member at Porto) in its most restrictive variant
(a draft practice, a private reflection, an invite-only chat, an unpublished collection...), so a
200 for anyone but the owner — or a role the route is meant for — is a leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from pollinate.chats.models import ChatMessage, ChatVisibility
from pollinate.chats.tests.factories import ChatFactory
from pollinate.coaching.tests.factories import (
    CoachingRequestFactory,
    CoachingSessionFactory,
    CoachOfferFactory,
    CoachTopicFactory,
    MatchFactory,
)
from pollinate.curation.tests.factories import CollectionFactory, EpisodeFactory, LinkItemFactory
from pollinate.notifications.models import Notification
from pollinate.people.models import Person, Site
from pollinate.people.tests.factories import PersonFactory, TopicFactory, UserFactory
from pollinate.practices.models import PracticeImage, PracticeRevision, PracticeStatus
from pollinate.practices.tests.factories import CommentFactory, PracticeFactory, TagFactory
from pollinate.questions.tests.factories import AnswerFactory, QuestionFactory
from pollinate.reflections.tests.factories import ReflectionFactory


@pytest.fixture
def paula(site_b: Site) -> Person:
    """A plain member at Porto: the owner's same-site colleague."""
    user = UserFactory(email="paula@example.com")
    return PersonFactory(user=user, display_name="Paula", site=site_b, time_zone=site_b.time_zone)


@dataclass
class World:
    """The personas by matrix name and the URL parameter values that point at charlie's objects."""

    personas: dict[str, Person | None]
    values: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(
    site_a: Site,
    site_b: Site,
    alice: Person,
    bob: Person,
    charlie: Person,
    dana: Person,
    mod: Person,
    admin: Person,
    paula: Person,
) -> World:
    owner = charlie
    topic = TopicFactory(name="Edging")
    tag = TagFactory(name="Edger 3000", slug="edger-3000")

    draft = PracticeFactory(
        owner=owner, status=PracticeStatus.DRAFT, shared_at=None, title="Draft practice"
    )
    PracticeRevision.objects.create(practice=draft, number=1, editor=owner, data={})
    image = PracticeImage.objects.create(practice=draft, image="practices/x.jpg", uploaded_by=owner)
    shared = PracticeFactory(owner=owner, title="Shared practice")
    comment = CommentFactory(practice=shared, author=owner)
    shared.comment_count = 1  # the factory skips the service that keeps the counter
    shared.save(update_fields=["comment_count"])

    question = QuestionFactory(author=owner)
    answer = AnswerFactory(question=question, author=owner)
    question.answer_count = 1  # as above: the factory skips the counting service
    question.save(update_fields=["answer_count"])
    reflection = ReflectionFactory(author=owner, visibility="private")

    chat = ChatFactory(created_by=owner, visibility=ChatVisibility.PRIVATE)
    ChatMessage.objects.create(chat=chat, seq=1, author=owner, body="Only for the invited.")
    chat.last_seq = 1
    chat.save(update_fields=["last_seq"])

    collection = CollectionFactory(created_by=owner, publish_at=None, title="Unpublished series")
    episode = EpisodeFactory(collection=collection, number=1, publish_at=None)
    item = LinkItemFactory(episode=episode)

    # The coach on charlie's match is not one of the personas, so no persona is a participant.
    coach = PersonFactory(site=site_b, display_name="Victor")
    offer = CoachOfferFactory(person=coach)
    CoachTopicFactory(offer=offer, topic=topic)
    request = CoachingRequestFactory(learner=owner, topic=topic)
    match = MatchFactory(request=request, coach=coach)
    session = CoachingSessionFactory(match=match, starts_at=timezone.now() + timedelta(days=2))

    notification = Notification.objects.create(recipient=owner, kind="mention", text="Hello")

    values: dict[str, Any] = {
        "practice_id": draft.pk,
        "shared_practice_id": shared.pk,
        "image_id": image.pk,
        "comment_id": comment.pk,
        "question_id": question.pk,
        "answer_id": answer.pk,
        "reflection_id": reflection.pk,
        "chat_id": chat.pk,
        "seq": 1,
        "number": 1,
        "fmt": "md",
        "collection_id": collection.pk,
        "item_id": item.pk,
        "request_id": request.pk,
        "match_id": match.pk,
        "session_id": session.pk,
        "person_id": owner.pk,
        "notification_id": notification.pk,
        "topic_id": topic.pk,
        "slug": tag.slug,
        "code": site_b.code,
        "key": "sites",
        "kind": "helpful",
        "object_id": str(topic.pk),
        "action": "retire",
        "token": "not-a-real-token",
        "uidb64": "MQ",
        # Admin routes: a registered app and an object that exists.
        "app_label": "people",
        "content_type_id": "1",
    }
    personas: dict[str, Person | None] = {
        "anonymous": None,
        "owner": owner,
        "peer": paula,
        "other_site": bob,
        "coach": dana,
        "moderator": mod,
        "site_lead": alice,
        "administrator": admin,
    }
    return World(personas=personas, values=values)
