"""Demo live chats for ``generate_org``: past chats with full transcripts and upcoming ones."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from pollinate.chats.models import (
    Chat,
    ChatMessage,
    ChatParticipant,
    ChatPrompt,
    ChatReaction,
    ChatVisibility,
    MessageKind,
    Rsvp,
)

TITLES = [
    (
        "Changeovers under ten minutes",
        [
            "What is the first thing you prepare?",
            "What still slows you down?",
            "Which trick would you teach a new starter?",
        ],
    ),
    (
        "Safety walks that people like",
        [
            "How do you start a walk?",
            "What do you do with what you find?",
            "How do you close the loop?",
        ],
    ),
    (
        "Shift handovers without surprises",
        [
            "What goes on your handover board?",
            "What got lost last time?",
            "How long does yours take?",
        ],
    ),
    (
        "Less scrap at the end of a run",
        [
            "Where does your scrap come from?",
            "What did you measure first?",
            "What worked, what did not?",
        ],
    ),
]
ANSWERS = [
    "We pre-stage everything on a cart the shift before.",
    "A shadow board next to the machine: nothing goes missing now.",
    "We film the best operator once and use it for training.",
    "Two people on the changeover, each with their own checklist.",
    "Honestly, the paperwork. We moved it to a tablet.",
    "We time every changeover and post the best of the week.",
    "Quick-release clamps cut us from 40 to 15 minutes.",
    "We ask the night shift what went wrong before they leave.",
    "Colour codes on every tool and its place.",
    "A five-minute huddle at the machine, standing, no slides.",
]


def populate(*, org: Any, rng: random.Random) -> None:
    people = list(org.person_ids)
    if len(people) < 3:
        return
    from pollinate.people.models import Person

    sites = dict(Person.objects.filter(pk__in=people).values_list("pk", "site_id"))
    total = max(2, int(org.scale.get("chats", 3)))
    hosts_pool = list(getattr(org, "editor_ids", []) or []) or people
    topics = list(getattr(org, "leaf_topics", []) or org.topics)
    for n in range(total):
        past = n % 2 == 0
        title, prompts = TITLES[n % len(TITLES)]
        host_id = rng.choice(hosts_pool)
        if past:
            starts = org.now - timedelta(days=rng.randint(3, 120), hours=rng.randint(0, 8))
        else:
            starts = org.now + timedelta(days=rng.randint(1, 21), hours=rng.randint(0, 8))
        starts = starts.replace(minute=0, second=0, microsecond=0)
        chat = Chat.objects.create(
            title=title if n < len(TITLES) else f"{title} ({n // len(TITLES) + 1})",
            description="Bring one example from your site; short answers are fine.",
            created_by_id=host_id,
            site_id=sites[host_id],
            visibility=ChatVisibility.ORGANISATION,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            language="en",
        )
        chat.hosts.add(host_id)
        if topics:
            chat.topics.set(rng.sample(topics, k=min(2, len(topics))))
        prompt_rows = ChatPrompt.objects.bulk_create(
            [
                ChatPrompt(
                    chat=chat,
                    number=i + 1,
                    body=body,
                    released_at=starts + timedelta(minutes=5 + 15 * i) if past else None,
                )
                for i, body in enumerate(prompts)
            ]
        )
        guests = rng.sample(people, k=min(len(people), rng.randint(8, 30)))
        member = getattr(org, "demo_member_id", None)
        if member is not None and member not in guests:
            guests.append(member)
        ChatParticipant.objects.bulk_create(
            [
                ChatParticipant(
                    chat=chat,
                    person_id=pid,
                    is_invited=pid == host_id,
                    rsvp=Rsvp.GOING if pid == host_id else rng.choice([Rsvp.GOING, Rsvp.MAYBE]),
                )
                for pid in {host_id, *guests}
            ]
        )
        if past:
            _transcript(chat=chat, prompts=prompt_rows, host_id=host_id, guests=guests, rng=rng)


def _transcript(
    *, chat: Chat, prompts: list[ChatPrompt], host_id: int, guests: list[int], rng: random.Random
) -> None:
    messages: list[ChatMessage] = []
    seq = 0
    for prompt in prompts:
        assert prompt.released_at is not None
        seq += 1
        messages.append(
            ChatMessage(
                chat=chat,
                seq=seq,
                kind=MessageKind.PROMPT,
                author_id=host_id,
                prompt=prompt,
                body=prompt.body,
                client_id=f"prompt-{prompt.number}",
                created_at=prompt.released_at,
            )
        )
        for k, guest in enumerate(rng.sample(guests, k=min(len(guests), rng.randint(3, 8)))):
            seq += 1
            messages.append(
                ChatMessage(
                    chat=chat,
                    seq=seq,
                    author_id=guest,
                    prompt=prompt,
                    body=rng.choice(ANSWERS),
                    created_at=prompt.released_at + timedelta(minutes=1 + k),
                )
            )
    ChatMessage.objects.bulk_create(messages)
    stored = list(ChatMessage.objects.filter(chat=chat, kind=MessageKind.MESSAGE))
    reactions = []
    for message in stored:
        fans = rng.sample(guests, k=rng.randint(0, min(6, len(guests))))
        reactions += [ChatReaction(message=message, person_id=p, emoji="👍") for p in fans]
        message.reaction_count = len(fans)
    ChatReaction.objects.bulk_create(reactions, ignore_conflicts=True)
    ChatMessage.objects.bulk_update(stored, ["reaction_count"])
    Chat.objects.filter(pk=chat.pk).update(last_seq=seq)
