from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pollinate.analytics import metrics
from pollinate.analytics.metrics import Flow

T0 = datetime(2026, 1, 5, 8, tzinfo=UTC)


def test_flow_matrix_counts_adoptions_by_origin_row_and_adopter_column() -> None:
    flows = [Flow(1, 2), Flow(1, 2), Flow(2, 3), Flow(3, 3), Flow(9, 1)]
    matrix = metrics.flow_matrix(flows, [1, 2, 3])
    assert matrix.tolist() == [[0, 2, 0], [0, 0, 1], [0, 0, 0]]


def test_horizontality_is_the_share_of_adoptions_not_coming_from_central_sites() -> None:
    flows = [Flow(1, 2), Flow(1, 3), Flow(9, 2), Flow(2, 1)]
    assert metrics.horizontality(flows, central_sites={9}) == pytest.approx(0.75)
    assert metrics.horizontality([], central_sites={9}) is None


def test_contribution_breadth_counts_sites_with_a_practice_adopted_elsewhere() -> None:
    flows = [Flow(1, 2), Flow(1, 3), Flow(2, 2)]
    assert metrics.contribution_breadth(flows, [1, 2, 3, 4]) == pytest.approx(0.25)


def test_gini_of_equal_contributions_is_zero_and_of_one_contributor_is_near_one() -> None:
    assert metrics.gini([3, 3, 3, 3]) == 0.0
    assert metrics.gini([0, 0, 0, 10]) == pytest.approx(0.75)  # (n-1)/n for n=4
    assert metrics.gini([1, 2, 3, 4]) == pytest.approx(0.25)
    assert metrics.gini([]) is None
    assert metrics.gini([0, 0]) == 0.0


def test_gini_refuses_negative_contributions() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        metrics.gini([1, -1])


def test_diffusion_curve_is_cumulative_per_day_including_earlier_events() -> None:
    days = [date(2026, 1, 1), date(2026, 1, 3), date(2026, 1, 3), date(2025, 12, 1)]
    curve = metrics.diffusion_curve(days, start=date(2026, 1, 1), end=date(2026, 1, 4))
    assert [n for _d, n in curve] == [2, 2, 4, 4]


def test_time_to_first_adoption_takes_the_earliest_adoption_per_practice() -> None:
    shared = {1: T0, 2: T0}
    adoptions = [(1, T0 + timedelta(hours=30)), (1, T0 + timedelta(hours=6)), (3, T0)]
    assert metrics.time_to_first_adoption(shared, adoptions) == {1: 6.0}


def test_median_and_p90_interpolate_linearly() -> None:
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert metrics.median(values) == pytest.approx(5.5)
    assert metrics.p90(values) == pytest.approx(9.1)
    assert metrics.median([]) is None


def test_durations_skip_unfinished_and_negative_pairs() -> None:
    pairs = [(T0, T0 + timedelta(hours=2)), (T0, None), (T0, T0 - timedelta(hours=1))]
    assert metrics.durations_hours(pairs) == [2.0]


def test_suppression_drops_small_groups_and_one_more_so_the_gap_cannot_be_subtracted() -> None:
    groups = {"lyon": (12, 40.0), "porto": (7, 20.0), "tiny": (2, 3.0)}
    shown = metrics.suppress(groups, 5)
    assert "tiny" not in shown
    assert "porto" not in shown  # complementary suppression of the smallest safe group
    assert shown == {"lyon": 40.0}


def test_suppression_keeps_everything_when_every_group_is_large_enough() -> None:
    groups = {"a": (5, 1.0), "b": (6, 2.0)}
    assert metrics.suppress(groups, 5) == {"a": 1.0, "b": 2.0}


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=60))
def test_gini_is_always_between_zero_and_one(values: list[float]) -> None:
    result = metrics.gini(values)
    assert result is None or 0.0 <= result <= 1.0


@given(
    st.dictionaries(
        st.integers(0, 50),
        st.tuples(st.integers(0, 30), st.floats(0, 100, allow_nan=False)),
        max_size=20,
    ),
    st.integers(1, 10),
)
def test_suppression_never_shows_a_group_smaller_than_k(
    groups: dict[int, tuple[int, float]], k: int
) -> None:
    shown = metrics.suppress(groups, k)
    assert all(groups[key][0] >= k for key in shown)
    hidden = [key for key in groups if key not in shown]
    assert len(hidden) != 1 or not shown  # never exactly one hidden group next to shown ones


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=80))
def test_flow_matrix_total_equals_the_number_of_cross_site_flows(
    pairs: list[tuple[int, int]],
) -> None:
    flows = [Flow(a, b) for a, b in pairs]
    matrix = metrics.flow_matrix(flows, list(range(7)))
    assert int(np.trace(matrix)) == 0
    assert int(matrix.sum()) == sum(1 for a, b in pairs if a != b)
    value = metrics.horizontality(flows, {0})
    assert value is None or 0.0 <= value <= 1.0


@given(st.lists(st.floats(0, 1e5, allow_nan=False), min_size=1, max_size=50))
def test_median_lies_between_min_and_p90_and_p90_below_max(values: list[float]) -> None:
    med, high = metrics.median(values), metrics.p90(values)
    assert med is not None and high is not None
    assert min(values) - 1e-6 <= med <= high + 1e-6 <= max(values) + 2e-6


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=40))
def test_gini_equals_the_mean_absolute_difference_definition_and_stays_below_its_maximum(
    values: list[float],
) -> None:
    result = metrics.gini(values)
    assert result is not None
    n, total = len(values), sum(values)
    if total == 0:
        assert result == 0.0
        return
    # Independent definition: G = ΣΣ|xi − xj| / (2 n² mean), computed on values scaled to max 1.
    top = max(values)
    scaled = [v / top for v in values]
    expected = sum(abs(a - b) for a in scaled for b in scaled) / (2 * n * sum(scaled))
    assert result == pytest.approx(expected, abs=1e-9)
    assert result <= (n - 1) / n + 1e-9


@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 4)), max_size=30),
    st.sets(st.integers(0, 5)),
)
def test_a_weighted_flow_counts_like_that_many_single_flows(
    cells: list[tuple[int, int, int]], central: set[int]
) -> None:
    weighted = [Flow(a, b, n) for a, b, n in cells]
    expanded = [Flow(a, b) for a, b, n in cells for _ in range(n)]
    sites = list(range(6))
    assert (
        metrics.flow_matrix(weighted, sites).tolist()
        == metrics.flow_matrix(expanded, sites).tolist()
    )
    assert metrics.horizontality(weighted, central) == metrics.horizontality(expanded, central)
    assert metrics.contribution_breadth(weighted, sites) == metrics.contribution_breadth(
        expanded, sites
    )
