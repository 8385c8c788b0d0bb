"""Rules of the live room that hold whatever the transport: sequence, limits, reminders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from pollinate.chats import services
from pollinate.chats.models import Chat, ChatMessage
from pollinate.chats.tests.factories import ChatFactory
from pollinate.people.models import Person

pytestmark = pytest.mark.django_db


def test_sequence_numbers_are_gap_free_across_messages_prompts_and_notices(
    live_chat: Chat, alice: Person, charlie: Person
) -> None:
    services.message_post(actor=charlie, chat=live_chat, body="hello")
    services.prompt_release(actor=alice, chat=live_chat, number=1)
    services.chat_lock(actor=alice, chat=live_chat, locked=True)
    services.message_post(actor=alice, chat=live_chat, body="host still talks")
    seqs = list(ChatMessage.objects.filter(chat=live_chat).values_list("seq", flat=True))
    assert seqs == [1, 2, 3, 4]
    live_chat.refresh_from_db()
    assert live_chat.last_seq == 4


def test_a_refused_message_does_not_use_a_sequence_number(live_chat: Chat, charlie: Person) -> None:
    with pytest.raises(services.ChatError):
        services.message_post(actor=charlie, chat=live_chat, body="z" * 5000)
    message, _ = services.message_post(actor=charlie, chat=live_chat, body="ok")
    assert message.seq == 1


def test_the_per_person_rate_limit_refuses_a_burst(
    live_chat: Chat, charlie: Person, settings: Any
) -> None:
    settings.CHAT_RATE_LIMIT = 3
    for n in range(3):
        services.message_post(actor=charlie, chat=live_chat, body=f"m{n}")
    with pytest.raises(services.ChatError) as refused:
        services.message_post(actor=charlie, chat=live_chat, body="one too many")
    assert refused.value.code == "rate_limited"


def test_people_cannot_write_before_the_chat_opens_or_after_it_ends(
    alice: Person, charlie: Person
) -> None:
    later = ChatFactory(created_by=alice, starts_at=timezone.now() + timedelta(hours=2))
    with pytest.raises(services.ChatError) as early:
        services.message_post(actor=charlie, chat=later, body="hi")
    assert early.value.code == "not_started"
    start = timezone.now() - timedelta(hours=3)
    over = ChatFactory(created_by=alice, starts_at=start, ends_at=start + timedelta(hours=1))
    with pytest.raises(services.ChatError) as ended:
        services.message_post(actor=charlie, chat=over, body="hi")
    assert ended.value.code == "ended"


def test_releasing_a_prompt_twice_stores_it_once(live_chat: Chat, alice: Person) -> None:
    first = services.prompt_release(actor=alice, chat=live_chat, number=1)
    second = services.prompt_release(actor=alice, chat=live_chat, number=1)
    assert first.pk == second.pk


def test_a_reaction_toggles(live_chat: Chat, alice: Person, charlie: Person) -> None:
    message, _ = services.message_post(actor=charlie, chat=live_chat, body="idea")
    assert services.reaction_toggle(actor=alice, message=message, emoji="👍") == 1
    assert services.reaction_toggle(actor=alice, message=message, emoji="👍") == 0


def test_hosts_cannot_be_muted(live_chat: Chat, alice: Person, mod: Person) -> None:
    with pytest.raises(services.ChatError):
        services.participant_mute(actor=mod, chat=live_chat, person=alice)


def test_reminders_go_out_once_a_day_before_and_once_15_minutes_before(
    alice: Person, charlie: Person, smtp: Any, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    chat = ChatFactory(created_by=alice, title="Torque checks", starts_at=now + timedelta(hours=20))
    services.chat_rsvp(actor=charlie, chat=chat, rsvp="going")
    with django_capture_on_commit_callbacks(execute=True):
        first = services.chat_reminders_send(now=now)
        repeat = services.chat_reminders_send(now=now)
    assert (first, repeat) == (2, 0)  # Alice (host, going) and Charlie
    messages = smtp.wait_for(2)
    assert {m["To"] for m in messages} == {"alice@example.com", "charlie@example.com"}
    assert all("Torque checks" in m["Subject"] for m in messages)
    with django_capture_on_commit_callbacks(execute=True):
        soon = services.chat_reminders_send(now=chat.starts_at - timedelta(minutes=10))
    assert soon == 2


def test_no_day_reminder_goes_out_for_a_chat_starting_within_the_hour(
    alice: Person, charlie: Person, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    chat = ChatFactory(created_by=alice, starts_at=now + timedelta(minutes=40))
    services.chat_rsvp(actor=charlie, chat=chat, rsvp="going")
    with django_capture_on_commit_callbacks(execute=False):
        assert services.chat_reminders_send(now=now) == 0
        assert services.chat_reminders_send(now=now + timedelta(minutes=30)) == 2


@pytest.mark.django_db(transaction=True)
def test_reminders_are_scheduled_every_five_minutes_and_two_runs_send_each_once(
    alice: Person, charlie: Person, smtp: Any
) -> None:
    import pollinate.chats.tasks  # noqa: F401 -- the worker imports every app's tasks module
    from pollinate.core import tasks
    from pollinate.core.models import TaskRun, TaskStatus

    chat = ChatFactory(created_by=alice, starts_at=timezone.now() + timedelta(hours=20))
    services.chat_rsvp(actor=charlie, chat=chat, rsvp="going")
    huey = tasks.task_queue_build(immediate=True)
    previous = tasks.task_queue_use(huey)
    name = "periodic:pollinate.chats.tasks.chat_reminders_send"
    try:
        at = timezone.now().replace(minute=35, second=0, microsecond=0, tzinfo=None)
        due = {task.name: task for task in huey.read_periodic(at)}
        assert name in due
        assert name not in {task.name for task in huey.read_periodic(at.replace(minute=36))}
        huey.execute(due[name])
        huey.execute(due[name])
    finally:
        tasks.task_queue_use(previous)
    runs = TaskRun.objects.filter(path="pollinate.chats.tasks.chat_reminders_send")
    assert [run.status for run in runs] == [TaskStatus.SUCCEEDED, TaskStatus.SUCCEEDED]
    # Sent synchronously by the immediate queue: everything the two runs sent has arrived.
    assert sorted(m["To"] for m in smtp.messages) == ["alice@example.com", "charlie@example.com"]
