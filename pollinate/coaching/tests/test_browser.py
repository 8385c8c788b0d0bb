"""The whole coaching loop in a real browser on a 360-px phone screen, with a real SMTP server."""

from __future__ import annotations

from typing import Any

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from conftest import sign_in
from pollinate.coaching.models import CoachLevel, Feedback
from pollinate.coaching.tests.factories import CoachOfferFactory, CoachTopicFactory
from pollinate.core.testing import FUTURE_YEAR
from pollinate.people.tests.factories import TopicFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_learner_gets_help_and_the_coach_page_shows_it(
    browser: Any, live_server: Any, alice: Any, dana: Any, smtp: Any
) -> None:
    edging = TopicFactory(name="Lens edging")
    offer = CoachOfferFactory(person=dana, languages=["pt", "en"], capacity=4, modes=["remote"])
    CoachTopicFactory(offer=offer, topic=edging, coach_level=CoachLevel.CERTIFIED)

    def phone_for(person: Any) -> Any:
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, base_url=live_server.url, locale="en-GB"
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, person)
        return page

    learner = phone_for(alice)
    learner.goto("/coaching/requests/new/")
    learner.get_by_label("Topic").select_option(label="Lens edging")
    learner.get_by_label("What I want to be able to do").fill("Edge varifocals on my own")
    learner.get_by_role("button", name="Find me a coach").click()
    suggestions = learner.locator(".coaching-suggestions")
    expect(suggestions).to_contain_text("speaks English")
    expect(suggestions).to_contain_text("another site")
    assert learner.evaluate("document.documentElement.scrollWidth") <= 360
    learner.get_by_role("button", name="Ask Dana").click()
    expect(learner.get_by_text("We asked the coach.")).to_be_visible()
    request_url = learner.url

    coach = phone_for(dana)
    coach.goto("/coaching/")
    coach.get_by_role("button", name="Accept").click()
    coach.get_by_label("Starts at (your time zone)").fill(f"{FUTURE_YEAR}-03-04T10:00")
    coach.get_by_label("Where or video link").fill("Video call")
    coach.get_by_role("button", name="Schedule and send invites").click()
    expect(coach.get_by_text("Scheduled.")).to_be_visible()

    invites = [m for m in smtp.wait_for(4) if "session" in m["Subject"].lower()]
    assert {m["To"] for m in invites} == {alice.user.email, dana.user.email}
    ics = next(p for p in invites[0].walk() if p.get_content_type() == "text/calendar")
    event = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")[0]
    assert "Lens edging" in str(event["summary"])

    learner.goto(request_url)
    learner.locator("#sessions-h + ul a").first.click()
    learner.get_by_label("What I can now do").fill("Edge varifocals alone")
    learner.get_by_label("5").check()
    learner.get_by_label("This helped me do something at work").check()
    learner.get_by_label("It helped me to…").fill("edge varifocal lenses for a customer")
    learner.get_by_role("button", name="Send feedback").click()
    expect(learner.get_by_text("Thank you.")).to_be_visible()
    assert Feedback.objects.get().helped

    learner.goto(f"/coaching/coaches/{dana.pk}/")
    helped = learner.locator(".coaching-helped").inner_text()
    assert "edge varifocal lenses for a customer" in helped
    assert "Certified coach" in learner.locator("main").inner_text()
