"""Digests in each member's own time zone: local periods, a local send hour, once across DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pollinate.core.testing import SmtpInbox
from pollinate.curation.tests.factories import CollectionFollowFactory, EpisodeFactory
from pollinate.digests.models import DigestPreference, DigestSend, Frequency, SendStatus
from pollinate.digests.services import digest_run, period_bounds, period_due
from pollinate.people.models import Person, Site
from pollinate.people.tests.factories import PersonFactory

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Pure period arithmetic --------------------------------------------------------------------------


def test_a_weekly_period_is_the_members_local_monday_to_monday_week() -> None:
    start, end = period_bounds(Frequency.WEEKLY, utc(2026, 11, 25, 12), TOKYO)

    assert start.astimezone(TOKYO) == datetime(2026, 11, 16, tzinfo=TOKYO)
    assert end.astimezone(TOKYO) == datetime(2026, 11, 23, tzinfo=TOKYO)
    assert start == utc(2026, 11, 15, 15)  # Monday in Tokyo begins on Sunday in UTC


def test_the_spring_dst_day_lasts_23_hours_and_its_week_167() -> None:
    # Europe moves clocks forward on Sunday 29 March 2026.
    day_start, day_end = period_bounds(Frequency.DAILY, utc(2026, 3, 30, 12), PARIS)
    week_start, week_end = period_bounds(Frequency.WEEKLY, utc(2026, 3, 30, 12), PARIS)

    assert (day_start, day_end) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert week_end - week_start == timedelta(hours=167)


def test_the_autumn_dst_day_lasts_25_hours() -> None:
    start, end = period_bounds(Frequency.DAILY, utc(2026, 10, 26, 12), PARIS)

    assert end - start == timedelta(hours=25)
    assert start.astimezone(PARIS).hour == 0
    assert end.astimezone(PARIS).hour == 0


def test_a_digest_falls_due_at_the_send_hour_local_time_on_both_sides_of_dst() -> None:
    # 07:00 in Paris is 06:00 UTC in winter and 05:00 UTC in summer.
    winter = period_due(Frequency.DAILY, utc(2026, 3, 28, 6), PARIS, hour=7)
    summer = period_due(Frequency.DAILY, utc(2026, 3, 30, 5), PARIS, hour=7)

    assert winter[2] == utc(2026, 3, 28, 6)
    assert summer[2] == utc(2026, 3, 30, 5)
    # One minute before 07:00 local, the day before is still the latest one due.
    early = period_due(Frequency.DAILY, utc(2026, 3, 30, 4, 59), PARIS, hour=7)
    assert early[:2] == period_bounds(Frequency.DAILY, utc(2026, 3, 29, 12), PARIS)


def test_a_weekly_digest_is_due_on_monday_morning_local_time() -> None:
    monday_0659 = utc(2026, 11, 23, 11, 59)  # 06:59 in New York
    monday_0700 = utc(2026, 11, 23, 12, 0)

    before = period_due(Frequency.WEEKLY, monday_0659, NEW_YORK, hour=7)
    after = period_due(Frequency.WEEKLY, monday_0700, NEW_YORK, hour=7)

    assert before[1].astimezone(NEW_YORK) == datetime(2026, 11, 16, tzinfo=NEW_YORK)
    assert after[1].astimezone(NEW_YORK) == datetime(2026, 11, 23, tzinfo=NEW_YORK)
    assert after[2] == monday_0700


# The job, hour by hour, against a real SMTP server --------------------------------------------


def _member(site: Site, zone: str, frequency: str = Frequency.WEEKLY) -> Person:
    person = PersonFactory(site=site, time_zone=zone)
    if frequency != Frequency.WEEKLY:
        DigestPreference.objects.create(person=person, frequency=frequency)
    return person


def _follow_episode(people: list[Person], when: datetime, title: str) -> None:
    episode = EpisodeFactory(
        title=title, publish_at=when, collection__publish_at=when - timedelta(days=30)
    )
    for person in people:
        CollectionFollowFactory(person=person, collection=episode.collection)


def _hourly(frequency: str, first: datetime, hours: int) -> None:
    for hour in range(hours):
        digest_run(frequency=frequency, as_of=first + timedelta(hours=hour, minutes=5))


@pytest.mark.django_db
def test_each_member_gets_the_weekly_digest_at_seven_in_their_own_time_zone(
    smtp: SmtpInbox, site_a: Site, settings: Any
) -> None:
    settings.DIGESTS_SEND_HOUR = 7
    tokyo, paris, new_york = (
        _member(site_a, zone) for zone in ("Asia/Tokyo", "Europe/Paris", "America/New_York")
    )
    # Wednesday of the week 16–23 November 2026, inside that week everywhere.
    _follow_episode([tokyo, paris, new_york], utc(2026, 11, 18, 12), "Torque checks")

    # Sunday 22:05 UTC is Monday 07:05 in Tokyo, still Sunday evening in Paris and New York.
    digest_run(as_of=utc(2026, 11, 22, 22, 5))
    smtp.wait_for(1)
    assert [str(m["To"]) for m in smtp.messages] == [tokyo.user.email]

    # 06:05 UTC is 07:05 in Paris; New York is still asleep.
    digest_run(as_of=utc(2026, 11, 23, 6, 5))
    smtp.wait_for(2)
    assert str(smtp.messages[-1]["To"]) == paris.user.email

    # 12:05 UTC is 07:05 in New York; the others are not sent again.
    report = digest_run(as_of=utc(2026, 11, 23, 12, 5))
    smtp.wait_for(3)
    assert report.sent == 1
    assert str(smtp.messages[-1]["To"]) == new_york.user.email

    keys = dict(DigestSend.objects.values_list("person_id", "period_start"))
    assert keys[tokyo.pk] == utc(2026, 11, 15, 15)  # local midnights, so three different keys
    assert keys[paris.pk] == utc(2026, 11, 15, 23)
    assert keys[new_york.pk] == utc(2026, 11, 16, 5)
    text = smtp.messages[0].get_body(("plain",)).get_content()
    assert "16 Nov" in text  # the period is shown in the member's local dates
    assert "22 Nov 2026" in text


@pytest.mark.django_db
def test_hourly_runs_across_the_spring_dst_change_send_each_local_day_once(
    smtp: SmtpInbox, site_a: Site, settings: Any
) -> None:
    settings.DIGESTS_SEND_HOUR = 7
    paris = _member(site_a, "Europe/Paris", Frequency.DAILY)
    new_york = _member(site_a, "America/New_York", Frequency.DAILY)
    for day in (27, 28, 29):  # something new on each local day around the change
        _follow_episode([paris, new_york], utc(2026, 3, day, 15), f"Part {day}")

    _hourly(Frequency.DAILY, utc(2026, 3, 28, 0), 72)

    paris_days = list(
        DigestSend.objects.filter(person=paris)
        .order_by("period_start")
        .values_list("period_start", flat=True)
    )
    assert paris_days == [
        utc(2026, 3, 25, 23),  # 26 March (CET), still within the catch-up at the first run
        utc(2026, 3, 26, 23),  # 27 March
        utc(2026, 3, 27, 23),  # 28 March
        utc(2026, 3, 28, 23),  # 29 March, 23 hours long; 30 March falls due after the last run
    ]
    assert set(DigestSend.objects.values_list("status", flat=True)) <= {
        SendStatus.SENT,
        SendStatus.EMPTY,
    }
    smtp.wait_for(DigestSend.objects.filter(status=SendStatus.SENT).count())
    subjects: dict[str, list[str]] = {}
    for message in smtp.messages:
        text = message.get_body(("plain",)).get_content()
        parts = sorted(f"Part {day}" for day in (27, 28, 29) if f"Part {day}" in text)
        subjects.setdefault(str(message["To"]), []).extend(parts)
    # Each day's episode reached each member exactly once, in the digest of their local day.
    assert sorted(subjects[paris.user.email]) == ["Part 27", "Part 28", "Part 29"]
    assert sorted(subjects[new_york.user.email]) == ["Part 27", "Part 28", "Part 29"]


@pytest.mark.django_db
def test_hourly_runs_across_the_autumn_dst_change_send_the_weekly_digest_once(
    smtp: SmtpInbox, site_a: Site, settings: Any
) -> None:
    settings.DIGESTS_SEND_HOUR = 7
    paris = _member(site_a, "Europe/Paris")
    _follow_episode([paris], utc(2026, 10, 21, 12), "Changeover")  # week of 19–26 October

    # Europe leaves summer time on Sunday 25 October; run every hour from Sunday to Tuesday.
    _hourly(Frequency.WEEKLY, utc(2026, 10, 25, 0), 72)

    [send] = DigestSend.objects.filter(person=paris)
    assert send.status == SendStatus.SENT
    assert send.period_start == utc(2026, 10, 18, 22)  # Monday 19 October, 00:00 CEST
    [message] = smtp.wait_for(1)
    assert "Changeover" in message.get_body(("plain",)).get_content()


@pytest.mark.django_db
def test_a_digest_missed_for_longer_than_the_catch_up_window_is_not_sent_late(
    smtp: SmtpInbox, site_a: Site, settings: Any
) -> None:
    settings.DIGESTS_SEND_HOUR = 7
    settings.DIGESTS_CATCH_UP_HOURS = 24
    paris = _member(site_a, "Europe/Paris")
    _follow_episode([paris], utc(2026, 11, 18, 12), "Torque checks")

    late = digest_run(as_of=utc(2026, 11, 24, 6, 5))  # Tuesday 07:05, a day after it was due
    on_time = digest_run(as_of=utc(2026, 11, 23, 20, 0))

    assert late.members_seen == 0
    assert on_time.sent == 1


@pytest.mark.django_db
def test_the_next_digest_is_due_on_the_members_next_local_monday_at_the_send_hour(
    site_a: Site, settings: Any
) -> None:
    from pollinate.digests.services import digest_next_at

    settings.DIGESTS_SEND_HOUR = 7
    tokyo = _member(site_a, "Asia/Tokyo")
    daily = _member(site_a, "Europe/Paris", Frequency.DAILY)
    never = _member(site_a, "Europe/Paris", Frequency.NEVER)
    wednesday = utc(2026, 11, 25, 12)

    assert digest_next_at(person=tokyo, now=wednesday) == datetime(2026, 11, 30, 7, tzinfo=TOKYO)
    assert digest_next_at(person=daily, now=wednesday) == datetime(2026, 11, 26, 7, tzinfo=PARIS)
    assert digest_next_at(person=never, now=wednesday) is None


@pytest.mark.django_db
def test_the_digest_page_says_when_the_next_digest_comes_in_my_time_zone(
    bob: Person, as_client: Any
) -> None:
    html = as_client(bob).get("/digests/").content.decode()

    assert "Your next digest: Monday" in html
    assert f"({bob.time_zone} time)" in html
