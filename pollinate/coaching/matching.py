"""The coaching matching engine: plain Python + numpy/scipy, no Django.

Two questions are answered here:

* **Suggestions** — for one learner's need, which coaches fit best and *why*. Every point of a score
  comes from a :class:`Reason`, and a candidate's score is exactly the sum of its reasons' points,
  so the explanation people read ("speaks Portuguese · certified in lens edging · 2 of 4 slots free
  · another site") can never drift from the ranking.
* **Batch assignment** — for all open needs at once, the assignment that maximises the total score
  while no coach receives more than their remaining capacity (optionally: serve as many learners as
  possible first, then maximise the score).

Hard constraints (a pair that breaks one is never scored, suggested or assigned): a shared
language, the coach is not paused and has a free slot, the coach offers the topic (or a related one
the learner accepts), the mode is feasible (on site means the same site), the coach is not the
learner and not excluded by the caller (declined before, same reporting line…).

Score (points, all weights in :class:`Weights`)::

    topic      exact topic = topic, related topic = topic / 2
    level      level * (coach level in topic - 1) / 3          (levels 1–4)
    certified  certified when the coach is certified for the topic
    hours      hours * min(shared UTC hours per week, 6) / 6; a need with no hours given is
               "flexible" and earns hours / 2
    cross_site cross_site when coach and learner work at different sites (know-how travels)
    spare      spare * free slots / capacity                    (prefer coaches with room)
    urgent     urgency * urgency level of the need              (same for every coach of a need)

Load balancing in the batch: the k-th slot a coach fills in one batch is worth
``spare * (free - k) / capacity``. The first slot is worth exactly the suggestion's "spare" points;
each further slot is worth less, so the objective is concave in a coach's load and an optimal
assignment spreads learners over coaches whenever the other reasons are equal.

Solver: the batch is a bipartite b-matching. It is solved exactly by expanding every coach into one
column per free slot plus one "unassigned" column per need, and running scipy's LAPJVsp
(:func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching`) on the sparse cost matrix.
To keep the matrix small each need keeps only its ``top_k`` best coaches (default 24).
Optimality argument: the solver is exact on the kept graph. Pruning can only lose optimality when
a need's optimal coach lies outside its top ``top_k`` *and* every one of its kept coaches is
filled by needs with a better claim; with hard constraints already removing most pairs (topic and
language), the kept graph is in practice the whole feasible graph. ``top_k=None`` disables
pruning, and ``bench.py`` checks the pruned result against an independent LP solver (HiGHS; the
b-matching polytope is integral) on sampled instances.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

HOURS_PER_WEEK = 168
_SATURATING_HOURS = 6


class Mode(StrEnum):
    ON_SITE = "on_site"
    REMOTE = "remote"
    EITHER = "either"


@dataclass(frozen=True, slots=True)
class Weights:
    """Points each reason is worth; ``cross_site`` is the configurable cross-site bonus."""

    topic: float = 4.0
    level: float = 1.5
    certified: float = 0.75
    hours: float = 2.0
    cross_site: float = 1.5
    spare: float = 2.0
    urgency: float = 0.5

    def max_score(self) -> float:
        return (
            self.topic
            + self.level
            + self.certified
            + self.hours
            + self.cross_site
            + self.spare
            + 2 * self.urgency
        )


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True, slots=True)
class Need:
    """What a learner asks for. ``hours`` is a bitmask of UTC hours of the week (bit 0 = Monday
    00:00 UTC); 0 means "flexible"."""

    request_id: int
    person_id: int
    site_id: int
    topic_id: int
    languages: frozenset[str]
    mode: Mode = Mode.EITHER
    hours: int = 0
    urgency: int = 0
    related_topic_ids: frozenset[int] = frozenset()
    excluded_coach_ids: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Candidate:
    """A coach as the engine sees them. ``topics`` maps topic id → level (1–4)."""

    coach_id: int
    site_id: int
    topics: Mapping[int, int]
    languages: frozenset[str]
    modes: frozenset[Mode] = frozenset({Mode.REMOTE})
    capacity: int = 1
    load: int = 0
    paused: bool = False
    hours: int = 0
    certified_topic_ids: frozenset[int] = frozenset()

    @property
    def free(self) -> int:
        return max(self.capacity - self.load, 0)


@dataclass(frozen=True, slots=True)
class Reason:
    """One line of an explanation: a stable ``code``, the ``points`` it adds, and parameters."""

    code: str
    points: float
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self) -> str:
        """Plain English; the web layer translates from ``code`` and ``params`` instead."""
        p = self.params
        return {
            "language": f"speaks {p.get('language')}",
            "topic": "offers this topic",
            "related_topic": "offers a related topic",
            "level": f"level {p.get('level')} of 4",
            "certified": "certified coach for this topic",
            "hours": f"{p.get('hours')} shared hours a week",
            "flexible": "flexible timing",
            "cross_site": "another site",
            "same_site": "same site",
            "spare": f"{p.get('free')} of {p.get('capacity')} slots free",
            "urgent": "urgent request",
            "mode": f"meets {p.get('mode')}",
        }.get(self.code, self.code)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A scored coach for a need; ``score == sum(r.points for r in reasons)`` always."""

    coach_id: int
    score: float
    reasons: tuple[Reason, ...]

    def explanation(self) -> str:
        return " · ".join(reason.text() for reason in self.reasons)


