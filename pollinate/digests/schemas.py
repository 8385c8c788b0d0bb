from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema


class PreferenceOut(Schema):
    frequency: str
    muted_kinds: list[str]
    kinds: list[str]


class PreferenceIn(Schema):
    frequency: Literal["weekly", "daily", "never"]
    muted_kinds: list[Literal["practices", "adoptions", "questions", "chats", "episodes", "help"]]


class EntryOut(Schema):
    title: str
    url: str
    detail: str


class SectionOut(Schema):
    kind: str
    heading: str
    entries: list[EntryOut]


class DigestOut(Schema):
    frequency: str
    start: datetime
    end: datetime
    # When my next digest goes out (my local send hour), in my time zone; null for "never".
    next_at: datetime | None
    time_zone: str
    sections: list[SectionOut]
