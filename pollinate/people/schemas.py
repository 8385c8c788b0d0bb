from __future__ import annotations

from ninja import Schema
from pydantic import Field


class SiteOut(Schema):
    code: str
    name: str
    country: str
    time_zone: str
    languages: list[str]
    region: str


class TopicOut(Schema):
    id: int
    name: str
    kind: str
    parent_id: int | None
    merged_into_id: int | None


class SkillOut(Schema):
    topic_id: int
    topic: str
    level: int


class PersonOut(Schema):
    id: int
    display_name: str
    site: SiteOut
    job_title: str
    team: str
    languages: list[str]
    time_zone: str
    bio: str
    skills: list[SkillOut]


class PersonListItemOut(Schema):
    id: int
    display_name: str
    site_code: str = Field(alias="site.code")
    job_title: str


class ProfileIn(Schema):
    display_name: str | None = Field(default=None, min_length=1, max_length=120)
    job_title: str | None = Field(default=None, max_length=120)
    team: str | None = Field(default=None, max_length=80)
    languages: list[str] | None = None
    time_zone: str | None = Field(default=None, max_length=64)
    bio: str | None = Field(default=None, max_length=600)
    interface_language: str | None = Field(default=None, max_length=8)


class ErrorOut(Schema):
    code: str
    message: str
