"""Database triggers that refuse UPDATE and DELETE on audit records (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from pollinate.audit.triggers import triggers_create, triggers_drop


def create(apps: Any, schema_editor: Any) -> None:
    triggers_create(schema_editor.connection)


def drop(apps: Any, schema_editor: Any) -> None:
    triggers_drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_record")]

    operations = [migrations.RunPython(create, drop)]
