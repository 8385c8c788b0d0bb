from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class QuestionIn(Schema):
    title: str = Field(min_length=8, max_length=200)
    body: str = Field(default="", max_length=10_000)
    language: str = Field(default="en", max_length=8)
    topic_ids: list[int] = Field(default_factory=list, max_length=10)
    equipment: list[str] = Field(default_factory=list, max_length=10)


class AnswerIn(Schema):
    body: str = Field(min_length=1, max_length=10_000)


class CommentIn(Schema):
    body: str = Field(min_length=1, max_length=2_000)


class CloseIn(Schema):
    reason: str
    duplicate_of: int | None = None
    practice_id: int | None = None


class AnswerOut(Schema):
    id: int
    author_id: int
    author: str
    site_code: str
    body: str
    is_accepted: bool
    is_cross_site: bool
    helpful_count: int
    created_at: datetime


class QuestionListItemOut(Schema):
    id: int
    title: str
    status: str
    site_code: str
    author_id: int
    answer_count: int
    created_at: datetime


class QuestionOut(QuestionListItemOut):
    body: str
    language: str
    equipment: list[str]
    topic_ids: list[int]
    photo_url: str | None
    close_reason: str
    duplicate_of_id: int | None
    practice_id: int | None
    answers: list[AnswerOut]
