"""Sequences a paginator slices, loading only the page asked for."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator

from pollinate.core.pagination import PageSequence


class Squares(PageSequence[int]):
    def __init__(self, size: int) -> None:
        self.size = size
        self.loads: list[slice] = []

    def __len__(self) -> int:
        return self.size

    def _slice(self, index: slice) -> list[int]:
        self.loads.append(index)
        return [n * n for n in range(self.size)[index]]


def test_a_page_is_one_load_of_its_own_slice() -> None:
    squares = Squares(100)
    page = Paginator(squares, 10).page(3)
    assert list(page) == [n * n for n in range(20, 30)]
    assert squares.loads == [slice(20, 30)]


def test_items_by_position_as_a_list_gives_them() -> None:
    squares = Squares(5)
    assert (squares[0], squares[4], squares[-1]) == (0, 16, 16)
    assert list(squares) == [0, 1, 4, 9, 16]
    assert len(squares.loads) == 4  # iterating is one load, not one per item
    with pytest.raises(IndexError):
        squares[5]
