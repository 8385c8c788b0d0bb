"""Property tests of the pure matching engine (no database)."""

from __future__ import annotations

import itertools
import math
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from pollinate.coaching.bench import lp_optimum, make_instance
from pollinate.coaching.matching import (
    Candidate,
    Mode,
    Need,
    Weights,
    assign,
    assignment_score,
    candidate_edges,
    score_candidates,
    score_pair,
    suggest,
    violation,
    window_hours,
)

LANGS = ["en", "fr", "pt"]
hours_st = st.integers(min_value=0, max_value=(1 << 168) - 1).map(lambda m: m & 0xFFFF_FFFF_FFFF)
modes_st = st.sampled_from([Mode.ON_SITE, Mode.REMOTE, Mode.EITHER])


@st.composite
def needs_st(draw: st.DrawFn, request_id: int = 1, n_coaches: int = 4) -> Need:
    return Need(
        request_id=request_id,
        person_id=request_id,
        site_id=draw(st.integers(0, 2)),
        topic_id=draw(st.integers(0, 3)),
        languages=frozenset(draw(st.lists(st.sampled_from(LANGS), min_size=1, max_size=2))),
        mode=draw(modes_st),
        hours=draw(st.one_of(st.just(0), hours_st)),
        urgency=draw(st.integers(0, 2)),
        related_topic_ids=frozenset(draw(st.lists(st.integers(0, 3), max_size=1))),
        excluded_coach_ids=frozenset(
            draw(st.lists(st.integers(1000, 1000 + n_coaches), max_size=1))
        ),
    )


@st.composite
def candidates_st(draw: st.DrawFn, coach_id: int = 1000) -> Candidate:
    capacity = draw(st.integers(1, 4))
    return Candidate(
        coach_id=coach_id,
        site_id=draw(st.integers(0, 2)),
        topics=draw(st.dictionaries(st.integers(0, 3), st.integers(1, 4), min_size=1, max_size=3)),
        languages=frozenset(draw(st.lists(st.sampled_from(LANGS), min_size=1, max_size=2))),
        modes=frozenset(
            draw(st.lists(st.sampled_from([Mode.ON_SITE, Mode.REMOTE]), min_size=1, max_size=2))
        ),
        capacity=capacity,
        load=draw(st.integers(0, capacity)),
        paused=draw(st.booleans()),
        hours=draw(hours_st),
        certified_topic_ids=frozenset(draw(st.lists(st.integers(0, 3), max_size=2))),
    )


@st.composite
def instances_st(
    draw: st.DrawFn, max_needs: int = 5, max_coaches: int = 3
) -> tuple[list[Need], list[Candidate]]:
    n_coaches = draw(st.integers(1, max_coaches))
    n_needs = draw(st.integers(1, max_needs))
    coaches = [draw(candidates_st(coach_id=1000 + i)) for i in range(n_coaches)]
    needs = [draw(needs_st(request_id=i + 1, n_coaches=n_coaches)) for i in range(n_needs)]
    return needs, coaches


def _brute_force(
    needs: list[Need], coaches: list[Candidate], *, serve_most_first: bool = False
) -> tuple[int, float]:
    options = [
        [None] + [c.coach_id for c in coaches if score_pair(n, c) is not None] for n in needs
    ]
    free = {c.coach_id: c.free for c in coaches}
    best: tuple[int, float] = (-1, -math.inf)
    for combo in itertools.product(*options):
        counts = Counter(c for c in combo if c is not None)
        if any(counts[c] > free[c] for c in counts):
            continue
        pairs = {n.request_id: c for n, c in zip(needs, combo, strict=True) if c is not None}
        value = (len(pairs) if serve_most_first else 0, assignment_score(needs, coaches, pairs))
        best = max(best, value)
    return best


