"""``manage.py restore ARCHIVE``: checks a backup, then restores it (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pollinate.core.backup import BackupError, backup_restore, backup_verify


class Command(BaseCommand):
    help = (
        "Restores the database and media from a backup archive after checking every checksum. "
        "Stop the app and the worker first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--yes", action="store_true", help="Replace a database that already holds data."
        )
        parser.add_argument(
            "--check", action="store_true", help="Only verify the archive; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        archive: Path = options["archive"]
        try:
            if options["check"]:
                manifest = backup_verify(archive)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{archive}: {len(manifest['members'])} members match the manifest "
                        f"(made {manifest['created_at']}, {manifest['database']['vendor']})."
                    )
                )
                return
            result = backup_restore(archive_path=archive, overwrite=options["yes"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        self.stdout.write(
            f"Restored the backup made {manifest['created_at']} by Pollinate "
            f"{manifest['pollinate_version']}: {result.tables} tables, {result.rows} rows "
            f"(matching the manifest), {result.media_files} media files."
        )
        if result.pending_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(result.pending_migrations)} newer migrations to apply: "
                    "run `manage.py migrate` before starting the app."
                )
            )
        self.stdout.write(self.style.SUCCESS("Restore complete."))