# ---------------------------------------------------------------------------------------------
# One pair


def violation(need: Need, cand: Candidate) -> str | None:
    """The first hard constraint the pair breaks, or None when the coach may be proposed."""
    if cand.coach_id == need.person_id:
        return "self"
    if cand.paused:
        return "paused"
    if cand.free < 1:
        return "full"
    if cand.coach_id in need.excluded_coach_ids:
        return "excluded"
    if need.topic_id not in cand.topics and not (need.related_topic_ids & cand.topics.keys()):
        return "topic"
    if not (need.languages & cand.languages):
        return "language"
    if _meeting_mode(need, cand) is None:
        return "mode"
    return None


def _meeting_mode(need: Need, cand: Candidate) -> Mode | None:
    in_person = Mode.ON_SITE in cand.modes and cand.site_id == need.site_id
    remote = Mode.REMOTE in cand.modes
    if need.mode == Mode.ON_SITE:
        return Mode.ON_SITE if in_person else None
    if need.mode == Mode.REMOTE:
        return Mode.REMOTE if remote else None
    return Mode.ON_SITE if in_person else (Mode.REMOTE if remote else None)


def score_pair(
    need: Need, cand: Candidate, weights: Weights = DEFAULT_WEIGHTS
) -> Suggestion | None:
    """The scored, explained pair, or None when a hard constraint rules it out."""
    if violation(need, cand) is not None:
        return None
    reasons: list[Reason] = []
    shared = sorted(need.languages & cand.languages)
    reasons.append(Reason("language", 0.0, {"language": shared[0], "languages": shared}))
    if need.topic_id in cand.topics:
        level = cand.topics[need.topic_id]
        reasons.append(Reason("topic", weights.topic, {"topic_id": need.topic_id}))
        topic_id = need.topic_id
    else:
        topic_id = min(need.related_topic_ids & cand.topics.keys())
        level = cand.topics[topic_id]
        reasons.append(Reason("related_topic", weights.topic / 2, {"topic_id": topic_id}))
    reasons.append(Reason("level", weights.level * (level - 1) / 3, {"level": level}))
    if topic_id in cand.certified_topic_ids:
        reasons.append(Reason("certified", weights.certified, {"topic_id": topic_id}))
    if need.hours == 0:
        reasons.append(Reason("flexible", weights.hours / 2))
    else:
        hours = (need.hours & cand.hours).bit_count()
        points = weights.hours * min(hours, _SATURATING_HOURS) / _SATURATING_HOURS
        reasons.append(Reason("hours", points, {"hours": hours}))
    mode = _meeting_mode(need, cand)
    reasons.append(Reason("mode", 0.0, {"mode": str(mode)}))
    if cand.site_id != need.site_id:
        reasons.append(Reason("cross_site", weights.cross_site))
    else:
        reasons.append(Reason("same_site", 0.0))
    reasons.append(
        Reason(
            "spare",
            weights.spare * cand.free / cand.capacity,
            {"free": cand.free, "capacity": cand.capacity},
        )
    )
    if need.urgency:
        reasons.append(Reason("urgent", weights.urgency * need.urgency, {"level": need.urgency}))
    return Suggestion(cand.coach_id, sum(r.points for r in reasons), tuple(reasons))


