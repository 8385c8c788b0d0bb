"""The demo organisation comes with dashboards already filled from its spine."""

from __future__ import annotations

import pytest

from pollinate.activity.models import Activity
from pollinate.analytics.models import DailyCount, Kind, PracticeFact
from pollinate.people.demo import org_generate

pytestmark = pytest.mark.django_db


def test_generated_demo_data_is_folded_into_the_rollups() -> None:
    org_generate(sites=4, members=80, seed=3)
    shared = Activity.objects.filter(verb="practice.shared").values("object_id").distinct().count()
    assert shared > 0
    assert PracticeFact.objects.filter(shared_at__isnull=False).count() == shared
    counted = DailyCount.objects.filter(kind=Kind.PRACTICE_SHARED, topic_id=0)
    assert sum(counted.values_list("count", flat=True)) == shared
