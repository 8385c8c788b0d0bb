from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

# A pasted video link is rendered as a link: only web addresses, never javascript: or data:.
WEB_ADDRESS = r"^(https?://\S+)?$"


class PracticeListItemOut(Schema):
    id: int
    title: str
    status: str
    site_code: str
    language: str
    adoption_count: int
    helpful_count: int
    last_activity_at: datetime
    url: str


class PracticeOut(Schema):
    id: int
    title: str
    problem: str
    steps: str
    evidence: str
    metric_unit: str
    metric_before: float | None
    metric_after: float | None
    video_url: str
    language: str
    status: str
    site_code: str
    owner_id: int
    author_ids: list[int]
    topic_ids: list[int]
    tags: list[str]
    images: list[str]
    adapted_from_id: int | None
    superseded_by_id: int | None
    review_by: date | None
    version: int
    adoption_count: int
    verified_site_count: int
    helpful_count: int
    learned_count: int
    comment_count: int
    created_at: datetime
    updated_at: datetime
    url: str


class PracticeCreateIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    steps: str = Field(default="", max_length=50_000)
    problem: str = Field(default="", max_length=50_000)
    evidence: str = Field(default="", max_length=50_000)
    metric_unit: str = Field(default="", max_length=40)
    metric_before: float | None = None
    metric_after: float | None = None
    video_url: str = Field(default="", max_length=200, pattern=WEB_ADDRESS)
    language: str | None = Field(default=None, max_length=8)
    topic_ids: list[int] = Field(default_factory=list, max_length=20)
    tags: list[str] = Field(default_factory=list, max_length=12)
    share: bool = True


class PracticeUpdateIn(Schema):
    version: int = Field(description="The version the edit started from; a mismatch is a 409.")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    steps: str | None = Field(default=None, max_length=50_000)
    problem: str | None = Field(default=None, max_length=50_000)
    evidence: str | None = Field(default=None, max_length=50_000)
    metric_unit: str | None = Field(default=None, max_length=40)
    metric_before: float | None = None
    metric_after: float | None = None
    video_url: str | None = Field(default=None, max_length=200, pattern=WEB_ADDRESS)
    language: str | None = Field(default=None, max_length=8)
    summary: str = Field(default="", max_length=200)


class RevisionOut(Schema):
    number: int
    editor_id: int | None
    created_at: datetime
    summary: str
    data: dict[str, object]


class RestoreIn(Schema):
    version: int


class AdoptionIn(Schema):
    status: str = Field(description="trying, adopted or dropped")
    outcome: str = Field(default="", max_length=5000)
    outcome_positive: bool | None = None
    reason: str = Field(default="", max_length=5000)
    metric_unit: str = Field(default="", max_length=40)
    metric_before: float | None = None
    metric_after: float | None = None
    happened_on: date | None = None


class AdaptIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    adaptation_note: str = Field(min_length=1, max_length=5000)
    steps: str | None = Field(default=None, max_length=50_000)
    outcome: str = Field(default="", max_length=5000)
    outcome_positive: bool | None = None


class AdoptionOut(Schema):
    id: int
    practice_id: int
    site_code: str
    status: str
    outcome: str
    outcome_positive: bool | None
    reason: str
    metric_unit: str
    metric_before: float | None
    metric_after: float | None
    happened_on: date
    adaptation_id: int | None


class CommentIn(Schema):
    body: str = Field(min_length=1, max_length=5000)
    parent_id: int | None = None


class CommentOut(Schema):
    id: int
    author_id: int
    parent_id: int | None
    body: str
    body_html: str
    created_at: datetime


class ReactionsOut(Schema):
    helpful_count: int
    learned_count: int
    mine: list[str]


class FollowOut(Schema):
    following: bool


class SearchOut(Schema):
    practices: list[PracticeListItemOut]
    people: list[dict[str, object]]


class FeedOut(Schema):
    practices: list[PracticeListItemOut]
    next_cursor: str | None


class ErrorOut(Schema):
    code: str
    message: str
