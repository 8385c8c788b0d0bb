"""The digest job against a real SMTP server: one digest per member and period, whatever happens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from pollinate.core.models import TaskRun, TaskStatus
from pollinate.core.tasks import task_enqueue
from pollinate.core.testing import SmtpInbox
from pollinate.curation.tests.factories import CollectionFollowFactory, EpisodeFactory
from pollinate.digests.models import DigestPreference, DigestSend, Frequency, SendStatus
from pollinate.digests.services import DigestDeliveryError, digest_run, period_bounds
from pollinate.people.models import Person, Site
from pollinate.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


class Crash(Exception):
    """Stands in for the worker being killed between two messages."""


def _last_week() -> tuple[str, Any]:
    start, _end = period_bounds(Frequency.WEEKLY)
    return start.isoformat(), start + timedelta(days=2)


def _members(site: Site, n: int) -> list[Person]:
    return [PersonFactory(site=site) for _ in range(n)]


def _follow_new_episode(people: list[Person], when: Any, title: str = "Lockout basics") -> None:
    episode = EpisodeFactory(title=title, publish_at=when, collection__publish_at=when)
    for person in people:
        CollectionFollowFactory(person=person, collection=episode.collection)


def test_each_member_gets_exactly_one_digest_whose_items_match_their_follows(
    smtp: SmtpInbox, site_a: Site, site_b: Site
) -> None:
    period, when = _last_week()
    lyon, porto, idle = _members(site_a, 3), _members(site_b, 2), _members(site_b, 2)
    _follow_new_episode(lyon, when, "Lockout basics")
    _follow_new_episode(porto, when, "Torque checks")

    report = digest_run(period_start=period)

    smtp.wait_for(5)
    assert report.sent == 5
    assert len(smtp.messages) == 5
    for person in lyon:
        [message] = smtp.to(person.user.email)
        text = message.get_body(("plain",)).get_content()
        assert "Lockout basics" in text
        assert "Torque checks" not in text
    for person in porto:
        [message] = smtp.to(person.user.email)
        assert "Torque checks" in message.get_body(("html",)).get_content()
    for person in idle:
        assert smtp.to(person.user.email) == []
        assert DigestSend.objects.get(person=person).status == SendStatus.EMPTY


def test_running_the_job_again_sends_nothing(smtp: SmtpInbox, site_a: Site) -> None:
    period, when = _last_week()
    _follow_new_episode(_members(site_a, 4), when)
    digest_run(period_start=period)
    smtp.wait_for(4)

    again = digest_run(period_start=period)

    assert again.sent == 0
    assert again.members_seen == 0  # settled digests are left out by the query itself
    assert len(smtp.messages) == 4


def test_a_run_killed_halfway_is_completed_by_the_next_with_no_duplicates(
    smtp: SmtpInbox, site_a: Site, settings: Any
) -> None:
    period, when = _last_week()
    people = _members(site_a, 10)
    _follow_new_episode(people, when)

    def die_after_four(sent: int) -> None:
        if sent >= 4:  # answers are recorded a batch at a time
            raise Crash

    with pytest.raises(Crash):
        digest_run(period_start=period, chunk_size=6, after_send=die_after_four)
    sent_before = DigestSend.objects.filter(status=SendStatus.SENT).count()
    left_claimed = DigestSend.objects.filter(status=SendStatus.CLAIMED).count()
    assert sent_before >= 4
    assert sent_before + left_claimed == 6  # the first chunk was claimed, the second never was
    assert len(smtp.wait_for(sent_before)) == sent_before  # nothing accepted is left unrecorded

    # While the dead run's claims are within their lease, a restart leaves them alone…
    early = digest_run(period_start=period, chunk_size=6)
    assert early.sent == 4
    # …and once the lease is over, it takes them over.
    settings.DIGESTS_CLAIM_LEASE_SECONDS = 0
    late = digest_run(period_start=period, chunk_size=6)
    assert late.sent == left_claimed

    smtp.wait_for(10)
    recipients = sorted(str(m["To"]) for m in smtp.messages)
    assert recipients == sorted(p.user.email for p in people)
    assert DigestSend.objects.filter(status=SendStatus.SENT).count() == 10


def test_a_refusing_mail_server_leaves_a_visible_error_and_the_retry_delivers(
    smtp: SmtpInbox, site_a: Site
) -> None:
    period, when = _last_week()
    people = _members(site_a, 5)
    _follow_new_episode(people, when)
    smtp.fail_next = 2

    with pytest.raises(DigestDeliveryError):
        digest_run(period_start=period)

    failed = DigestSend.objects.filter(status=SendStatus.FAILED)
    assert failed.count() == 2
    assert all("451" in send.last_error for send in failed)
    smtp.wait_for(3)

    digest_run(period_start=period)
    smtp.wait_for(5)
    assert sorted(str(m["To"]) for m in smtp.messages) == sorted(p.user.email for p in people)


def test_the_digest_task_is_retried_with_the_error_shown_to_administrators(
    smtp: SmtpInbox, site_a: Site, django_capture_on_commit_callbacks: Any
) -> None:
    period, when = _last_week()
    _follow_new_episode(_members(site_a, 2), when)
    smtp.fail_next = 1

    with django_capture_on_commit_callbacks(execute=True):
        task_enqueue("pollinate.digests.tasks.digests_send", period_start=period)

    run = TaskRun.objects.get(path="pollinate.digests.tasks.digests_send")
    assert run.status == TaskStatus.RETRYING
    assert "refused" in run.last_error


def test_members_who_chose_daily_or_never_are_not_in_the_weekly_run(
    smtp: SmtpInbox, site_a: Site
) -> None:
    period, when = _last_week()
    weekly, daily, never = _members(site_a, 3)
    _follow_new_episode([weekly, daily, never], when)
    DigestPreference.objects.create(person=daily, frequency=Frequency.DAILY)
    DigestPreference.objects.create(person=never, frequency=Frequency.NEVER)

    report = digest_run(period_start=period)

    assert report.sent == 1
    smtp.wait_for(1)
    assert [str(m["To"]) for m in smtp.messages] == [weekly.user.email]


def test_daily_members_get_yesterdays_episodes_in_the_daily_run(
    smtp: SmtpInbox, site_a: Site
) -> None:
    start, _end = period_bounds(Frequency.DAILY)
    [daily] = _members(site_a, 1)
    DigestPreference.objects.create(person=daily, frequency=Frequency.DAILY)
    _follow_new_episode([daily], start + timedelta(hours=3), "Yesterday's part")

    digest_run(frequency=Frequency.DAILY, period_start=start.isoformat())

    [message] = smtp.wait_for(1)
    assert "Yesterday's part" in message.get_body(("plain",)).get_content()
    assert "daily" in str(message["Subject"])


def test_a_muted_section_is_left_out(smtp: SmtpInbox, site_a: Site) -> None:
    period, when = _last_week()
    [person] = _members(site_a, 1)
    _follow_new_episode([person], when)
    DigestPreference.objects.create(person=person, muted_kinds=["episodes"])

    report = digest_run(period_start=period)

    assert report.sent == 0
    assert report.empty == 1


def test_the_email_has_one_click_unsubscribe_headers_and_both_parts(
    smtp: SmtpInbox, site_a: Site
) -> None:
    period, when = _last_week()
    [person] = _members(site_a, 1)
    _follow_new_episode([person], when)

    digest_run(period_start=period)

    [message] = smtp.wait_for(1)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(message["List-Unsubscribe"]).strip().startswith("<http")
    assert "/digests/unsubscribe/" in message["List-Unsubscribe"]
    assert message.get_body(("plain",)) is not None
    assert "<html" in message.get_body(("html",)).get_content()
    assert str(person.pk) in message["Message-ID"]


def test_people_whose_account_is_deactivated_get_nothing(smtp: SmtpInbox, site_a: Site) -> None:
    period, when = _last_week()
    [person] = _members(site_a, 1)
    _follow_new_episode([person], when)
    person.user.is_active = False
    person.user.save()

    assert digest_run(period_start=period).sent == 0
    assert timezone.now()  # the run finished without touching the inactive member
    assert not DigestSend.objects.exists()


def test_practices_and_questions_follow_topics_sites_and_skills(
    smtp: SmtpInbox, site_a: Site, site_b: Site
) -> None:
    from pollinate.people.tests.factories import SkillFactory, TopicFactory
    from pollinate.practices.models import Follow
    from pollinate.practices.tests.factories import PracticeFactory
    from pollinate.questions.tests.factories import QuestionFactory

    _period, when = _last_week()
    welding, painting = TopicFactory(name="Welding"), TopicFactory(name="Painting")
    follower, expert, bystander = _members(site_a, 3)
    Follow.objects.create(person=follower, topic=welding)
    SkillFactory(person=expert, topic=painting, level=4)
    porto_author = PersonFactory(site=site_b)
    weld = PracticeFactory(title="Weld seam gauge", owner=porto_author, shared_at=when)
    weld.topics.add(welding)
    PracticeFactory(title="Old practice", owner=porto_author, shared_at=when - timedelta(days=30))
    question = QuestionFactory(title="Orange peel on doors?", author=porto_author)
    Question = type(question)
    Question.objects.filter(pk=question.pk).update(created_at=when)
    question.topics.add(painting)

    digest_run(period_start=_period)

    smtp.wait_for(2)
    [to_follower] = smtp.to(follower.user.email)
    follower_text = to_follower.get_body(("plain",)).get_content()
    assert "Weld seam gauge" in follower_text
    assert "Old practice" not in follower_text
    assert "Orange peel" not in follower_text
    [to_expert] = smtp.to(expert.user.email)
    expert_text = to_expert.get_body(("plain",)).get_content()
    assert "Orange peel on doors?" in expert_text
    assert "Weld seam gauge" not in expert_text
    assert smtp.to(bystander.user.email) == []


def test_upcoming_chats_respect_their_visibility(
    smtp: SmtpInbox, site_a: Site, site_b: Site
) -> None:
    from pollinate.chats.tests.factories import ChatFactory
    from pollinate.people.tests.factories import SkillFactory, TopicFactory

    period, _when = _last_week()
    topic = TopicFactory(name="Torque")
    lyon, porto = _members(site_a, 1)[0], _members(site_b, 1)[0]
    for person in (lyon, porto):
        SkillFactory(person=person, topic=topic)
    soon = timezone.now() + timedelta(days=2)
    host = PersonFactory(site=site_a)
    for title, visibility in (
        ("Open torque chat", "organisation"),
        ("Lyon-only torque chat", "site"),
        ("Invited torque chat", "private"),
    ):
        chat = ChatFactory(title=title, visibility=visibility, created_by=host, starts_at=soon)
        chat.topics.add(topic)

    digest_run(period_start=period)

    smtp.wait_for(3)
    lyon_text = smtp.to(lyon.user.email)[0].get_body(("plain",)).get_content()
    porto_text = smtp.to(porto.user.email)[0].get_body(("plain",)).get_content()
    assert "Open torque chat" in lyon_text
    assert "Open torque chat" in porto_text
    assert "Lyon-only torque chat" in lyon_text
    assert "Lyon-only torque chat" not in porto_text
    assert "Invited torque chat" not in lyon_text + porto_text


def test_administrators_see_failed_digests_with_the_servers_answer(
    smtp: SmtpInbox, site_a: Site, admin: Person
) -> None:
    from django.test import Client

    period, when = _last_week()
    _follow_new_episode(_members(site_a, 1), when)
    smtp.fail_next = 1
    with pytest.raises(DigestDeliveryError):
        digest_run(period_start=period)
    admin.user.is_staff = True
    admin.user.is_superuser = True
    admin.user.save()
    client = Client()
    client.force_login(admin.user)
    response = client.get("/admin/digests/digestsend/?status__exact=failed")
    assert response.status_code == 200
    send = DigestSend.objects.get(status=SendStatus.FAILED)
    detail = client.get(f"/admin/digests/digestsend/{send.pk}/change/")
    assert "451" in detail.content.decode()


def test_the_weekly_job_fans_out_into_shards_that_together_reach_everyone_once(
    smtp: SmtpInbox, site_a: Site, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _period, when = _last_week()
    people = _members(site_a, 7)
    _follow_new_episode(people, when)
    settings.DIGESTS_SHARDS = 3

    with django_capture_on_commit_callbacks(execute=True):
        task_enqueue(
            "pollinate.digests.tasks.digests_fan_out", frequency="weekly", period_start=_period
        )

    smtp.wait_for(7)
    assert sorted(str(m["To"]) for m in smtp.messages) == sorted(p.user.email for p in people)
    shard_runs = TaskRun.objects.filter(path="pollinate.digests.tasks.digests_send")
    assert shard_runs.count() == 3
    assert set(shard_runs.values_list("status", flat=True)) == {TaskStatus.SUCCEEDED}


def test_an_older_practice_adopted_by_other_sites_this_week_is_rising(
    smtp: SmtpInbox, site_a: Site, site_b: Site
) -> None:
    from pollinate.people.tests.factories import SiteFactory, TopicFactory
    from pollinate.practices.models import Follow
    from pollinate.practices.tests.factories import AdoptionFactory, PracticeFactory

    period, when = _last_week()
    topic = TopicFactory(name="Changeover")
    [follower] = _members(site_a, 1)
    Follow.objects.create(person=follower, topic=topic)
    old = PracticeFactory(
        title="Die cart", owner=PersonFactory(site=site_b), shared_at=when - timedelta(days=90)
    )
    old.topics.add(topic)
    for site in (site_a, SiteFactory()):
        AdoptionFactory(practice=old, site=site, created_at=when, updated_at=when)

    digest_run(period_start=period)

    smtp.wait_for(1)
    [message] = smtp.to(follower.user.email)
    text = message.get_body(("plain",)).get_content()
    assert "Die cart (rising: adopted at 2 sites this period)" in text
