"""Demo data for coaching: offers with coach levels, requests in every state, sessions, feedback.

Called by ``generate_org`` (see ``pollinate.people.demo``) with ``org.scale["coaching_requests"]``
and ``org.scale["coaching_sessions"]`` as targets. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import asdict

from pollinate.coaching.matching import Candidate, Mode, Need, score_pair
from pollinate.coaching.models import (
    CoachingRequest,
    CoachingSession,
    CoachLevel,
    CoachOffer,
    CoachTopic,
    Feedback,
    Match,
    MatchStatus,
    RequestStatus,
    SessionStatus,
    TimeSlot,
)
from pollinate.people.demo import GeneratedOrg

BATCH = 1000
GOALS = [
    "Set up {topic} on my own for a new product",
    "Find the cause when {topic} goes wrong on night shift",
    "Teach {topic} to the two new starters in my team",
    "Cut the changeover time in {topic}",
    "Do {topic} safely without asking the supervisor every time",
]
CAN_NOW_DO = [
    "I can now do the first checks alone.",
    "I did the whole changeover with my coach watching.",
    "I know which settings matter and why.",
]
HELPED_WITH = [
    "run the changeover alone",
    "fix a recurring fault on my line",
    "show a new colleague the right way",
    "pass my internal qualification",
]


def populate(*, org: GeneratedOrg, rng: random.Random) -> None:
    by_person_topics: dict[int, list[int]] = defaultdict(list)
    for topic_id, people in org.experts.items():
        for person_id in people:
            by_person_topics[person_id].append(topic_id)
    coach_ids = sorted(set(org.coach_ids) | {p for p in by_person_topics if rng.random() < 0.15})
    # The demo member is the learner of the tour, not a coach.
    coach_ids = [p for p in coach_ids if p != org.demo_member_id]
    offers: list[CoachOffer] = []
    for person_id in coach_ids:
        offers.append(
            CoachOffer(
                person_id=person_id,
                pitch="Happy to show you how we do it on my line.",
                languages=org.languages_of(person_id),
                capacity=rng.randint(1, 6),
                modes=rng.choice([["remote"], ["on_site", "remote"], ["on_site"]]),
                time_slots=rng.sample([s.value for s in TimeSlot], rng.randint(1, 3)),
                status=rng.choices(["active", "paused", "stepped_down"], [90, 7, 3])[0],
            )
        )
    CoachOffer.objects.bulk_create(offers, batch_size=BATCH)
    offer_ids = dict(
        CoachOffer.objects.filter(person_id__in=coach_ids).values_list("person_id", "pk")
    )
    leaf_ids = [t.pk for t in org.leaf_topics] or [t.pk for t in org.topics]
    coach_topics: list[CoachTopic] = []
    topics_of: dict[int, dict[int, int]] = {}
    certified_of: dict[int, set[int]] = defaultdict(set)
    for person_id in coach_ids:
        own = by_person_topics.get(person_id) or rng.sample(leaf_ids, min(2, len(leaf_ids)))
        chosen = rng.sample(own, min(len(own), rng.randint(1, 3)))
        topics_of[person_id] = {}
        for topic_id in chosen:
            level = rng.choices(
                [CoachLevel.APPRENTICE, CoachLevel.CERTIFIED, CoachLevel.MENTOR], [35, 55, 10]
            )[0]
            skill = rng.randint(3, 4)
            topics_of[person_id][topic_id] = skill
            if level != CoachLevel.APPRENTICE:
                certified_of[person_id].add(topic_id)
            coach_topics.append(
                CoachTopic(
                    offer_id=offer_ids[person_id], topic_id=topic_id, level=skill, coach_level=level
                )
            )
    CoachTopic.objects.bulk_create(coach_topics, batch_size=BATCH)
    if not coach_ids:
        return

    coaches_by_topic: dict[int, list[int]] = defaultdict(list)
    for person_id, topics in topics_of.items():
        for topic_id in topics:
            coaches_by_topic[topic_id].append(person_id)
    covered = sorted(coaches_by_topic)
    topic_names = {t.pk: t.name for t in org.topics}
    learners = [p for p in org.person_ids if p not in topics_of] or org.person_ids

    n_requests = org.scale["coaching_requests"]
    requests: list[CoachingRequest] = []
    planned: list[tuple[str, int | None]] = []
    for index in range(n_requests):
        learner = org.demo_member_id if index == 0 and org.demo_member_id else rng.choice(learners)
        state = rng.choices(["open", "no_match", "matched", "closed"], [25, 10, 45, 20])[0]
        topic_id = rng.choice(covered) if state != "no_match" else rng.choice(leaf_ids)
        coach = None
        if state in ("matched", "closed"):
            speaks = set(org.languages_of(learner))
            able = [
                c
                for c in coaches_by_topic.get(topic_id, [])
                if c != learner and speaks & set(org.languages_of(c))
            ]
            coach = rng.choice(able) if able else None
            state = state if coach else "open"
        mode = rng.choice(["either", "either", "remote", "on_site"])
        if coach and mode == "on_site" and org.person_site[coach] != org.person_site[learner]:
            mode = "remote"  # an accepted cross-site pairing meets remotely
        requests.append(
            CoachingRequest(
                learner_id=learner,
                site_id=org.person_site[learner],
                topic_id=topic_id,
                goal=rng.choice(GOALS).format(topic=topic_names.get(topic_id, "it").lower()),
                languages=org.languages_of(learner),
                mode=mode,
                time_slots=rng.sample([s.value for s in TimeSlot], rng.randint(0, 2)),
                urgency=rng.choice([0, 0, 1, 2]),
                status={
                    "open": RequestStatus.OPEN,
                    "no_match": RequestStatus.NO_MATCH,
                    "matched": RequestStatus.MATCHED,
                    "closed": RequestStatus.CLOSED,
                }[state],
                closed_at=org.now if state == "closed" else None,
            )
        )
        planned.append((state, coach))
    created = CoachingRequest.objects.bulk_create(requests, batch_size=BATCH)

    matches: list[Match] = []
    for request, (_state, coach) in zip(created, planned, strict=True):
        if coach is None:
            continue
        need = Need(
            request_id=request.pk,
            person_id=request.learner_id,
            site_id=request.site_id,
            topic_id=request.topic_id,
            languages=frozenset(request.languages),
            mode=Mode(request.mode),
        )
        cand = Candidate(
            coach_id=coach,
            site_id=org.person_site[coach],
            topics=topics_of[coach],
            languages=frozenset(org.languages_of(coach)),
            modes=frozenset({Mode.REMOTE, Mode.ON_SITE}),
            capacity=6,
            certified_topic_ids=frozenset(certified_of[coach]),
        )
        suggestion = score_pair(need, cand)
        matches.append(
            Match(
                request_id=request.pk,
                coach_id=coach,
                status=MatchStatus.ACCEPTED,
                score=suggestion.score if suggestion else 0.0,
                reasons=[asdict(r) for r in suggestion.reasons] if suggestion else [],
                expires_at=org.now + dt.timedelta(days=3),
                responded_at=org.now,
                learner_confirmed_at=org.now,
            )
        )
    created_matches = Match.objects.bulk_create(matches, batch_size=BATCH)
    if not created_matches:
        return

    sessions: list[CoachingSession] = []
    for _ in range(org.scale["coaching_sessions"]):
        match = rng.choice(created_matches)
        past = rng.random() < 0.7
        starts = (
            org.past(rng, days=180)
            if past
            else org.now + dt.timedelta(days=rng.randint(1, 30), hours=rng.randint(0, 8))
        )
        sessions.append(
            CoachingSession(
                match_id=match.pk,
                starts_at=starts,
                duration_minutes=rng.choice([30, 45, 60]),
                where=rng.choice(["Video call", "Line 3, by the edger", "Meeting room B"]),
                notes="Worked through the checklist together." if past else "",
                status=SessionStatus.DONE if past else SessionStatus.SCHEDULED,
            )
        )
    created_sessions = CoachingSession.objects.bulk_create(sessions, batch_size=BATCH)
    feedback: list[Feedback] = []
    for session in created_sessions:
        if session.status != SessionStatus.DONE or rng.random() < 0.3:
            continue
        helped = rng.random() < 0.7
        feedback.append(
            Feedback(
                session_id=session.pk,
                can_now_do=rng.choice(CAN_NOW_DO),
                rating=rng.choices([3, 4, 5], [15, 45, 40])[0],
                helped=helped,
                helped_with=rng.choice(HELPED_WITH) if helped else "",
            )
        )
    Feedback.objects.bulk_create(feedback, batch_size=BATCH)
