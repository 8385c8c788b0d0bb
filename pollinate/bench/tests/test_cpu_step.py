"""The in-process CPU step (``python -m pollinate.bench.django_side cpu``)."""

from __future__ import annotations

import pytest

from pollinate.bench.django_side import FLOOR_SIGNED_IN, cpu

pytestmark = pytest.mark.django_db


def test_the_signed_in_floor_is_ping_as_the_bench_member_with_its_queries(bob) -> None:
    measured = cpu(names=[FLOOR_SIGNED_IN], repeat=5)
    assert list(measured) == [FLOOR_SIGNED_IN]
    row = measured[FLOOR_SIGNED_IN]
    assert row["path"] == "/ping" and row["status"] == 200
    assert 0 <= row["cpu_min_ms"] <= row["cpu_p50_ms"]
    # The session, then the user with the member and site (pollinate/people/backends.py).
    assert row["queries"] == 2


def test_named_endpoints_are_measured_without_the_floor(bob, alice) -> None:
    measured = cpu(names=["directory"], repeat=3)
    assert list(measured) == ["directory"]
    assert measured["directory"]["status"] == 200
    assert measured["directory"]["path"] == "/people/"
