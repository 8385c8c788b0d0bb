"""The batch fold behind a cursor, and the all-time rollups dashboards read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from pollinate.activity.models import Activity
from pollinate.analytics import metrics, rollups, selectors
from pollinate.analytics.models import (
    DailyCount,
    DurationBucket,
    FoldCursor,
    GroupSize,
    Participant,
    Tally,
    WeeklyCount,
)
from pollinate.analytics.tests.scenario import T0, build
from pollinate.core.models import TaskRun

pytestmark = pytest.mark.django_db


def _all_rollups() -> dict[str, Any]:
    return {
        "counts": sorted(
            DailyCount.objects.values_list(
                "day", "site_id", "other_site_id", "topic_id", "kind", "count"
            )
        ),
        "tallies": sorted(
            Tally.objects.values_list("kind", "site_id", "other_site_id", "topic_id", "count")
        ),
        "groups": sorted(
            GroupSize.objects.values_list("kind", "site_id", "other_site_id", "topic_id", "people")
        ),
        "durations": sorted(
            DurationBucket.objects.values_list(
                "kind", "site_id", "topic_id", "bucket", "count", "total_ms"
            )
        ),
        "weekly": sorted(
            WeeklyCount.objects.values_list("kind", "site_id", "topic_id", "week", "count")
        ),
        "participants": Participant.objects.count(),
    }


def test_rebuild_equals_the_folded_state_in_every_all_time_table(record, site_a, site_b):
    build(record, site_a, site_b)
    folded = _all_rollups()
    assert folded["tallies"] and folded["groups"] and folded["durations"] and folded["weekly"]
    rollups.rollups_rebuild()
    assert _all_rollups() == folded


def test_group_sizes_equal_the_distinct_people_behind_each_group(record, site_a, site_b):
    s = build(record, site_a, site_b)
    everyone = Participant.objects.filter(topic_id=0).values("person_id").distinct().count()
    assert selectors.people_in() == everyone
    lyon = Participant.objects.filter(topic_id=0, site_id=s.lyon.pk).values("person_id")
    assert selectors.people_in(site_id=s.lyon.pk) == lyon.distinct().count()
    welding = Participant.objects.filter(topic_id=s.topic.pk, site_id__gte=0).values("person_id")
    assert selectors.people_in(topic_id=s.topic.pk) == welding.distinct().count() > 0


def test_dashboard_medians_shares_and_gauges_come_out_exact_on_small_data(
    record, site_a, site_b, settings
):
    settings.PRIVACY_MIN_GROUP = 1
    build(record, site_a, site_b)
    figures = {f.label: f.value for f in selectors.org_dashboard().figures}
    assert figures["Median hours to first answer"] == 6.0  # first answers after 2 h and 10 h
    assert figures["Questions answered"] == 66.7  # two of three
    assert figures["Questions first answered from another site"] == 50.0
    # Porto adopted p1 48 h after it was shared; Lyon adapted p2 after 24 h: median 36 h.
    assert figures["Median days to first adoption at another site"] == 1.5
    assert figures["Adoptions with a positive outcome"] == 66.7  # Porto and Lyon, not HQ
    topics = selectors.org_dashboard().tables["responsiveness_topics"]
    assert topics.rows[0][1:6] == [1, 100.0, 2.0, 2.0, 100.0]


def test_a_positive_outcome_that_turns_negative_leaves_the_share(record, site_a, site_b, settings):
    settings.PRIVACY_MIN_GROUP = 1
    s = build(record, site_a, site_b)
    p1 = Activity.objects.filter(verb="practice.adopted", site=s.porto).first()
    assert p1 is not None
    record(
        "practice.adopted",
        actor=s.porto_people[2],
        object_type="practices.practice",
        object_id=p1.object_id,
        when=T0 + timedelta(hours=200),
        payload={"practice_site": s.lyon.pk, "positive": False},
    )
    figures = {f.label: f.value for f in selectors.org_dashboard().figures}
    assert figures["Adoptions with a positive outcome"] == 33.3
    positive = Tally.objects.filter(kind=rollups.ADOPTED_POSITIVE, site_id=-1, other_site_id=-1)
    assert positive.get().count == 1
    folded = _all_rollups()
    rollups.rollups_rebuild()
    assert _all_rollups() == folded  # the gauge that fell to zero left no row on either path


def test_the_fold_resumes_after_its_cursor_and_never_folds_twice(record, site_a, site_b):
    build(record, site_a, site_b)
    before = _all_rollups()
    cursor = FoldCursor.objects.get(pk=1)
    assert cursor.last_activity_id == Activity.objects.latest("id").pk
    assert rollups.rollups_fold() == 0
    assert _all_rollups() == before
    # An activity the subscriber never saw (a lost task) is folded by the next run.
    Activity.objects.create(
        verb="reflection.written",
        object_type="reflections.reflection",
        object_id=1,
        site=site_a,
        created_at=T0,
    )
    assert rollups.rollups_fold() == 1
    assert Tally.objects.get(kind="reflected", site_id=site_a.pk, other_site_id=-1).count == 1


def test_the_fold_goes_batch_by_batch(record, site_a, site_b):
    build(record, site_a, site_b)
    expected = _all_rollups()
    rollups.rollups_rebuild()
    FoldCursor.objects.update(last_activity_id=0)
    for model in (DailyCount, Participant, Tally, GroupSize, DurationBucket, WeeklyCount):
        model.objects.all().delete()
    for model in rollups._STATE_MODELS.values():
        model.objects.all().delete()
    assert rollups.rollups_fold(batch_size=3) == 14
    assert _all_rollups() == expected


def test_a_write_enqueues_at_most_one_delayed_fold_per_delay(record, alice, settings, monkeypatch):
    settings.ANALYTICS_FOLD_DELAY = 60
    # Through monkeypatch: the process's last enqueue time must not outlive this test.
    monkeypatch.setattr(rollups, "_last_enqueued", [float("-inf")])
    for n in range(3):
        record(
            "reflection.written",
            actor=alice,
            object_type="reflections.reflection",
            object_id=n,
            when=T0,
        )
    runs = TaskRun.objects.filter(path="pollinate.analytics.tasks.rollups_fold")
    assert runs.count() == 1
    assert not Tally.objects.exists()  # the fold waits for the delay (a worker runs it)
    assert rollups.rollups_fold() == 3


def test_the_page_says_when_the_figures_were_updated(
    record, site_a, site_b, bob, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 2
    build(record, site_a, site_b)
    body = as_client(bob).get(reverse("analytics:org")).content.decode()
    assert "ago: new activity reaches these figures within seconds" in body


@given(st.integers(0, 10**12), st.integers(0, 10**12))
def test_duration_buckets_keep_the_order_of_durations(a, b):
    if a <= b:
        assert metrics.duration_bucket(a) <= metrics.duration_bucket(b)


def test_reflections_grouped_by_the_database_equal_their_replay(record, site_a, site_b, crowd):
    s = build(record, site_a, site_b)
    people = [*s.lyon_people[:3], *s.porto_people[:2]]
    for n, person in enumerate(people * 2):
        # Late in the UTC day, so a local-time grouping would put some on the wrong day.
        when = T0.replace(hour=23, minute=30) + timedelta(days=n % 3)
        record(
            "reflection.written",
            actor=person,
            object_type="reflections.reflection",
            object_id=n,
            when=when,
        )
    folded = _all_rollups()
    assert Tally.objects.get(kind="reflected", site_id=-1, other_site_id=-1, topic_id=0).count == 10
    assert rollups.rollups_rebuild() == 24
    assert _all_rollups() == folded


def test_a_fold_that_changed_something_refreshes_the_cached_organisation_dashboard(
    record, site_a, site_b, settings
):
    from django.core.cache import cache

    from pollinate.analytics.tasks import rollups_fold

    settings.PRIVACY_MIN_GROUP = 1
    build(record, site_a, site_b)
    settings.ANALYTICS_CACHE_SECONDS = 300
    key = selectors.dashboard_cache_key("org")
    with translation.override("fr"):
        french_key = selectors.dashboard_cache_key("org")
    cache.delete_many([key, french_key])
    rollups_fold()
    assert cache.get(key) is None  # nothing new was folded: nothing recomputed
    Activity.objects.create(
        verb="practice.shared",
        object_type="practices.practice",
        object_id=424242,
        site=site_a,
        created_at=T0,
        payload={"practice_site": site_a.pk},
    )
    rollups_fold()
    figures = {f.label: f.value for f in cache.get(key).figures}
    assert figures["Practices shared"] == 4
    # Refreshed in every language, each labelled in its own.
    french = {f.label: f.value for f in cache.get(french_key).figures}
    assert french["Pratiques partagées"] == 4


def _cells(durations_ms: list[int]) -> list[metrics.Cell]:
    cells: dict[int, list[int]] = {}
    for ms in durations_ms:
        cell = cells.setdefault(metrics.duration_bucket(ms), [0, 0])
        cell[0] += 1
        cell[1] += ms
    return [(bucket, n, total) for bucket, (n, total) in cells.items()]


@given(st.lists(st.integers(0, 10**10), min_size=1, max_size=40), st.floats(0, 1))
def test_histogram_quantiles_stay_within_the_data_buckets_and_are_exact_for_one_value_each(
    durations, q
):
    hours = [ms / 3_600_000 for ms in durations]
    got = metrics.histogram_quantile(_cells(durations), q)
    assert got is not None
    # Equal values sharing a bucket are spread around their mean, never past their bucket.
    low = metrics.bucket_bounds(metrics.duration_bucket(min(durations)))[0] / 3_600_000
    high = metrics.bucket_bounds(metrics.duration_bucket(max(durations)))[1] / 3_600_000
    assert low - 1e-9 <= got <= high + 1e-9
    buckets = [metrics.duration_bucket(ms) for ms in durations]
    if len(set(buckets)) == len(buckets):
        assert got == pytest.approx(float(np.quantile(hours, q)), rel=1e-9, abs=1e-9)


def test_histogram_medians_and_p90_of_a_realistic_spread_are_within_two_percent():
    rng = np.random.default_rng(8)
    durations = [int(x) for x in rng.exponential(20 * 3_600_000, size=20_000)]
    hours = [ms / 3_600_000 for ms in durations]
    for q in (0.5, 0.9):
        got = metrics.histogram_quantile(_cells(durations), q)
        assert got == pytest.approx(float(np.quantile(hours, q)), rel=0.02)
