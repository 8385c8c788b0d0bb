"""Acceptance: the digest job for a generated organisation, against a real SMTP server."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from pollinate.core.testing import SmtpInbox
from pollinate.curation.models import CollectionFollow, Episode
from pollinate.digests.models import DigestSend, Frequency, SendStatus
from pollinate.digests.services import digest_run, period_bounds
from pollinate.people.demo import org_generate
from pollinate.people.models import Person

pytestmark = pytest.mark.django_db


class Killed(Exception):
    pass


def test_a_generated_organisation_gets_one_digest_each_matching_follows_even_after_a_kill(
    smtp: SmtpInbox, settings: Any
) -> None:
    start, end = period_bounds(Frequency.WEEKLY)
    org_generate(sites=3, members=40, seed=11, today=end.date())
    due = Person.objects.count()
    period = start.isoformat()  # each member's own local week starting that Monday

    def kill_after_ten(sent: int) -> None:
        if sent >= 10:  # answers are recorded a batch at a time
            raise Killed

    with pytest.raises(Killed):
        digest_run(period_start=period, chunk_size=15, after_send=kill_after_ten)
    settings.DIGESTS_CLAIM_LEASE_SECONDS = 0  # the killed run's lease is over
    digest_run(period_start=period, chunk_size=15)
    rerun = digest_run(period_start=period, chunk_size=15)

    sent = DigestSend.objects.filter(status=SendStatus.SENT)
    assert rerun.sent == 0
    assert sent.count() > 0
    smtp.wait_for(sent.count())
    recipients = Counter(str(m["To"]) for m in smtp.messages)
    assert max(recipients.values()) == 1  # nobody got two
    assert len(recipients) == sent.count()
    assert DigestSend.objects.filter(status=SendStatus.CLAIMED).count() == 0
    assert sent.count() + DigestSend.objects.filter(status=SendStatus.EMPTY).count() <= due

    # Every episode named in a digest belongs to a collection its recipient follows.
    new_episodes = Episode.objects.filter(publish_at__gte=start, publish_at__lt=end)
    for message in smtp.messages:
        person = Person.objects.get(user__email=str(message["To"]))
        followed = set(
            CollectionFollow.objects.filter(person=person).values_list("collection_id", flat=True)
        )
        text = message.get_body(("plain",)).get_content()
        for episode in new_episodes.select_related("collection"):
            label = f"{episode.collection.title}: {episode.title}"
            if label in text:
                assert episode.collection_id in followed
