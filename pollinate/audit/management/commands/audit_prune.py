"""Removes audit records older than a number of days: the only way records ever leave the log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from pollinate.audit.models import AuditAction, AuditRecord
from pollinate.audit.services import audit_record
from pollinate.audit.triggers import TABLE, delete_trigger_create, delete_trigger_drop


class Command(BaseCommand):
    help = "Deletes audit records older than --older-than-days days, and records that it did."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than-days", type=int, required=True)
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than_days"]
        if days < 1:
            raise CommandError("--older-than-days must be 1 or more.")
        cutoff = timezone.now() - timedelta(days=days)
        if options["dry_run"]:
            count = AuditRecord.objects.filter(created_at__lt=cutoff).count()
            self.stdout.write(f"{count} audit record(s) older than {days} days would be deleted.")
            return
        with transaction.atomic():
            # The delete trigger is dropped and put back inside this one transaction: no other
            # connection ever sees the table without it (PostgreSQL holds the table's lock until
            # commit; SQLite has one writer at a time).
            delete_trigger_drop(connection)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {TABLE} WHERE created_at < %s",  # noqa: S608 -- a constant name
                    [connection.ops.adapt_datetimefield_value(cutoff)],
                )
                count = cursor.rowcount
            delete_trigger_create(connection)
            audit_record(
                action=AuditAction.AUDIT_PRUNED,
                label="manage.py audit_prune",
                details={"older_than_days": days, "cutoff": cutoff.isoformat(), "deleted": count},
            )
        self.stdout.write(f"Deleted {count} audit record(s) older than {days} days.")
