from __future__ import annotations

import pytest
from django.db.models import F

from pollinate.core.search import search_ids
from pollinate.people.demo import org_generate
from pollinate.practices.demo import populate
from pollinate.practices.models import Adoption, Comment, Practice, PracticeStatus, Reaction


@pytest.mark.django_db
def test_demo_practices_spread_unevenly_and_stay_consistent() -> None:
    org = org_generate(
        sites=12,
        members=120,
        seed=7,
        populate=False,
        scale={"practices": 150, "adoptions": 200, "comments": 100, "interactions": 200},
    )
    populate(org=org, rng=org.rng_for("practices"))
    originals = Practice.objects.filter(adapted_from=None)
    assert originals.count() == 150
    assert Practice.objects.filter(adapted_from__isnull=False).count() > 0
    spread = sorted(originals.values_list("adoption_count", flat=True), reverse=True)
    # A few travel far, most stay home.
    assert spread[0] >= 5
    assert sum(1 for n in spread if n == 0) > len(spread) / 2
    assert not Adoption.objects.filter(site_id=F("practice__site_id")).exists()
    assert Practice.objects.filter(status=PracticeStatus.VERIFIED).exists()
    for practice in Practice.objects.filter(status=PracticeStatus.VERIFIED)[:20]:
        positive = practice.adoptions.filter(
            status__in=["adopted", "adapted"], outcome_positive=True
        ).count()
        assert positive >= 2
    assert Comment.objects.count() == 100
    assert Reaction.objects.exists()
    assert len({p.language for p in Practice.objects.all()}) > 1
    title = Practice.objects.filter(status=PracticeStatus.SHARED).first()
    assert title is not None
    assert title.pk in {i for i, _s in search_ids("practice", title.title, limit=1000)}


@pytest.mark.django_db
def test_demo_activity_dates_are_stored_like_any_other_date() -> None:
    org = org_generate(
        sites=3, members=20, seed=3, populate=False, scale={"practices": 20, "adoptions": 30}
    )
    populate(org=org, rng=org.rng_for("practices"))
    latest = Practice.objects.order_by("-last_activity_at").first()
    assert latest is not None
    assert latest.last_activity_at == max(p.last_activity_at for p in Practice.objects.all())
    assert latest.last_activity_at.tzinfo is not None


@pytest.mark.django_db
def test_each_demo_practice_is_written_in_one_language() -> None:
    from pollinate.practices.demo import ADAPTED, AREAS, COMMENTS, TEXTS

    org = org_generate(
        sites=12,
        members=120,
        seed=11,
        populate=False,
        scale={"practices": 120, "adoptions": 200, "comments": 120, "interactions": 50},
    )
    populate(org=org, rng=org.rng_for("practices"))
    foreign_areas = {
        language: [a for other, areas in AREAS.items() if other != language for a in areas]
        for language in AREAS
    }
    for practice in Practice.objects.all():
        assert practice.language in TEXTS
        own = [area for area in AREAS[practice.language] if area in practice.title]
        assert own, practice.title
        text = f"{practice.title} {practice.problem}"
        # No other language's work area slipped in (longest own match aside).
        strays = [a for a in foreign_areas[practice.language] if a in text and a not in own[0]]
        assert not strays, (practice.language, practice.title)
        if practice.adapted_from_id:
            assert practice.adaptation_note == ADAPTED[practice.language]
    in_practice_language = sum(
        comment.body in COMMENTS[comment.practice.language]
        for comment in Comment.objects.select_related("practice")
    )
    assert in_practice_language > Comment.objects.count() * 0.7