@settings(deadline=None)  # timing on a shared 2-core machine is not a property
@given(need=needs_st(), cand=candidates_st())
def test_a_score_is_always_the_sum_of_its_explained_reasons(need: Need, cand: Candidate) -> None:
    suggestion = score_pair(need, cand)
    if suggestion is None:
        assert violation(need, cand) is not None
        return
    assert math.isclose(suggestion.score, sum(r.points for r in suggestion.reasons))
    codes = {r.code for r in suggestion.reasons}
    assert ("cross_site" in codes) == (need.site_id != cand.site_id)
    assert ("urgent" in codes) == (need.urgency > 0)
    assert ("certified" in codes) <= bool(cand.certified_topic_ids)
    spare = next(r for r in suggestion.reasons if r.code == "spare")
    assert spare.params == {"free": cand.free, "capacity": cand.capacity}
    assert f"{cand.free} of {cand.capacity} slots free" in suggestion.explanation()
    shared = next(r for r in suggestion.reasons if r.code == "language")
    assert shared.params["language"] in need.languages & cand.languages


@settings(deadline=None)  # timing on a shared 2-core machine is not a property
@given(need=needs_st(), cand=candidates_st())
def test_a_pair_breaking_a_hard_constraint_is_never_scored(need: Need, cand: Candidate) -> None:
    in_person = Mode.ON_SITE in cand.modes and cand.site_id == need.site_id
    remote = Mode.REMOTE in cand.modes
    mode_ok = {Mode.ON_SITE: in_person, Mode.REMOTE: remote, Mode.EITHER: in_person or remote}
    broken = (
        cand.paused
        or cand.load >= cand.capacity
        or cand.coach_id in need.excluded_coach_ids
        or not (need.languages & cand.languages)
        or not ({need.topic_id, *need.related_topic_ids} & cand.topics.keys())
        or not mode_ok[need.mode]
    )
    assert (score_pair(need, cand) is None) == broken


@settings(deadline=None)  # timing on a shared 2-core machine is not a property
@given(instance=instances_st(max_needs=6, max_coaches=5))
def test_vectorised_batch_scores_equal_the_explained_scores(
    instance: tuple[list[Need], list[Candidate]],
) -> None:
    needs, coaches = instance
    rows, cols, vals = candidate_edges(needs, coaches, top_k=None)
    got = {(int(r), int(c)): float(v) for r, c, v in zip(rows, cols, vals, strict=True)}
    expected = {
        (i, j): s.score
        for i, n in enumerate(needs)
        for j, c in enumerate(coaches)
        if (s := score_pair(n, c)) is not None
    }
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert math.isclose(got[key], value, abs_tol=1e-6)


@settings(deadline=None)  # timing on a shared 2-core machine is not a property
@given(instance=instances_st(max_needs=12, max_coaches=4))
def test_batch_never_exceeds_capacity_nor_breaks_a_hard_constraint(
    instance: tuple[list[Need], list[Candidate]],
) -> None:
    needs, coaches = instance
    result = assign(needs, coaches)
    free = {c.coach_id: c.free for c in coaches}
    for coach_id, count in Counter(result.pairs.values()).items():
        assert count <= free[coach_id]
    by_id = {c.coach_id: c for c in coaches}
    for need in needs:
        if need.request_id in result.pairs:
            assert violation(need, by_id[result.pairs[need.request_id]]) is None
    assert set(result.pairs) | set(result.unserved) == {n.request_id for n in needs}
    assert not set(result.pairs) & set(result.unserved)


@settings(max_examples=150, deadline=None)
@given(instance=instances_st(max_needs=5, max_coaches=3))
def test_batch_is_optimal_against_brute_force_on_small_instances(
    instance: tuple[list[Need], list[Candidate]],
) -> None:
    needs, coaches = instance
    _, best = _brute_force(needs, coaches)
    assert math.isclose(assign(needs, coaches).total_score, best, abs_tol=1e-6)
    assert math.isclose(assign(needs, coaches, top_k=None).total_score, best, abs_tol=1e-6)


@settings(max_examples=100, deadline=None)
@given(instance=instances_st(max_needs=5, max_coaches=3))
def test_serving_most_learners_first_serves_the_maximum_number(
    instance: tuple[list[Need], list[Candidate]],
) -> None:
    needs, coaches = instance
    served, best = _brute_force(needs, coaches, serve_most_first=True)
    result = assign(needs, coaches, serve_most_first=True)
    assert len(result.pairs) == served
    assert math.isclose(result.total_score, best, abs_tol=1e-6)


