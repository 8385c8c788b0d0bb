from __future__ import annotations

from datetime import datetime

from ninja import Schema


class NotificationOut(Schema):
    id: int
    kind: str
    headline: str
    text: str
    url: str
    created_at: datetime
    read: bool


class UnreadOut(Schema):
    unread: int


class PreferencesIn(Schema):
    choices: dict[str, str]
