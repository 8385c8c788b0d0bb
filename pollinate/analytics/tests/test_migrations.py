"""Migration 0003 empties the rollups of an existing install, so the fold refolds the spine."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from pollinate.activity.models import Activity

BEFORE = ("analytics", "0002_fold_cursor_tallies_group_sizes_histograms")
REFOLD = ("analytics", "0003_refold_rollups_from_the_spine")


def _migrate(target: tuple[str, str]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()  # a fresh graph: the previous migrate changed the applied set
    executor.migrate([target])
    return executor


# Schema changes cannot run inside the test's transaction on SQLite.
@pytest.mark.django_db(transaction=True)
def test_the_refold_migration_empties_every_rollup_and_leaves_the_spine_alone(alice):
    executor = _migrate(BEFORE)
    old = executor.loader.project_state([BEFORE]).apps
    when = datetime(2026, 1, 5, 9, tzinfo=UTC)
    # Rows as the former per-activity subscriber left them, cursor at activity 7.
    old.get_model("analytics", "DailyCount").objects.create(
        day=date(2026, 1, 5), site_id=alice.site_id, kind="adopted", count=3
    )
    old.get_model("analytics", "Participant").objects.create(
        kind="adopted", site_id=alice.site_id, person_id=alice.pk
    )
    old.get_model("analytics", "Tally").objects.create(kind="adopted", site_id=-1, count=3)
    old.get_model("analytics", "GroupSize").objects.create(kind="adopted", site_id=-1, people=1)
    old.get_model("analytics", "PracticeFact").objects.create(practice_id=1, shared_at=when)
    old.get_model("analytics", "QuestionFact").objects.create(question_id=1, asked_at=when)
    old.get_model("analytics", "FoldCursor").objects.create(last_activity_id=7)
    spine = Activity.objects.create(
        actor=alice, site=alice.site, verb="reflection.written", object_type="r", object_id=1
    )

    executor = _migrate(REFOLD)

    new = executor.loader.project_state([REFOLD]).apps
    for name in ("DailyCount", "Participant", "Tally", "GroupSize", "PracticeFact"):
        assert not new.get_model("analytics", name).objects.exists(), name
    assert not new.get_model("analytics", "QuestionFact").objects.exists()
    assert not new.get_model("analytics", "FoldCursor").objects.exists()  # the fold starts at 0
    assert Activity.objects.filter(pk=spine.pk).exists()  # analytics never touches the spine
    _migrate(executor.loader.graph.leaf_nodes("analytics")[0])
