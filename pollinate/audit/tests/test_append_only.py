"""Audit records cannot be changed or deleted: not from Python, not with raw SQL."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from pollinate.audit.models import AuditAction, AuditRecord, AuditRecordImmutable
from pollinate.audit.services import audit_record
from pollinate.audit.triggers import FROZEN_COLUMNS, NULLABLE_LINKS, TABLE

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(bob) -> AuditRecord:
    written = audit_record(action=AuditAction.SIGNIN_SUCCEEDED, actor_person=bob)
    assert written is not None
    return written


def _raw(sql: str, params: list[object]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_model_refuses_to_save_an_existing_record_or_delete_one(record) -> None:
    record.action = AuditAction.SIGNOUT
    with pytest.raises(AuditRecordImmutable):
        record.save()
    with pytest.raises(AuditRecordImmutable):
        record.delete()
    with pytest.raises(AuditRecordImmutable):
        AuditRecord.objects.filter(pk=record.pk).update(action=AuditAction.SIGNOUT)
    with pytest.raises(AuditRecordImmutable):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.get(pk=record.pk).action == AuditAction.SIGNIN_SUCCEEDED


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "signout"),
        ("actor_label", "someone else"),
        ("ip_address", "192.0.2.1"),
        ("target_label", "x"),
        ("details", '{"forged": 1}'),
    ],
)
def test_the_database_refuses_a_raw_update(record, column: str, value: str) -> None:
    with pytest.raises(DatabaseError):
        _raw(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, record.pk])  # noqa: S608
    assert AuditRecord.objects.get(pk=record.pk).actor_label == record.actor_label


def test_the_database_refuses_to_point_a_record_at_another_person(record, charlie) -> None:
    with pytest.raises(DatabaseError):
        _raw(f"UPDATE {TABLE} SET actor_person_id = %s WHERE id = %s", [charlie.pk, record.pk])  # noqa: S608


def test_the_database_refuses_a_raw_delete(record) -> None:
    with pytest.raises(DatabaseError):
        _raw(f"DELETE FROM {TABLE} WHERE id = %s", [record.pk])  # noqa: S608
    with pytest.raises(DatabaseError):
        _raw(f"DELETE FROM {TABLE}", [])  # noqa: S608
    assert AuditRecord.objects.filter(pk=record.pk).exists()


def test_the_database_refuses_emptying_the_table_the_fast_way(record) -> None:
    # PostgreSQL's TRUNCATE skips row triggers, so it has a statement trigger of its own;
    # SQLite has no TRUNCATE, and its "truncate optimisation" is off when a delete trigger exists.
    statement = "TRUNCATE" if connection.vendor == "postgresql" else "DELETE FROM"
    with pytest.raises(DatabaseError):
        _raw(f"{statement} {TABLE}", [])
    assert AuditRecord.objects.filter(pk=record.pk).exists()


def test_deleting_the_person_keeps_the_record_and_who_it_was(record, bob) -> None:
    user = bob.user
    user.delete()  # cascades to the person: the links go empty, nothing else changes
    kept = AuditRecord.objects.get(pk=record.pk)
    assert kept.actor_person is None and kept.actor_user is None
    assert kept.actor_label == "Bob <bob@example.com>"
    assert kept.action == AuditAction.SIGNIN_SUCCEEDED and kept.site_id == record.site_id


def test_the_sqlite_update_trigger_compares_every_column_of_the_model() -> None:
    columns = {field.column for field in AuditRecord._meta.concrete_fields}
    assert columns == set(FROZEN_COLUMNS) | set(NULLABLE_LINKS)


def test_prune_removes_only_old_records_and_records_that_it_did(bob) -> None:
    old = audit_record(action=AuditAction.SIGNOUT, actor_person=bob)
    assert old is not None
    # Age the record the only way possible: drop the triggers, as a migration would.
    from pollinate.audit.triggers import triggers_create, triggers_drop

    with transaction.atomic():
        triggers_drop(connection)
        AuditRecord._base_manager.filter(pk=old.pk).update(
            created_at=timezone.now() - timedelta(days=400)
        )
        triggers_create(connection)
    recent = audit_record(action=AuditAction.SIGNOUT, actor_person=bob)
    assert recent is not None

    out = StringIO()
    call_command("audit_prune", "--older-than-days", "365", "--dry-run", stdout=out)
    assert "1 audit record(s)" in out.getvalue()
    assert AuditRecord.objects.filter(pk=old.pk).exists()

    call_command("audit_prune", "--older-than-days", "365", stdout=out)
    assert not AuditRecord.objects.filter(pk=old.pk).exists()
    assert AuditRecord.objects.filter(pk=recent.pk).exists()
    pruned = AuditRecord.objects.get(action=AuditAction.AUDIT_PRUNED)
    assert pruned.details["deleted"] == 1 and pruned.details["older_than_days"] == 365
    # The trigger is back: raw deletes are refused again.
    with pytest.raises(DatabaseError):
        _raw(f"DELETE FROM {TABLE} WHERE id = %s", [recent.pk])  # noqa: S608


def test_prune_refuses_a_nonsense_age(db) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("audit_prune", "--older-than-days", "0")


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_puts_the_triggers_back(bob) -> None:
    audit_record(action=AuditAction.SIGNOUT, actor_person=bob)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditRecord.objects.exists()
    written = audit_record(action=AuditAction.SIGNOUT)
    assert written is not None
    with pytest.raises(DatabaseError):
        _raw(f"DELETE FROM {TABLE} WHERE id = %s", [written.pk])  # noqa: S608
