from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from pollinate.coaching import selectors, services
from pollinate.coaching.models import (
    Certification,
    CoachingRequest,
    CoachLevel,
    CoachOffer,
    CoachTopic,
    Feedback,
    Match,
    MatchStatus,
    RequestStatus,
)
from pollinate.coaching.tests.factories import (
    CoachingRequestFactory,
    CoachingSessionFactory,
    CoachOfferFactory,
    CoachTopicFactory,
    MatchFactory,
)
from pollinate.core.testing import FUTURE_YEAR
from pollinate.people.models import Person, Topic
from pollinate.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _ask(person: Person, topic: Topic, **extra: Any) -> CoachingRequest:
    defaults: dict[str, Any] = {
        "goal": "Edge a lens for a new frame on my own",
        "languages": person.languages,
        "mode": "either",
        "time_slots": [],
        "urgency": 0,
    }
    defaults.update(extra)
    return services.request_create(actor=person, topic=topic, **defaults)


# ---------------------------------------------------------------------------------- offers


def test_a_member_volunteers_as_a_coach_with_topics_and_capacity(
    as_client: Any, bob: Person, edging: Topic
) -> None:
    response = as_client(bob).post(
        reverse("coaching:offer"),
        {
            "topics": [edging.pk],
            "languages": ["fr"],
            "capacity": 3,
            "modes": ["on_site", "remote"],
            "time_slots": ["wd_morning"],
            "pitch": "Ten years on the edger.",
        },
    )
    assert response.status_code == 302
    offer = CoachOffer.objects.get(person=bob)
    assert offer.capacity == 3
    assert offer.topics.get().coach_level == CoachLevel.APPRENTICE


