"""Demo data: a past chat with its transcript and an upcoming one."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from pollinate.chats import demo
from pollinate.chats.models import Chat, ChatMessage, MessageKind
from pollinate.chats.selectors import chat_transcript
from pollinate.people.demo import org_generate


@pytest.mark.django_db
def test_demo_data_has_a_past_chat_with_a_transcript_and_an_upcoming_chat() -> None:
    org = org_generate(sites=3, members=40, seed=5, today=date(2026, 5, 1), populate=False)
    org.scale["chats"] = 4
    demo.populate(org=org, rng=org.rng_for("chats"))
    past = Chat.objects.filter(ends_at__lte=org.now)
    upcoming = Chat.objects.filter(starts_at__gt=org.now)
    assert past.count() == 2 and upcoming.count() == 2
    chat = past.first()
    assert chat is not None
    seqs = list(chat.messages.values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1)) and chat.last_seq == len(seqs)
    sections = chat_transcript(chat=chat)
    assert [s.prompt.number for s in sections if s.prompt] == [1, 2, 3]
    counts = [a.reaction_count for a in sections[0].answers]
    assert counts == sorted(counts, reverse=True)
    assert not ChatMessage.objects.filter(chat__in=upcoming).exists()
    assert all(c.starts_at > timezone.now() or c.starts_at > org.now for c in upcoming)
    assert ChatMessage.objects.filter(kind=MessageKind.PROMPT).count() == 6