def score_candidates(
    need: Need,
    candidates: Iterable[Candidate],
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    limit: int | None = None,
) -> list[Suggestion]:
    """Scores and ranks candidates for a need: best first, ties broken by coach id.

    This is the reusable scorer (question routing calls it with experts as candidates). Candidates
    breaking a hard constraint are left out. ``limit`` keeps the best ``limit``.
    """
    # Cheap pre-checks first: most coaches of a large organisation fail on the topic. Ranking
    # uses the allocation-free ``_quick_score``; reasons are built only for the ones returned.
    wanted = {need.topic_id, *need.related_topic_ids}
    ranked: list[tuple[float, int, Candidate]] = []
    for cand in candidates:
        if wanted.isdisjoint(cand.topics.keys()) or need.languages.isdisjoint(cand.languages):
            continue
        quick = _quick_score(need, cand, weights)
        if quick is not None:
            ranked.append((-quick, cand.coach_id, cand))
    if limit is not None and limit < len(ranked):
        ranked = heapq.nsmallest(limit, ranked, key=lambda item: (item[0], item[1]))
    else:
        ranked.sort(key=lambda item: (item[0], item[1]))
    scored = [score_pair(need, cand, weights) for _, _, cand in ranked]
    return [s for s in scored if s is not None]


def _quick_score(need: Need, cand: Candidate, weights: Weights) -> float | None:
    """``score_pair(...).score`` without building the explanation (a property test checks it)."""
    if violation(need, cand) is not None:
        return None
    if need.topic_id in cand.topics:
        topic_id, points = need.topic_id, weights.topic
    else:
        topic_id, points = min(need.related_topic_ids & cand.topics.keys()), weights.topic / 2
    points += weights.level * (cand.topics[topic_id] - 1) / 3
    if topic_id in cand.certified_topic_ids:
        points += weights.certified
    if need.hours == 0:
        points += weights.hours / 2
    else:
        hours = (need.hours & cand.hours).bit_count()
        points += weights.hours * min(hours, _SATURATING_HOURS) / _SATURATING_HOURS
    if cand.site_id != need.site_id:
        points += weights.cross_site
    points += weights.spare * cand.free / cand.capacity
    return points + weights.urgency * need.urgency