def test_with_more_demand_than_capacity_load_is_spread_over_every_coach() -> None:
    coaches = [
        Candidate(
            coach_id=10 + i, site_id=9, topics={1: 3}, languages=frozenset({"en"}), capacity=4
        )
        for i in range(3)
    ]
    needs = [
        Need(request_id=i, person_id=i, site_id=1, topic_id=1, languages=frozenset({"en"}))
        for i in range(1, 7)
    ]
    result = assign(needs, coaches)
    # Six identical learners, three identical coaches with four slots: two each, never 4+2+0.
    assert sorted(Counter(result.pairs.values()).values()) == [2, 2, 2]


def test_with_more_demand_than_capacity_nobody_exceeds_capacity_and_all_slots_fill() -> None:
    needs, coaches = make_instance(300, 20, n_topics=3, n_sites=3, seed=5)
    result = assign(needs, coaches, serve_most_first=True)
    free = {c.coach_id: c.free for c in coaches}
    counts = Counter(result.pairs.values())
    assert all(counts[c] <= free[c] for c in counts)
    assert len(result.unserved) > 0


def test_batch_matches_an_independent_lp_solver_on_a_sampled_instance() -> None:
    needs, coaches = make_instance(120, 15, n_topics=6, n_sites=4, seed=11)
    result = assign(needs, coaches)
    assert math.isclose(result.total_score, lp_optimum(needs, coaches), abs_tol=1e-5)


def test_suggestions_are_ranked_and_explained_in_plain_words() -> None:
    need = Need(request_id=1, person_id=1, site_id=1, topic_id=7, languages=frozenset({"pt"}))
    coaches = [
        Candidate(
            coach_id=2,
            site_id=2,
            topics={7: 4},
            languages=frozenset({"pt", "en"}),
            capacity=4,
            load=2,
            certified_topic_ids=frozenset({7}),
        ),
        Candidate(coach_id=3, site_id=1, topics={7: 2}, languages=frozenset({"pt"}), capacity=4),
        Candidate(coach_id=4, site_id=2, topics={7: 4}, languages=frozenset({"fr"})),
        Candidate(coach_id=5, site_id=2, topics={7: 4}, languages=frozenset({"pt"}), paused=True),
    ]
    result = suggest(need, coaches, k=5)
    assert [s.coach_id for s in result] == [2, 3]
    assert result[0].explanation().startswith("speaks pt")
    assert "certified coach for this topic" in result[0].explanation()
    assert "2 of 4 slots free" in result[0].explanation()
    assert "another site" in result[0].explanation()


def test_the_cross_site_bonus_is_configurable() -> None:
    need = Need(request_id=1, person_id=1, site_id=1, topic_id=7, languages=frozenset({"en"}))
    here = Candidate(coach_id=2, site_id=1, topics={7: 4}, languages=frozenset({"en"}))
    there = Candidate(coach_id=3, site_id=2, topics={7: 3}, languages=frozenset({"en"}))
    assert [s.coach_id for s in score_candidates(need, [here, there])] == [3, 2]
    no_bonus = Weights(cross_site=0.0)
    assert [s.coach_id for s in score_candidates(need, [here, there], weights=no_bonus)] == [2, 3]


def test_a_local_window_becomes_utc_hours_across_the_week_boundary() -> None:
    # Monday 01:00–03:00 in UTC+2 is Sunday 23:00 and Monday 00:00 UTC.
    assert window_hours(0, 1, 3, 2) == [167, 0]


@settings(deadline=None)  # timing on a shared 2-core machine is not a property
@given(need=needs_st(), cand=candidates_st())
def test_the_quick_ranking_score_equals_the_explained_score(need: Need, cand: Candidate) -> None:
    from pollinate.coaching.matching import _quick_score

    suggestion = score_pair(need, cand)
    quick = _quick_score(need, cand, Weights())
    assert (quick is None) == (suggestion is None)
    if suggestion is not None and quick is not None:
        assert math.isclose(quick, suggestion.score, abs_tol=1e-9)


@settings(deadline=None)  # timing on a shared 2-core machine is not a property
@given(instance=instances_st(max_needs=1, max_coaches=6), k=st.integers(1, 6))
def test_top_k_suggestions_are_the_first_k_of_the_full_ranking(
    instance: tuple[list[Need], list[Candidate]], k: int
) -> None:
    needs, coaches = instance
    full = score_candidates(needs[0], coaches)
    assert suggest(needs[0], coaches, k=k) == full[:k]
    assert [s.score for s in full] == sorted((s.score for s in full), reverse=True)
