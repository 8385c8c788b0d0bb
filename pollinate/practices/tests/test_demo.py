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