def test_an_offer_without_topics_is_refused_with_400(as_client: Any, bob: Person) -> None:
    response = as_client(bob).post(reverse("coaching:offer"), {"languages": ["fr"], "capacity": 2})
    assert response.status_code == 400
    assert not CoachOffer.objects.filter(person=bob).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client: Any, db: None) -> None:
    for name in ("coaching:home", "coaching:offer", "coaching:request_create"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert "/sign-in/" in response["Location"]


def test_wrong_methods_are_refused(as_client: Any, bob: Person) -> None:
    client = as_client(bob)
    assert client.post(reverse("coaching:home")).status_code == 405
    assert client.get(reverse("coaching:offer_status")).status_code == 405
    assert client.put(reverse("coaching:request_create")).status_code == 405


def test_pausing_hands_waiting_proposals_to_the_next_best_coach(
    alice: Person, dana: Person, dana_offer: CoachOffer, edging: Topic
) -> None:
    other = CoachOfferFactory(languages=["en"], capacity=2)
    CoachTopicFactory(offer=other, topic=edging, coach_level=CoachLevel.APPRENTICE)
    request = _ask(alice, edging)
    services.match_propose(actor=alice, request=request, coach_id=dana.pk)
    services.offer_set_status(actor=dana, offer=dana_offer, status="paused")
    live = Match.objects.get(request=request, status=MatchStatus.PROPOSED)
    assert live.coach_id == other.person_id
    assert selectors.request_suggestions(request) == [] or all(
        s.coach_id != dana.pk for s in selectors.request_suggestions(request)
    )


# -------------------------------------------------------------------------------- requests


def test_a_learner_sees_explained_suggestions_for_their_request(
    as_client: Any, alice: Person, dana_offer: CoachOffer, edging: Topic
) -> None:
    response = as_client(alice).post(
        reverse("coaching:request_create"),
        {
            "topic": edging.pk,
            "goal": "Edge lenses",
            "languages": ["en"],
            "mode": "either",
            "urgency": 0,
        },
    )
    assert response.status_code == 302
    page = as_client(alice).get(response["Location"]).content.decode()
    assert "Dana" in page
    assert "speaks English" in page
    assert "certified in Lens edging" in page
    assert "2 of 2 slots free" in page
    assert "another site" in page


def test_a_request_in_a_language_no_coach_speaks_says_no_match_and_tells_site_leads(
    as_client: Any,
    alice: Person,
    bob: Person,
    dana_offer: CoachOffer,
    edging: Topic,
    smtp: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request = _ask(bob, edging)  # Bob speaks only French; Dana coaches in pt/en.
    assert request.status == RequestStatus.NO_MATCH
    page = as_client(bob).get(request.get_absolute_url()).content.decode()
    assert "No match yet" in page
    [mail] = smtp.wait_for(1)
    assert mail["To"] == alice.user.email
    assert "Lens edging" in mail["Subject"]


def test_a_coach_at_capacity_is_never_suggested_nor_proposed(
    alice: Person, dana: Person, dana_offer: CoachOffer, edging: Topic
) -> None:
    dana_offer.capacity = 1
    dana_offer.save()
    MatchFactory(coach=dana, request=CoachingRequestFactory(topic=edging))
    request = _ask(alice, edging)
    assert selectors.request_suggestions(request) == []
    with pytest.raises(services.CoachingError):
        services.match_propose(actor=alice, request=request, coach_id=dana.pk)


@pytest.mark.parametrize("viewer", ["bob", "charlie", "dana", "mod", "editor"])
def test_nobody_else_sees_a_learners_request(
    as_client: Any, request: Any, alice: Person, edging: Topic, viewer: str
) -> None:
    coaching_request = CoachingRequestFactory(learner=alice, topic=edging)
    response = as_client(request.getfixturevalue(viewer)).get(coaching_request.get_absolute_url())
    assert response.status_code == 404


def test_the_site_lead_sees_a_request_at_their_site_but_not_its_notes_or_feedback(
    as_client: Any, alice: Person, bob: Person, dana: Person, edging: Topic
) -> None:
    session = CoachingSessionFactory(
        match=MatchFactory(coach=dana, request=CoachingRequestFactory(learner=bob, topic=edging)),
        notes="Bob struggles with the jig",
    )
    Feedback.objects.create(session=session, can_now_do="Secret skill", rating=4)
    page = as_client(alice).get(session.match.request.get_absolute_url())
    assert page.status_code == 200
    assert "struggles" not in page.content.decode()
    assert as_client(alice).get(session.get_absolute_url()).status_code == 404
    assert (
        as_client(alice).get(reverse("coaching:session_ics", args=[session.pk])).status_code == 404
    )


def test_another_learner_cannot_propose_on_my_request(
    as_client: Any, alice: Person, charlie: Person, dana: Person, edging: Topic
) -> None:
    coaching_request = CoachingRequestFactory(learner=charlie, topic=edging)
    response = as_client(alice).post(
        reverse("coaching:request_propose", args=[coaching_request.pk]), {"coach": dana.pk}
    )
    assert response.status_code == 404
    assert not Match.objects.exists()


# --------------------------------------------------------------------------------- matches


def test_a_coach_accepts_and_accepting_twice_is_harmless(
    as_client: Any,
    alice: Person,
    dana: Person,
    dana_offer: CoachOffer,
    edging: Topic,
    smtp: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = _ask(alice, edging)
    with django_capture_on_commit_callbacks(execute=True):
        match = services.match_propose(actor=alice, request=request, coach_id=dana.pk)
    assert smtp.wait_for(1)[0]["To"] == dana.user.email
    url = reverse("coaching:match_accept", args=[match.pk])
    assert as_client(dana).post(url).status_code == 302
    assert as_client(dana).post(url).status_code == 302
    match.refresh_from_db()
    request.refresh_from_db()
    assert match.status == MatchStatus.ACCEPTED
    assert request.status == RequestStatus.MATCHED
    assert Match.objects.filter(request=request).count() == 1


def test_the_learner_cannot_accept_on_the_coachs_behalf(
    as_client: Any, alice: Person, dana: Person, dana_offer: CoachOffer, edging: Topic
) -> None:
    match = services.match_propose(actor=alice, request=_ask(alice, edging), coach_id=dana.pk)
    assert (
        as_client(alice).post(reverse("coaching:match_accept", args=[match.pk])).status_code == 403
    )
    assert (
        as_client(PersonFactory())
        .post(reverse("coaching:match_accept", args=[match.pk]))
        .status_code
        == 404
    )


def test_a_decline_asks_the_next_best_coach_and_never_the_same_one_again(
    as_client: Any, alice: Person, dana: Person, dana_offer: CoachOffer, edging: Topic
) -> None:
    second = CoachOfferFactory(languages=["en"])
    CoachTopicFactory(offer=second, topic=edging, coach_level=CoachLevel.APPRENTICE)
    request = _ask(alice, edging)
    match = services.match_propose(actor=alice, request=request, coach_id=dana.pk)
    response = as_client(dana).post(
        reverse("coaching:match_decline", args=[match.pk]), {"reason": "On holiday"}
    )
    assert response.status_code == 302
    live = Match.objects.get(request=request, status=MatchStatus.PROPOSED)
    assert live.coach_id == second.person_id
    assert all(s.coach_id != dana.pk for s in selectors.request_suggestions(request, k=10))


def test_an_unanswered_proposal_expires_and_goes_to_the_next_best(
    alice: Person, dana: Person, dana_offer: CoachOffer, edging: Topic
) -> None:
    second = CoachOfferFactory(languages=["en"])
    CoachTopicFactory(offer=second, topic=edging)
    request = _ask(alice, edging)
    services.match_propose(actor=alice, request=request, coach_id=dana.pk)
    assert services.matches_expire(now=timezone.now() + dt.timedelta(days=10)) == 1
    statuses = dict(Match.objects.filter(request=request).values_list("coach_id", "status"))
    assert statuses == {dana.pk: MatchStatus.EXPIRED, second.person_id: MatchStatus.PROPOSED}


# -------------------------------------------------------------------------------- sessions


def test_scheduling_emails_a_parseable_invite_to_both_people(
    as_client: Any,
    alice: Person,
    dana: Person,
    edging: Topic,
    smtp: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    match = MatchFactory(coach=dana, request=CoachingRequestFactory(learner=alice, topic=edging))
    with django_capture_on_commit_callbacks(execute=True):
        response = as_client(dana).post(
            reverse("coaching:session_create", args=[match.pk]),
            {
                "starts_at": f"{FUTURE_YEAR}-03-04T10:00",
                "duration_minutes": 45,
                "where": "Video call",
            },
        )
    assert response.status_code == 302
    mails = smtp.wait_for(2)
    assert {m["To"] for m in mails} == {alice.user.email, dana.user.email}
    part = next(p for p in mails[0].walk() if p.get_content_type() == "text/calendar")
    event = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]
    # 10:00 in Lisbon (Dana's zone) in March is 10:00 UTC.
    assert event.decoded("dtstart") == dt.datetime(FUTURE_YEAR, 3, 4, 10, 0, tzinfo=dt.UTC)
    assert "Lens edging" in str(event["summary"])


def test_a_session_needs_an_accepted_match(
    as_client: Any, alice: Person, dana: Person, edging: Topic
) -> None:
    match = MatchFactory(
        coach=dana,
        status=MatchStatus.PROPOSED,
        request=CoachingRequestFactory(learner=alice, topic=edging),
    )
    response = as_client(alice).post(
        reverse("coaching:session_create", args=[match.pk]),
        {"starts_at": f"{FUTURE_YEAR}-03-04T10:00", "duration_minutes": 45},
    )
    assert response.status_code == 400


def test_the_ics_download_is_for_the_people_in_the_session_only(
    as_client: Any, alice: Person, charlie: Person, dana: Person, edging: Topic
) -> None:
    session = CoachingSessionFactory(
        match=MatchFactory(coach=dana, request=CoachingRequestFactory(learner=alice, topic=edging))
    )
    url = reverse("coaching:session_ics", args=[session.pk])
    response = as_client(alice).get(url)
    assert response.status_code == 200
    assert Calendar.from_ical(response.content).walk("VEVENT")
    assert as_client(charlie).get(url).status_code == 404


def test_feedback_shows_as_confirmed_help_on_the_coach_page_without_the_learners_name(
    as_client: Any, alice: Person, bob: Person, dana: Person, edging: Topic
) -> None:
    session = CoachingSessionFactory(
        match=MatchFactory(coach=dana, request=CoachingRequestFactory(learner=alice, topic=edging))
    )
    response = as_client(alice).post(
        reverse("coaching:session_feedback", args=[session.pk]),
        {
            "can_now_do": "Edge varifocals",
            "rating": 5,
            "helped": "on",
            "helped_with": "edge varifocal lenses alone",
        },
    )
    assert response.status_code == 302
    CoachOfferFactory(person=dana)
    page = as_client(bob).get(reverse("coaching:coach", args=[dana.pk])).content.decode()
    assert "edge varifocal lenses alone" in page
    assert "Alice" not in page


def test_only_the_learner_gives_feedback_and_only_coaches_write_notes(
    as_client: Any, alice: Person, dana: Person, edging: Topic
) -> None:
    session = CoachingSessionFactory(
        match=MatchFactory(coach=dana, request=CoachingRequestFactory(learner=alice, topic=edging))
    )
    feedback = {"can_now_do": "x", "rating": 3}
    url = reverse("coaching:session_feedback", args=[session.pk])
    assert as_client(dana).post(url, feedback).status_code == 403
    notes = reverse("coaching:session_notes", args=[session.pk])
    assert as_client(alice).post(notes, {"notes": "hack"}).status_code == 403
    assert as_client(dana).post(notes, {"notes": "Went well", "done": "on"}).status_code == 302
    session.refresh_from_db()
    assert session.notes == "Went well"
    assert session.status == "done"


# ---------------------------------------------------------------------- train the trainer


def test_a_mentor_coach_certifies_an_apprentice_against_the_full_checklist(
    as_client: Any, alice: Person, bob: Person, edging: Topic
) -> None:
    CoachTopicFactory(
        offer=CoachOfferFactory(person=alice), topic=edging, coach_level=CoachLevel.MENTOR
    )
    apprentice = CoachTopicFactory(
        offer=CoachOfferFactory(person=bob), topic=edging, coach_level=CoachLevel.APPRENTICE
    )
    url = reverse("coaching:certify", args=[bob.pk, edging.pk])
    assert as_client(alice).post(url, {"checklist": ["goal"]}).status_code == 400
    everything = ["co_led", "goal", "demonstrates", "feedback", "safety"]
    assert as_client(alice).post(url, {"checklist": everything}).status_code == 302
    apprentice.refresh_from_db()
    assert apprentice.coach_level == CoachLevel.CERTIFIED
    assert Certification.objects.get(coach=bob).signed_by == alice


def test_a_coach_who_is_not_a_mentor_cannot_certify(
    as_client: Any, bob: Person, charlie: Person, edging: Topic
) -> None:
    CoachTopicFactory(
        offer=CoachOfferFactory(person=bob), topic=edging, coach_level=CoachLevel.APPRENTICE
    )
    url = reverse("coaching:certify", args=[bob.pk, edging.pk])
    assert as_client(charlie).get(url).status_code == 403
    assert as_client(bob).get(url).status_code == 403


def test_an_apprentice_can_co_lead_but_a_stranger_cannot(
    alice: Person, dana: Person, charlie: Person, edging: Topic
) -> None:
    match = MatchFactory(coach=dana, request=CoachingRequestFactory(learner=alice, topic=edging))
    CoachTopicFactory(
        offer=CoachOfferFactory(person=charlie), topic=edging, coach_level=CoachLevel.APPRENTICE
    )
    when = timezone.now() + dt.timedelta(days=1)
    session = services.session_schedule(
        actor=dana, match=match, starts_at=when, duration_minutes=30, where="", co_coach=charlie
    )
    assert session.co_coach == charlie
    with pytest.raises(services.CoachingError):
        services.session_schedule(
            actor=dana,
            match=match,
            starts_at=when,
            duration_minutes=30,
            where="",
            co_coach=PersonFactory(),
        )


# ------------------------------------------------------------------------------ dashboards


def test_the_site_lead_sees_coverage_gaps_and_open_requests(
    as_client: Any, alice: Person, bob: Person, edging: Topic, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        CoachingRequestFactory(learner=bob, topic=edging, status=RequestStatus.NO_MATCH)
    client = as_client(alice)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("coaching:site", args=["lyon"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "no coach in reach" in page
    assert "5 open requests" in page


def test_members_and_other_site_leads_cannot_open_a_site_dashboard(
    as_client: Any, bob: Person, alice: Person, charlie: Person
) -> None:
    assert as_client(bob).get(reverse("coaching:site", args=["lyon"])).status_code == 403
    assert as_client(alice).get(reverse("coaching:site", args=["porto"])).status_code == 403
    assert as_client(alice).get(reverse("coaching:site", args=["nowhere"])).status_code == 404


def test_the_site_lead_finds_coaches_for_all_open_requests_at_once(
    as_client: Any, alice: Person, dana: Person, dana_offer: CoachOffer, edging: Topic
) -> None:
    learners = [PersonFactory(site=alice.site, languages=["en"]) for _ in range(3)]
    for learner in learners:
        CoachingRequestFactory(learner=learner, topic=edging)
    response = as_client(alice).post(reverse("coaching:site_assign", args=["lyon"]))
    assert response.status_code == 302
    # Dana has two slots: two learners get her, the third waits without an error.
    assert Match.objects.filter(coach=dana, status=MatchStatus.PROPOSED).count() == 2
    assert CoachingRequest.objects.filter(status=RequestStatus.NO_MATCH).count() == 1


def test_the_coach_dashboard_lists_proposals_and_load_with_few_queries(
    as_client: Any,
    dana: Person,
    dana_offer: CoachOffer,
    edging: Topic,
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(2):
        MatchFactory(
            coach=dana, status=MatchStatus.PROPOSED, request=CoachingRequestFactory(topic=edging)
        )
    client = as_client(dana)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("coaching:home"))
    page = response.content.decode()
    assert "2 / 2" in page
    assert page.count("Set up the edger on my own.") == 2


def test_coach_topics_keep_their_level_when_the_offer_is_edited(
    dana: Person, dana_topic: CoachTopic, edging: Topic
) -> None:
    services.offer_save(
        actor=dana,
        pitch="",
        languages=["en"],
        capacity=4,
        modes=["remote"],
        time_slots=[],
        topics=[(edging, 3)],
    )
    dana_topic.refresh_from_db()
    assert dana_topic.coach_level == CoachLevel.CERTIFIED
    assert dana_topic.level == 3


def test_the_matching_command_expires_and_proposes(
    alice: Person, dana: Person, dana_offer: CoachOffer, edging: Topic
) -> None:
    from django.core.management import call_command

    learner = PersonFactory(site=alice.site, languages=["en"])
    CoachingRequestFactory(learner=learner, topic=edging)
    call_command("coaching_match")
    assert Match.objects.get().coach == dana


def test_a_request_links_a_visible_practice_and_refuses_an_unknown_one(
    as_client: Any, alice: Person, charlie: Person, edging: Topic
) -> None:
    from pollinate.practices.tests.factories import PracticeFactory

    practice = PracticeFactory(owner=charlie, title="Edger jig for thin frames")
    request = _ask(alice, edging, practice_id=practice.pk)
    page = as_client(alice).get(request.get_absolute_url()).content.decode()
    assert "Edger jig for thin frames" in page
    with pytest.raises(services.CoachingError):
        _ask(alice, edging, practice_id=practice.pk + 999)


def test_the_request_page_with_five_suggestions_uses_few_queries(
    as_client: Any, alice: Person, edging: Topic, django_assert_max_num_queries: Any
) -> None:
    for _ in range(8):
        CoachTopicFactory(offer=CoachOfferFactory(languages=["en"]), topic=edging)
    request = _ask(alice, edging)
    client = as_client(alice)
    with django_assert_max_num_queries(20):
        page = client.get(request.get_absolute_url()).content.decode()
    assert page.count("Ask Person") == 5


def test_the_request_page_leaves_out_full_coaches_in_as_many_queries_for_more_coaches(
    as_client: Any, alice: Person, edging: Topic
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    offers = [CoachOfferFactory(languages=["en"], capacity=1) for _ in range(2)]
    for offer in offers:
        CoachTopicFactory(offer=offer, topic=edging)
    # The first coach already coaches someone: at capacity, never suggested.
    MatchFactory(
        coach=offers[0].person,
        status=MatchStatus.ACCEPTED,
        request=CoachingRequestFactory(topic=edging),
    )
    request = _ask(alice, edging)
    client = as_client(alice)
    client.get(request.get_absolute_url())
    with CaptureQueriesContext(connection) as two:
        page = client.get(request.get_absolute_url()).content.decode()
    assert f"Ask {offers[0].person.display_name}<" not in page
    assert f"Ask {offers[1].person.display_name}<" in page
    for _ in range(6):
        CoachTopicFactory(offer=CoachOfferFactory(languages=["en"]), topic=edging)
    with CaptureQueriesContext(connection) as eight:
        page = client.get(request.get_absolute_url()).content.decode()
    assert page.count("Ask Person") == 5
    assert len(eight) == len(two)


def test_a_member_who_does_not_coach_gets_the_home_page_without_the_coach_queries(
    as_client: Any, bob: Person, dana: Person, dana_offer: CoachOffer, edging: Topic
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    MatchFactory(coach=dana, status=MatchStatus.ACCEPTED, request=CoachingRequestFactory())
    with CaptureQueriesContext(connection) as coach:
        coach_page = as_client(dana).get(reverse("coaching:home")).content.decode()
    with CaptureQueriesContext(connection) as member:
        member_page = as_client(bob).get(reverse("coaching:home")).content.decode()
    assert "1 / 2" in coach_page
    assert "against your capacity" not in member_page
    # No offer: neither the matches nor (ever) a separate load count.
    assert len(member) <= len(coach) - 1
    assert not [
        q for q in member.captured_queries if q["sql"].startswith('SELECT "coaching_match"')
    ]


def test_the_coach_page_lists_confirmed_help_with_few_queries(
    as_client: Any,
    bob: Person,
    dana: Person,
    dana_topic: CoachTopic,
    edging: Topic,
    django_assert_max_num_queries: Any,
) -> None:
    for i in range(6):
        session = CoachingSessionFactory(
            match=MatchFactory(coach=dana, request=CoachingRequestFactory(topic=edging))
        )
        Feedback.objects.create(
            session=session, can_now_do="x", rating=5, helped=True, helped_with=f"task {i}"
        )
    client = as_client(bob)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("coaching:coach", args=[dana.pk])).content.decode()
    assert page.count("Helped a colleague to task") == 6
    assert "Certified coach" in page


def test_bulk_needs_equal_one_by_one_needs(
    alice: Person, bob: Person, dana: Person, edging: Topic, django_assert_max_num_queries: Any
) -> None:
    from pollinate.coaching.selectors import need_for, needs_for
    from pollinate.people.tests.factories import TopicFactory

    child = TopicFactory(parent=edging)
    bob.manager = alice
    bob.save()
    requests = [
        CoachingRequestFactory(learner=alice, topic=edging, time_slots=["wd_morning"]),
        CoachingRequestFactory(learner=bob, topic=child, mode="remote"),
    ]
    MatchFactory(request=requests[0], coach=dana, status=MatchStatus.DECLINED)
    with django_assert_max_num_queries(4):
        bulk = needs_for(requests)
    assert bulk == [need_for(r) for r in requests]
    assert alice.pk in bulk[1].excluded_coach_ids and dana.pk in bulk[0].excluded_coach_ids


def test_moving_and_cancelling_a_session_updates_everyones_calendar(
    as_client: Any,
    alice: Person,
    charlie: Person,
    dana: Person,
    edging: Topic,
    smtp: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    session = CoachingSessionFactory(
        match=MatchFactory(coach=dana, request=CoachingRequestFactory(learner=alice, topic=edging))
    )
    move = reverse("coaching:session_move", args=[session.pk])
    cancel = reverse("coaching:session_cancel", args=[session.pk])
    assert as_client(charlie).post(cancel).status_code == 404
    assert as_client(alice).get(cancel).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = as_client(alice).post(
            move,
            {"starts_at": f"{FUTURE_YEAR}-05-06T15:30", "duration_minutes": 60, "where": "Room B"},
        )
    assert response.status_code == 302
    moved = smtp.wait_for(2)
    part = next(p for p in moved[0].walk() if p.get_content_type() == "text/calendar")
    event = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]
    # 15:30 in Paris (Alice's zone) in May is 13:30 UTC.
    assert event.decoded("dtstart") == dt.datetime(FUTURE_YEAR, 5, 6, 13, 30, tzinfo=dt.UTC)
    assert event["sequence"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        as_client(dana).post(cancel)
        as_client(dana).post(cancel)  # twice is harmless
    mails = smtp.wait_for(4)
    cancelled = [m for m in mails if m["Subject"].startswith("Cancelled")]
    assert len(cancelled) == 2
    part = next(p for p in cancelled[0].walk() if p.get_content_type() == "text/calendar")
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    assert calendar["method"] == "CANCEL"
    assert calendar.walk("VEVENT")[0]["sequence"] == 2


def test_the_hourly_task_expires_overdue_proposals(
    alice: Person, dana: Person, dana_offer: CoachOffer, edging: Topic, settings: Any
) -> None:
    from pollinate.coaching.tasks import proposals_expire

    match = services.match_propose(actor=alice, request=_ask(alice, edging), coach_id=dana.pk)
    Match.objects.filter(pk=match.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    proposals_expire()
    match.refresh_from_db()
    assert match.status == MatchStatus.EXPIRED
    assert CoachingRequest.objects.get().status == RequestStatus.NO_MATCH


def test_the_coaching_pages_speak_french(
    as_client: Any, alice: Person, dana_offer: CoachOffer, edging: Topic
) -> None:
    request = _ask(alice, edging)
    alice.interface_language = "fr"
    alice.save()
    page = as_client(alice).get(request.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr")
    text = page.content.decode()
    assert "Coachs suggérés" in text
    assert "un autre site" in text


def test_a_coach_proposed_by_the_organisation_waits_for_the_learner_to_confirm(
    as_client: Any, alice: Person, dana: Person, edging: Topic
) -> None:
    match = MatchFactory(
        coach=dana,
        learner_confirmed_at=None,
        request=CoachingRequestFactory(learner=alice, topic=edging),
    )
    when = timezone.now() + dt.timedelta(days=2)
    with pytest.raises(services.CoachingError):
        services.session_schedule(
            actor=dana, match=match, starts_at=when, duration_minutes=30, where=""
        )
    assert (
        as_client(alice).post(reverse("coaching:match_confirm", args=[match.pk])).status_code == 302
    )
    match.refresh_from_db()
    assert match.learner_confirmed_at is not None
    services.session_schedule(
        actor=dana, match=match, starts_at=when, duration_minutes=30, where=""
    )
    assert match.sessions.count() == 1