def suggest(
    need: Need,
    candidates: Iterable[Candidate],
    *,
    k: int = 5,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[Suggestion]:
    """The top ``k`` coaches for one need, each with its explanation."""
    return score_candidates(need, candidates, weights=weights, limit=k)


# ---------------------------------------------------------------------------------------------
# Batch


@dataclass(frozen=True, slots=True)
class Assignment:
    """The batch result: ``pairs`` maps request id → coach id; ``unserved`` lists the rest."""

    pairs: dict[int, int]
    unserved: list[int]
    total_score: float


def slot_points(cand: Candidate, k: int, weights: Weights = DEFAULT_WEIGHTS) -> float:
    """What the k-th (0-based) slot a coach fills in this batch adds to the objective."""
    return weights.spare * (cand.free - k) / cand.capacity


def assignment_score(
    needs: Sequence[Need],
    candidates: Sequence[Candidate],
    pairs: Mapping[int, int],
    weights: Weights = DEFAULT_WEIGHTS,
) -> float:
    """The objective value of an assignment (used by tests and the benchmark)."""
    by_need = {n.request_id: n for n in needs}
    by_coach = {c.coach_id: c for c in candidates}
    filled: dict[int, int] = defaultdict(int)
    total = 0.0
    for request_id, coach_id in sorted(pairs.items()):
        need, cand = by_need[request_id], by_coach[coach_id]
        suggestion = score_pair(need, cand, weights)
        if suggestion is None:
            raise ValueError(f"request {request_id} and coach {coach_id} break a hard constraint")
        spare0 = slot_points(cand, 0, weights)
        total += suggestion.score - spare0 + slot_points(cand, filled[coach_id], weights)
        filled[coach_id] += 1
    return total


def _hours_matrix(masks: Sequence[int]) -> np.ndarray:
    raw = b"".join(m.to_bytes(21, "little") for m in masks)
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little")
    return bits.reshape(len(masks), HOURS_PER_WEEK).astype(np.float32)


def candidate_edges(
    needs: Sequence[Need],
    candidates: Sequence[Candidate],
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    top_k: int | None = 24,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feasible (need index, candidate index, first-slot score) triples, vectorised.

    The score equals ``score_pair(...).score`` for the same pair (a property test holds us to it).
    Needs are grouped by topic; each group is scored against the coaches of that topic (or a
    related one) as one matrix, so the work is proportional to the feasible pairs, not to
    needs × coaches.
    """
    live = [i for i, c in enumerate(candidates) if not c.paused and c.free > 0]
    by_topic: dict[int, list[int]] = defaultdict(list)
    for i in live:
        for topic_id in candidates[i].topics:
            by_topic[topic_id].append(i)
    languages = sorted({lang for n in needs for lang in n.languages})
    bit = {lang: 1 << i for i, lang in enumerate(languages)}

    def lang_mask(langs: Iterable[str]) -> int:
        return sum(bit.get(lang, 0) for lang in set(langs))

    # Per-entity arrays, built once and indexed per group.
    n_lang = np.array([lang_mask(n.languages) for n in needs], dtype=np.int64)
    n_site = np.array([n.site_id for n in needs], dtype=np.int64)
    n_person = np.array([n.person_id for n in needs], dtype=np.int64)
    n_mode = np.array(
        [0 if n.mode == Mode.ON_SITE else 1 if n.mode == Mode.REMOTE else 2 for n in needs]
    )
    n_flex = np.array([n.hours == 0 for n in needs])
    n_urgency = np.array([weights.urgency * n.urgency for n in needs])
    n_hours = _hours_matrix([n.hours for n in needs])
    c_lang = np.array([lang_mask(c.languages) for c in candidates], dtype=np.int64)
    c_site = np.array([c.site_id for c in candidates], dtype=np.int64)
    c_id = np.array([c.coach_id for c in candidates], dtype=np.int64)
    c_remote = np.array([Mode.REMOTE in c.modes for c in candidates])
    c_onsite = np.array([Mode.ON_SITE in c.modes for c in candidates])
    c_spare = np.array([weights.spare * c.free / max(c.capacity, 1) for c in candidates])
    c_hours = _hours_matrix([c.hours for c in candidates])

    groups: dict[tuple[int, frozenset[int]], list[int]] = defaultdict(list)
    for i, need in enumerate(needs):
        groups[(need.topic_id, need.related_topic_ids)].append(i)

    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for (topic_id, related), need_list in groups.items():
        exact = set(by_topic.get(topic_id, ()))
        related_set = {i for t in related for i in by_topic.get(t, ())} - exact
        cand_list = sorted(exact | related_set)
        if not cand_list:
            continue
        ni = np.array(need_list)
        ci = np.array(cand_list)
        topic_pts = np.empty(len(ci))
        for j, k in enumerate(cand_list):
            c = candidates[k]
            t = topic_id if k in exact else min(related & c.topics.keys())
            topic_pts[j] = (
                (weights.topic if k in exact else weights.topic / 2)
                + weights.level * (c.topics[t] - 1) / 3
                + (weights.certified if t in c.certified_topic_ids else 0.0)
            )
        same_site = n_site[ni][:, None] == c_site[ci][None, :]
        in_person = c_onsite[ci][None, :] & same_site
        remote = np.broadcast_to(c_remote[ci][None, :], same_site.shape)
        mode = n_mode[ni][:, None]
        feasible = np.where(mode == 0, in_person, np.where(mode == 1, remote, in_person | remote))
        feasible &= (n_lang[ni][:, None] & c_lang[ci][None, :]) != 0
        feasible &= n_person[ni][:, None] != c_id[ci][None, :]
        for r, k in enumerate(need_list):
            if needs[k].excluded_coach_ids:
                feasible[r] &= ~np.isin(c_id[ci], list(needs[k].excluded_coach_ids))
        overlap = n_hours[ni] @ c_hours[ci].T
        hours_pts = np.where(
            n_flex[ni][:, None],
            weights.hours / 2,
            weights.hours * np.minimum(overlap, _SATURATING_HOURS) / _SATURATING_HOURS,
        )
        score = (
            (topic_pts + c_spare[ci])[None, :]
            + hours_pts
            + np.where(same_site, 0.0, weights.cross_site)
            + n_urgency[ni][:, None]
        )
        score = np.where(feasible, score, -np.inf)
        width = score.shape[1]
        if top_k is not None and top_k < width:
            keep = np.argpartition(-score, top_k - 1, axis=1)[:, :top_k]
        else:
            keep = np.broadcast_to(np.arange(width), score.shape)
        kept = np.take_along_axis(score, keep, axis=1)
        ok = np.isfinite(kept)
        rows.append(np.broadcast_to(ni[:, None], keep.shape)[ok])
        cols.append(ci[keep[ok]])
        vals.append(kept[ok])
    if not rows:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float64)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def assign(
    needs: Sequence[Need],
    candidates: Sequence[Candidate],
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    serve_most_first: bool = False,
    top_k: int | None = 24,
) -> Assignment:
    """The capacity-respecting assignment with the greatest total score.

    With ``serve_most_first`` the number of learners served is maximised first and the score
    second (lexicographically). Candidate coach ids and need request ids must be unique.
    """
    n = len(needs)
    if n == 0:
        return Assignment({}, [], 0.0)
    r_idx, c_idx, base = candidate_edges(needs, candidates, weights=weights, top_k=top_k)
    if r_idx.size == 0:
        return Assignment({}, [n.request_id for n in needs], 0.0)
    # A coach needs no more slot columns than there are needs pointing at them.
    degree = np.bincount(c_idx, minlength=len(candidates))
    free = np.array([c.free for c in candidates], dtype=np.int64)
    capacity = np.array([max(c.capacity, 1) for c in candidates], dtype=np.float64)
    slots = np.minimum(free, degree)
    offset = np.concatenate(([0], np.cumsum(slots)))
    # Expand every edge to the coach's slots; base holds slot 0's spare points and slot k is worth
    # spare * k / capacity less, which makes a coach's load concave in the objective.
    per_edge = slots[c_idx]
    rep_r = np.repeat(r_idx, per_edge)
    rep_c = np.repeat(c_idx, per_edge)
    starts = np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    k = np.arange(rep_r.size) - starts
    value = np.repeat(base, per_edge) - weights.spare * k / capacity[rep_c]
    col = offset[rep_c] + k
    # Costs must be strictly positive (zeros are "no edge" in a sparse matrix); every need is
    # matched exactly once (to a slot or to its own "unassigned" column), so the constant shift
    # does not change the optimum.
    shift = weights.max_score() + 1.0
    # The graph falls apart by topic: solve each connected component on its own, which keeps
    # every LAPJVsp call small (its cost grows faster than linearly with the problem).
    m = len(candidates)
    graph = csr_matrix(
        (np.ones(r_idx.size), (r_idx, n + c_idx)), shape=(n + m, n + m), dtype=np.int8
    )
    _, label = connected_components(graph, directed=False)
    edge_comp = label[rep_r]
    order = np.argsort(edge_comp, kind="stable")
    sorted_comp = edge_comp[order]
    starts_at = np.flatnonzero(np.r_[True, sorted_comp[1:] != sorted_comp[:-1]])
    ends_at = np.r_[starts_at[1:], sorted_comp.size]
    matched_slot = np.full(n, -1, dtype=np.int64)
    matched_value = np.zeros(n)
    for lo, hi in zip(starts_at.tolist(), ends_at.tolist(), strict=True):
        edges = order[lo:hi]
        rows_u, r_loc = np.unique(rep_r[edges], return_inverse=True)
        cols_u, c_loc = np.unique(col[edges], return_inverse=True)
        n_rows, n_cols = rows_u.size, cols_u.size
        unassigned_cost = shift
        if serve_most_first:
            # Serving one more learner must beat any score difference: n * (max score + 1).
            unassigned_cost = shift + n_rows * shift
        matrix = csr_matrix(
            (
                np.concatenate((shift - value[edges], np.full(n_rows, unassigned_cost))),
                (
                    np.concatenate((r_loc, np.arange(n_rows))),
                    np.concatenate((c_loc, n_cols + np.arange(n_rows))),
                ),
            ),
            shape=(n_rows, n_cols + n_rows),
        )
        _, matched_col = min_weight_full_bipartite_matching(matrix)
        hit = matched_col < n_cols
        matched_slot[rows_u[hit]] = cols_u[matched_col[hit]]
        # Recover each chosen edge's value: the matrix entry is shift - value.
        chosen = matrix[np.flatnonzero(hit), matched_col[hit]]
        matched_value[rows_u[hit]] = shift - np.asarray(chosen).ravel()
    slot_owner = np.repeat(np.arange(m), slots)
    pairs: dict[int, int] = {}
    unserved: list[int] = []
    for i, slot in enumerate(matched_slot.tolist()):
        if slot >= 0:
            pairs[needs[i].request_id] = candidates[int(slot_owner[slot])].coach_id
        else:
            unserved.append(needs[i].request_id)
    total = float(matched_value.sum())
    return Assignment(pairs, unserved, total)


# ---------------------------------------------------------------------------------------------
# Availability helpers (pure; the web layer turns local windows into UTC hour masks)


def hours_mask(hours: Iterable[int]) -> int:
    """A bitmask from UTC hours of the week (0 = Monday 00:00 UTC … 167)."""
    mask = 0
    for hour in hours:
        mask |= 1 << (hour % HOURS_PER_WEEK)
    return mask


def window_hours(weekday: int, start_hour: int, end_hour: int, utc_offset_hours: int) -> list[int]:
    """UTC hours of the week covered by a local window ``[start_hour, end_hour)`` on ``weekday``
    (0 = Monday) in a zone ``utc_offset_hours`` ahead of UTC."""
    first = weekday * 24 + start_hour - utc_offset_hours
    return [(first + h) % HOURS_PER_WEEK for h in range(max(end_hour - start_hour, 0))]
