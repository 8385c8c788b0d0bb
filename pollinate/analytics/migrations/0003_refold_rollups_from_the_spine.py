"""Empties the rollups so the fold rebuilds them from the spine with the new all-time tables.

Before this, rollups were kept by a subscriber and no cursor existed: leaving the old rows with the
cursor at 0 would count every activity twice. Run ``manage.py analytics_rebuild`` afterwards to
catch up at once instead of batch by batch.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

ROLLUPS = (
    "DailyCount",
    "Participant",
    "PracticeFact",
    "AdoptionFact",
    "QuestionFact",
    "RequestFact",
    "Tally",
    "GroupSize",
    "DurationBucket",
    "WeeklyCount",
    "FoldCursor",
)


def empty_rollups(apps: Any, schema_editor: Any) -> None:
    for name in ROLLUPS:
        apps.get_model("analytics", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0002_fold_cursor_tallies_group_sizes_histograms")]

    operations = [migrations.RunPython(empty_rollups, migrations.RunPython.noop)]
