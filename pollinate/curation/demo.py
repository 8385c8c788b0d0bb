"""Demo collections: published series with episodes, commentary, local editions and followers."""

from __future__ import annotations

import random
from datetime import timedelta

from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from pollinate.curation.models import Collection, CollectionFollow, Episode, Item, ItemKind
from pollinate.people.demo import GeneratedOrg

THEMES = [
    ("Quick changeover, site by site", "SMED in practice: what worked on real lines."),
    ("Safety moments worth copying", "Short routines that cut near-misses."),
    ("First-time-right welding", "Seam quality from prep to inspection."),
    ("Lean daily management", "Boards, huddles and follow-up that stick."),
    ("Energy savings on the shop floor", "Compressed air, lighting and idle machines."),
    ("Onboarding new operators", "How sites get newcomers productive and safe."),
]
LINKS = [
    ("https://en.wikipedia.org/wiki/Single-minute_exchange_of_die", "SMED", "Wikipedia"),
    ("https://en.wikipedia.org/wiki/Poka-yoke", "Poka-yoke", "Wikipedia"),
    ("https://en.wikipedia.org/wiki/5S_(methodology)", "5S methodology", "Wikipedia"),
    ("https://en.wikipedia.org/wiki/Gemba", "Gemba walks", "Wikipedia"),
    ("https://en.wikipedia.org/wiki/Kaizen", "Kaizen", "Wikipedia"),
]
COMMENTARY = [
    "Read this before the next shift meeting; the second half is the useful part.",
    "Porto adapted this in two weeks; their notes are in the comments.",
    "Short and practical. Try step 3 first.",
    "A good counter-example: what not to do, and why.",
]


def _ids(app_label: str, model: str, limit: int, **filters: object) -> list[int]:
    try:
        model_class = apps.get_model(app_label, model)
    except LookupError:
        return []
    return list(model_class.objects.filter(**filters).values_list("pk", flat=True)[:limit])


def populate(*, org: GeneratedOrg, rng: random.Random) -> None:
    count = org.scale["collections"] or min(6, max(2, len(org.person_ids) // 50))
    editors = org.editor_ids or org.person_ids[:1]
    if not editors:
        return
    practice_ids = _ids("practices", "Practice", 300, status__in=("shared", "verified"))
    question_ids = _ids("questions", "Question", 300)
    targets = [(ItemKind.PRACTICE, "practices", "practice", practice_ids)]
    targets.append((ItemKind.QUESTION, "questions", "question", question_ids))
    content_types = {
        kind: ContentType.objects.get_by_natural_key(app, model)
        for kind, app, model, ids in targets
        if ids
    }
    items: list[Item] = []
    follows: list[CollectionFollow] = []
    for index in range(count):
        title, intro = THEMES[index % len(THEMES)]
        if index >= len(THEMES):
            title = f"{title} ({index // len(THEMES) + 1})"
        published = org.past(rng, days=120)
        collection = Collection.objects.create(
            title=title,
            introduction=intro,
            created_by_id=rng.choice(editors),
            publish_at=published if index < count - 1 else None,  # the last one stays a draft
            created_at=published - timedelta(days=3),
            updated_at=published,
        )
        collection.topics.set(rng.sample(org.leaf_topics or org.topics, k=min(2, len(org.topics))))
        for number in range(1, rng.randint(2, 4) + 1):
            when = published + timedelta(days=7 * (number - 1))
            episode = Episode.objects.create(
                collection=collection,
                number=number,
                title=f"Part {number}",
                introduction=rng.choice(COMMENTARY),
                publish_at=when,  # parts after "now" are scheduled, not yet announced
                announced_at=when if when <= org.now else None,
                created_at=when - timedelta(days=1),
            )
            for position in range(1, rng.randint(3, 5) + 1):
                kind, _app, _model, ids = rng.choice(targets)
                if ids and kind in content_types and rng.random() < 0.6:
                    items.append(
                        Item(
                            episode=episode,
                            position=position,
                            kind=kind,
                            target_type=content_types[kind],
                            target_id=rng.choice(ids),
                            commentary=rng.choice(COMMENTARY),
                            added_by_id=collection.created_by_id,
                        )
                    )
                else:
                    url, link_title, source = rng.choice(LINKS)
                    items.append(
                        Item(
                            episode=episode,
                            position=position,
                            kind=ItemKind.LINK,
                            url=url,
                            link_title=link_title,
                            link_source=source,
                            commentary=rng.choice(COMMENTARY),
                            added_by_id=collection.created_by_id,
                        )
                    )
            # A site lead's local edition item on some episodes.
            if org.site_lead_ids and rng.random() < 0.3:
                site_id, leads = rng.choice(sorted(org.site_lead_ids.items()))
                if leads:
                    items.append(
                        Item(
                            episode=episode,
                            position=99,
                            kind=ItemKind.LINK,
                            url="https://en.wikipedia.org/wiki/Standard_work",
                            link_title="How we run standard work here",
                            link_source="Local edition",
                            edition_site_id=site_id,
                            added_by_id=leads[0],
                        )
                    )
        if collection.publish_at is not None:
            for person_id in rng.sample(org.person_ids, k=min(len(org.person_ids), 40)):
                follows.append(CollectionFollow(person_id=person_id, collection=collection))
    if org.demo_member_id is not None and follows:
        follows.append(
            CollectionFollow(person_id=org.demo_member_id, collection_id=follows[0].collection_id)
        )
    Item.objects.bulk_create(items, batch_size=500)
    CollectionFollow.objects.bulk_create(follows, batch_size=500, ignore_conflicts=True)
