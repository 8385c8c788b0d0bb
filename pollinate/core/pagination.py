"""The API's limit/offset pagination, bounded: an offset past 2⁶³ made the database fail (500)."""

# No `from __future__ import annotations`: Django Ninja reads the Input annotations at runtime.
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination as NinjaLimitOffsetPagination

MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000


class LimitOffsetPagination(NinjaLimitOffsetPagination):
    """Django Ninja's limit/offset pagination; out-of-range values are a 422, not a server error."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
