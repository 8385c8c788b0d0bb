"""``manage.py backup``: the database, the media and a manifest in one archive (see operations)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pollinate.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Writes a consistent backup (database snapshot, media, manifest) while the app runs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=Path(settings.VAR_DIR) / "backups",
            help="Directory for the archive (default: var/backups).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_create(output_dir=options["output"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        self.stdout.write(
            f"{len(manifest['row_counts'])} tables, {result.rows} rows, "
            f"{manifest['media']['files']} media files ({manifest['media']['bytes']} bytes)"
        )
        self.stdout.write(self.style.SUCCESS(str(result.path)))
