"""Demo digest preferences: most members weekly, some daily, a few off or with muted sections."""

from __future__ import annotations

import random

from pollinate.digests.models import DigestKind, DigestPreference, Frequency
from pollinate.people.demo import GeneratedOrg


def populate(*, org: GeneratedOrg, rng: random.Random) -> None:
    prefs = []
    kinds = list(DigestKind.values)
    for person_id in org.person_ids:
        roll = rng.random()
        if roll < 0.75:
            continue  # no row: weekly, every section (the default)
        if roll < 0.9:
            frequency = Frequency.DAILY
        elif roll < 0.95:
            frequency = Frequency.WEEKLY
        else:
            frequency = Frequency.NEVER
        muted = rng.sample(kinds, k=rng.randint(0, 2))
        prefs.append(DigestPreference(person_id=person_id, frequency=frequency, muted_kinds=muted))
    DigestPreference.objects.bulk_create(prefs, batch_size=1000, ignore_conflicts=True)
