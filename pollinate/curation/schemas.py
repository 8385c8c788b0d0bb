from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field


class CollectionOut(Schema):
    id: int
    title: str
    introduction: str
    topic_ids: list[int]
    publish_at: datetime | None
    is_published: bool
    url: str

    @staticmethod
    def resolve_topic_ids(obj: Any) -> list[int]:
        return [t.pk for t in obj.topics.all()] if hasattr(obj, "topics") else obj["topic_ids"]

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else obj["url"]


class ItemOut(Schema):
    id: int
    kind: str
    title: str
    url: str
    source: str
    commentary: str
    available: bool
    edition_site: str | None


class EpisodeOut(Schema):
    number: int
    title: str
    introduction: str
    publish_at: datetime | None
    items: list[ItemOut]


class CollectionDetailOut(CollectionOut):
    episodes: list[EpisodeOut]
    following: bool


class CollectionIn(Schema):
    title: str = Field(min_length=1, max_length=160)
    introduction: str = Field(default="", max_length=6000)
    topic_ids: list[int] = []
    publish_at: datetime | None = None


class EpisodeIn(Schema):
    title: str = Field(min_length=1, max_length=160)
    introduction: str = Field(default="", max_length=6000)
    publish_at: datetime | None = None


class ItemIn(Schema):
    kind: Literal["practice", "question", "chat", "collection", "link"]
    target_id: int | None = None
    url: str = Field(default="", max_length=800)
    link_title: str = Field(default="", max_length=200)
    link_source: str = Field(default="", max_length=120)
    commentary: str = Field(default="", max_length=4000)


class FollowOut(Schema):
    following: bool
