from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class ReflectionIn(Schema):
    kind: str = "aar"
    title: str = Field(min_length=1, max_length=200)
    planned: str = Field(default="", max_length=5000)
    happened: str = Field(default="", max_length=5000)
    why: str = Field(default="", max_length=5000)
    differently: str = Field(default="", max_length=5000)
    lesson: str = Field(default="", max_length=5000)
    visibility: str = "private"


class ReflectionOut(Schema):
    id: int
    author_id: int
    site_code: str
    kind: str
    title: str
    planned: str
    happened: str
    why: str
    differently: str
    lesson: str
    visibility: str
    practice_id: int | None
    created_at: datetime
