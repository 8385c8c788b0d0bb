"""Pagination: the API's limit/offset, bounded (an offset past 2⁶³ made the database fail with a
500), and sequences that load only the page a paginator asks for."""

# No `from __future__ import annotations`: Django Ninja reads the Input annotations at runtime.
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from typing import TypeVar, overload

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination as NinjaLimitOffsetPagination

MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000


class LimitOffsetPagination(NinjaLimitOffsetPagination):
    """Django Ninja's limit/offset pagination; out-of-range values are a 422, not a server error."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


T = TypeVar("T")


class PageSequence(Sequence[T]):
    """A list a paginator slices, which loads only the slice asked for (a page): its length comes
    from a count or a list of ids, and ``_slice`` loads the items of one slice, in order."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def _slice(self, index: slice) -> list[T]:
        """The items of this slice, in order (one load for the whole slice)."""

    def __iter__(self) -> Iterator[T]:
        return iter(self[:])  # one load, not one per item

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, int):
            found = self._slice(slice(index, index + 1 or None))
            if not found:
                raise IndexError(index)
            return found[0]
        return self._slice(index)
