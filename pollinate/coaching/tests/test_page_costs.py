"""What a coaching request's page and the coaching home cost in queries, and that the faster reads
keep what the engine and the pages showed: loads, topics, exclusions, markup and translations."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pollinate.coaching import selectors, services
from pollinate.coaching.models import CoachingRequest, CoachLevel, MatchStatus, OfferStatus
from pollinate.coaching.tests.factories import (
    CoachingRequestFactory,
    CoachOfferFactory,
    CoachTopicFactory,
    MatchFactory,
)
from pollinate.people.models import Person, Topic
from pollinate.people.tests.factories import PersonFactory, TopicFactory

pytestmark = pytest.mark.django_db


def _ask(person: Person, topic: Topic) -> CoachingRequest:
    return services.request_create(
        actor=person,
        topic=topic,
        goal="Edge a lens for a new frame on my own",
        languages=person.languages,
        mode="either",
        time_slots=[],
        urgency=0,
    )


def test_candidates_carry_each_offers_load_topics_languages_and_certification(
    edging: Topic,
) -> None:
    child = TopicFactory(parent=edging)
    offer = CoachOfferFactory(
        languages=["pt", "en"], modes=["on_site", "remote"], capacity=3, time_slots=["weekend"]
    )
    CoachTopicFactory(offer=offer, topic=edging, level=3, coach_level=CoachLevel.APPRENTICE)
    CoachTopicFactory(offer=offer, topic=child, level=4, coach_level=CoachLevel.MENTOR)
    MatchFactory(coach=offer.person, status=MatchStatus.PROPOSED)
    MatchFactory(coach=offer.person, status=MatchStatus.ACCEPTED)
    MatchFactory(coach=offer.person, status=MatchStatus.DECLINED)
    MatchFactory(
        coach=offer.person,
        status=MatchStatus.ACCEPTED,
        request=CoachingRequestFactory(status="closed"),
    )
    (candidate,) = selectors.candidates_for({edging.pk})
    assert candidate.coach_id == offer.person.pk
    assert candidate.site_id == offer.person.site_id
    assert dict(candidate.topics) == {edging.pk: 3, child.pk: 4}
    assert candidate.certified_topic_ids == frozenset({child.pk})
    assert candidate.languages == frozenset({"pt", "en"})
    assert {str(mode) for mode in candidate.modes} == {"on_site", "remote"}
    # Live matches of open requests only: proposed + accepted, not declined or closed ones.
    assert (candidate.capacity, candidate.load) == (3, 2)
    assert candidate.hours == selectors.slots_to_mask(["weekend"], offer.person.time_zone)
    assert selectors.candidates_for() == [candidate]


def test_paused_offers_inactive_members_and_other_topics_are_not_candidates(
    edging: Topic,
) -> None:
    kept = CoachTopicFactory(topic=edging).offer
    CoachTopicFactory(topic=edging, offer=CoachOfferFactory(status=OfferStatus.PAUSED))
    gone = CoachTopicFactory(topic=edging).offer
    gone.person.user.is_active = False
    gone.person.user.save()
    CoachTopicFactory(topic=TopicFactory())
    assert [c.coach_id for c in selectors.candidates_for({edging.pk})] == [kept.person_id]
    assert selectors.candidates_for(set()) == []


def test_the_request_page_reads_as_many_queries_for_twelve_coaches_as_for_two(
    as_client: Any, alice: Person, edging: Topic
) -> None:
    for _ in range(2):
        CoachTopicFactory(offer=CoachOfferFactory(languages=["en"]), topic=edging)
    request = _ask(alice, edging)
    client = as_client(alice)
    client.get(request.get_absolute_url())
    with CaptureQueriesContext(connection) as two:
        page = client.get(request.get_absolute_url()).content.decode()
    assert page.count("Ask Person") == 2
    for _ in range(10):
        CoachTopicFactory(offer=CoachOfferFactory(languages=["en"]), topic=edging)
    with CaptureQueriesContext(connection) as twelve:
        page = client.get(request.get_absolute_url()).content.decode()
    assert page.count("Ask Person") == 5
    assert len(twelve) == len(two)


def test_a_suggestion_shows_the_coachs_card_reasons_and_ask_form(
    as_client: Any, alice: Person, edging: Topic
) -> None:
    coach = PersonFactory(display_name="Rui <Costa>", job_title="Lens & frames")
    CoachTopicFactory(offer=CoachOfferFactory(person=coach, languages=["en"]), topic=edging)
    request = _ask(alice, edging)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user, backend="pollinate.people.backends.MemberBackend")
    page = client.get(request.get_absolute_url()).content.decode()
    assert '<span class="avatar" aria-hidden="true">R&lt;</span>' in page
    assert f'<a href="{coach.get_absolute_url()}">Rui &lt;Costa&gt;</a>' in page
    assert f"Lens &amp; frames · {coach.site.name}" in page
    assert '<ul class="chips coaching-why" aria-label="Why this coach">' in page
    assert f'<li class="chip">coaches {edging.display_name}</li>' in page
    action = reverse("coaching:request_propose", args=[request.pk])
    assert (
        f'<form method="post" action="{action}"><input type="hidden" name="csrfmiddlewaretoken"'
        in page
    )
    assert f'<input type="hidden" name="coach" value="{coach.pk}">' in page
    assert ">Ask Rui &lt;Costa&gt;</button>" in page
    # The form works as it is: its CSRF token is this visitor's.
    token = re.search(
        rf'action="{action}"><input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"', page
    )
    assert token is not None
    response = client.post(action, {"csrfmiddlewaretoken": token[1], "coach": coach.pk})
    assert response.status_code == 302
    assert request.matches.get().coach == coach


def test_suggestions_are_explained_in_the_learners_language(
    as_client: Any, alice: Person, edging: Topic
) -> None:
    alice.interface_language = "fr"
    alice.save()
    CoachTopicFactory(offer=CoachOfferFactory(languages=["en"]), topic=edging)
    request = _ask(alice, edging)
    page = as_client(alice).get(request.get_absolute_url()).content.decode()
    assert 'aria-label="Pourquoi ce coach"' in page
    # Language names are shown as each language names itself.
    assert '<li class="chip">parle English</li>' in page
    assert f'<li class="chip">coache {edging.display_name}</li>' in page
    assert '<li class="chip">vos horaires sont flexibles</li>' in page
    assert ">Demander à Person" in page


def test_a_declined_coach_and_the_learners_manager_are_not_suggested(
    as_client: Any, alice: Person, edging: Topic
) -> None:
    declined, manager, other = (
        CoachTopicFactory(offer=CoachOfferFactory(languages=["en"]), topic=edging).offer.person
        for _ in range(3)
    )
    alice.manager = manager
    alice.save()
    request = _ask(alice, edging)
    MatchFactory(request=request, coach=declined, status=MatchStatus.DECLINED)
    page = as_client(alice).get(request.get_absolute_url()).content.decode()
    assert f'name="coach" value="{other.pk}"' in page
    assert f'name="coach" value="{declined.pk}"' not in page
    assert f'name="coach" value="{manager.pk}"' not in page


def test_upcoming_sessions_are_those_one_coaches_learns_or_co_leads_soonest_first(
    alice: Person, bob: Person, dana: Person
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from pollinate.coaching.models import SessionStatus
    from pollinate.coaching.tests.factories import CoachingSessionFactory

    now = timezone.now()
    as_coach = CoachingSessionFactory(
        match=MatchFactory(coach=dana), starts_at=now + timedelta(days=3)
    )
    as_learner = CoachingSessionFactory(
        match=MatchFactory(request=CoachingRequestFactory(learner=dana)),
        starts_at=now + timedelta(days=1),
    )
    co_leading = CoachingSessionFactory(co_coach=dana, starts_at=now - timedelta(hours=2))
    CoachingSessionFactory(match=MatchFactory(coach=dana), starts_at=now - timedelta(days=1))
    CoachingSessionFactory(
        match=MatchFactory(coach=dana),
        starts_at=now + timedelta(days=2),
        status=SessionStatus.CANCELLED,
    )
    CoachingSessionFactory(match=MatchFactory(coach=bob), starts_at=now + timedelta(days=2))
    upcoming = selectors.session_list_upcoming(dana)
    assert upcoming == [co_leading, as_learner, as_coach]
    assert selectors.session_list_upcoming(dana, limit=2) == [co_leading, as_learner]
    assert selectors.session_list_upcoming(alice) == []


def test_the_coaching_home_reads_as_many_queries_for_many_sessions_as_for_one(
    as_client: Any, dana: Person
) -> None:
    from pollinate.coaching.tests.factories import CoachingSessionFactory

    CoachOfferFactory(person=dana)
    CoachingSessionFactory(match=MatchFactory(coach=dana))
    client = as_client(dana)
    client.get(reverse("coaching:home"))
    with CaptureQueriesContext(connection) as one:
        page = client.get(reverse("coaching:home")).content.decode()
    assert page.count('href="/coaching/sessions/') == 1
    for _ in range(6):
        CoachingSessionFactory(match=MatchFactory(coach=dana))
    with CaptureQueriesContext(connection) as seven:
        page = client.get(reverse("coaching:home")).content.decode()
    assert page.count('href="/coaching/sessions/') == 7
    assert len(seven) == len(one)


def test_a_requests_surroundings_are_its_matches_reporting_line_and_neighbour_topics(
    alice: Person, bob: Person, charlie: Person, dana: Person, edging: Topic
) -> None:
    parent = TopicFactory()
    edging.parent = parent
    edging.save()
    child = TopicFactory(parent=edging)
    TopicFactory(parent=parent)  # a sibling is not a neighbour
    bob.manager = alice
    bob.save()
    report = PersonFactory(manager=bob)
    request = CoachingRequestFactory(learner=bob, topic=edging)
    live = MatchFactory(request=request, coach=dana, status=MatchStatus.PROPOSED)
    MatchFactory(request=request, coach=charlie, status=MatchStatus.DECLINED)
    MatchFactory(coach=PersonFactory(), status=MatchStatus.DECLINED)  # another request's
    around = selectors.request_surroundings(request)
    assert around.live_match_id == live.pk
    assert around.past_coach_ids == frozenset({charlie.pk})
    assert around.line_ids == frozenset({alice.pk, report.pk})
    assert around.related_topic_ids == frozenset({parent.pk, child.pk})
    need = selectors.need_for(request)
    assert need.excluded_coach_ids == frozenset({charlie.pk, alice.pk, report.pk})
    assert need == selectors.needs_for([request])[0]


def test_a_site_lead_sees_the_learners_card_without_reading_their_site_again(
    as_client: Any, alice: Person, bob: Person, edging: Topic
) -> None:
    request = _ask(bob, edging)
    client = as_client(alice)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(request.get_absolute_url()).content.decode()
    assert f"{bob.site.name}</div>" in page
    assert not [q for q in queries.captured_queries if 'FROM "people_site"' in q["sql"]]


def test_a_request_number_beyond_any_row_is_not_found(as_client: Any, alice: Person) -> None:
    client = as_client(alice)
    assert client.get(f"/coaching/requests/{2**64}/").status_code == 404
    assert client.get("/coaching/requests/987654321/").status_code == 404


def test_the_coaching_home_lists_ones_requests_and_led_sites(
    as_client: Any, alice: Person, bob: Person, edging: Topic
) -> None:
    mine = _ask(alice, edging)
    _ask(bob, edging)
    page = as_client(alice).get(reverse("coaching:home")).content.decode()
    assert f'<a href="{mine.get_absolute_url()}">{edging.display_name}</a>' in page
    assert len(re.findall(r'href="/coaching/requests/\d+/"', page)) == 1
    assert reverse("coaching:site", args=[alice.site.code]) in page
    assert reverse("coaching:site", args=[alice.site.code]) not in (
        as_client(bob).get(reverse("coaching:home")).content.decode()
    )


def test_the_coach_home_shows_live_matches_load_and_recent_feedback(
    as_client: Any, dana: Person, edging: Topic
) -> None:
    from pollinate.coaching.models import Feedback
    from pollinate.coaching.tests.factories import CoachingSessionFactory

    CoachOfferFactory(person=dana, capacity=4)
    learner = PersonFactory(display_name="Ines Learner")
    MatchFactory(
        coach=dana,
        status=MatchStatus.PROPOSED,
        request=CoachingRequestFactory(learner=learner, topic=edging, goal="Cut a bevel"),
    )
    coached = MatchFactory(coach=dana, status=MatchStatus.ACCEPTED)
    MatchFactory(coach=dana, status=MatchStatus.DECLINED)
    MatchFactory(
        coach=dana,
        status=MatchStatus.ACCEPTED,
        request=CoachingRequestFactory(status="closed"),
    )
    Feedback.objects.create(
        session=CoachingSessionFactory(match=coached),
        can_now_do="Set the edger alone",
        rating=5,
        helped=True,
    )
    page = as_client(dana).get(reverse("coaching:home")).content.decode()
    assert '<span class="stat">2 / 4</span>' in page
    assert f"Ines Learner ({learner.site.name})" in page
    assert "Cut a bevel" in page
    assert f'href="{coached.request.get_absolute_url()}"' in page
    assert "5/5 — Set the edger alone" in page
