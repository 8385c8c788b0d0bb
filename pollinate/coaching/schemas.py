# No `from __future__ import annotations`: django-ninja reads annotations at import time.
import datetime as dt

from ninja import Schema


class OfferIn(Schema):
    topic_ids: list[int]
    languages: list[str]
    capacity: int
    modes: list[str]
    time_slots: list[str] = []
    pitch: str = ""


class CoachTopicOut(Schema):
    topic_id: int
    topic: str
    level: int
    coach_level: str


class OfferOut(Schema):
    person_id: int
    status: str
    capacity: int
    load: int
    languages: list[str]
    modes: list[str]
    time_slots: list[str]
    pitch: str
    topics: list[CoachTopicOut]


class OfferStatusIn(Schema):
    status: str


class RequestIn(Schema):
    topic_id: int
    goal: str
    languages: list[str] = []
    mode: str = "either"
    time_slots: list[str] = []
    urgency: int = 0
    practice_id: int | None = None


class RequestOut(Schema):
    id: int
    learner_id: int
    site: str
    topic_id: int
    topic: str
    goal: str
    languages: list[str]
    mode: str
    urgency: int
    status: str
    created_at: dt.datetime


class SuggestionOut(Schema):
    coach_id: int
    display_name: str
    site: str
    score: float
    explanation: list[str]


class ProposeIn(Schema):
    coach_id: int


class MatchOut(Schema):
    id: int
    request_id: int
    coach_id: int
    status: str
    score: float
    explanation: list[str]
    expires_at: dt.datetime


class DeclineIn(Schema):
    reason: str


class SessionIn(Schema):
    starts_at: dt.datetime
    duration_minutes: int = 45
    where: str = ""
    co_coach_id: int | None = None


class SessionOut(Schema):
    id: int
    match_id: int
    starts_at: dt.datetime
    duration_minutes: int
    where: str
    status: str
    notes: str
    ics_url: str


class FeedbackIn(Schema):
    can_now_do: str
    rating: int
    helped: bool = False
    helped_with: str = ""


class FeedbackOut(Schema):
    session_id: int
    can_now_do: str
    rating: int
    helped: bool
    helped_with: str


class CoachOut(Schema):
    person_id: int
    display_name: str
    status: str | None
    topics: list[CoachTopicOut]
    confirmed_help: list[str]


class GapOut(Schema):
    topic_id: int
    topic: str
    open_requests: int
    coaches_in_reach: int
