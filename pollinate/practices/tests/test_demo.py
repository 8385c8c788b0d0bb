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


@pytest.mark.django_db
def test_an_activities_target_tops_the_spine_up_with_reactions_on_real_practices() -> None:
    from pollinate.activity.models import Activity
    from pollinate.activity.selectors import activity_list_for_person

    scale = {"practices": 40, "adoptions": 30, "comments": 20, "interactions": 40}
    org = org_generate(sites=4, members=30, seed=5, populate=False, scale=scale)
    populate(org=org, rng=org.rng_for("practices"))
    demo_rows = Activity.objects.count()
    assert not Activity.objects.filter(verb="practice.reacted").exists()

    Practice.objects.all().delete()
    Activity.objects.filter(object_type="practices.practice").delete()  # people's stay
    org.scale["activities"] = demo_rows + 500
    populate(org=org, rng=org.rng_for("practices"))
    assert Activity.objects.count() == demo_rows + 500
    history = Activity.objects.filter(verb="practice.reacted")
    assert history.count() == 500
    practices = {p.pk: p for p in Practice.objects.all()}
    for row in history.select_related("actor"):
        practice = practices[row.object_id]
        assert row.object_type == "practices.practice"
        assert practice.status in {PracticeStatus.SHARED, PracticeStatus.VERIFIED}
        assert row.site_id == row.actor.site_id
        assert practice.created_at <= row.created_at <= org.now
        assert row.payload["title"] == practice.title
        assert row.payload["kind"] in {"helpful", "learned"}
    # Stored like a request's own rows: the person's activity page orders them with the rest.
    someone = history.first().actor
    listed = list(activity_list_for_person(person=someone))
    assert listed == sorted(listed, key=lambda a: (a.created_at, a.pk), reverse=True)
