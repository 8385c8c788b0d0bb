"""Demo reflections for ``generate_org``: a mix of visibilities, mostly private as in real life."""

from __future__ import annotations

import random
from typing import Any

from pollinate.reflections.models import Reflection, ReflectionKind, Visibility


def populate(*, org: Any, rng: random.Random) -> None:
    from pollinate.people.models import Person

    people = list(
        Person.objects.filter(pk__in=list(org.person_ids)).values_list("pk", "site_id", "team")
    )
    count = int(org.scale.get("reflections", 100))
    rows = []
    for n in range(min(count, len(people) * 3)):
        pk, site_id, team = rng.choice(people)
        rows.append(
            Reflection(
                author_id=pk,
                site_id=site_id,
                team=team,
                kind=ReflectionKind.AFTER_ACTION,
                title=f"Changeover {n} ran late",
                planned="Changeover in 20 minutes.",
                happened="It took 50 minutes.",
                why="A tool was missing.",
                differently="Shadow board next to the machine.",
                visibility=rng.choice(list(Visibility.values)),
            )
        )
    Reflection.objects.bulk_create(rows, batch_size=2000)
