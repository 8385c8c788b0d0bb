"""Input and output shapes of the live chats API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from pollinate.chats.models import ChatVisibility, Rsvp


class ErrorOut(Schema):
    code: str
    message: str


class PersonRefOut(Schema):
    id: int
    name: str
    site: str


class PromptOut(Schema):
    number: int
    body: str | None = Field(description="Empty until released, except for hosts.")
    released_at: datetime | None


class ChatOut(Schema):
    id: int
    title: str
    description: str
    state: str
    starts_at: datetime
    ends_at: datetime
    language: str
    visibility: ChatVisibility
    is_locked: bool
    last_seq: int
    site_code: str
    hosts: list[PersonRefOut]
    topic_ids: list[int]
    url: str
    ics_url: str


class ChatDetailOut(ChatOut):
    prompts: list[PromptOut]
    my_rsvp: str


class ChatIn(Schema):
    title: str = Field(min_length=1, max_length=160)
    description: str = Field("", max_length=4000)
    starts_at: datetime
    ends_at: datetime
    language: str = "en"
    visibility: ChatVisibility = ChatVisibility.ORGANISATION
    topic_ids: list[int] = Field(default_factory=list, max_length=20)
    prompts: list[str] = Field(default_factory=list, max_length=20)


class RsvpIn(Schema):
    rsvp: Rsvp


class MessageIn(Schema):
    body: str = Field(min_length=1, max_length=20000)
    client_id: str = Field("", max_length=64)
    prompt: int | None = None


class MessageOut(Schema):
    seq: int
    kind: str
    body: str
    hidden: bool
    author: PersonRefOut | None
    prompt: int | None
    client_id: str
    reactions: int
    created_at: datetime


class MessagesOut(Schema):
    last_seq: int
    locked: bool
    messages: list[MessageOut]


class LockIn(Schema):
    locked: bool


class MuteIn(Schema):
    person_id: int
    muted: bool = True


class ReactIn(Schema):
    emoji: str = "👍"


class ReactionsOut(Schema):
    seq: int
    count: int


class PromoteIn(Schema):
    to: Literal["practice", "collection"] = "practice"
    episode_id: int | None = None


class PromotedOut(Schema):
    seq: int
    promoted_to: str
    collected_to: str


class TranscriptSectionOut(Schema):
    prompt: PromptOut | None
    answers: list[MessageOut]
