"""Backups that restore: the archive, its manifest, the refusals, and a restore drill.

The drill backs up this test database (SQLite, or PostgreSQL in the CI's second run), restores the
archive with ``manage.py restore`` in a separate process into a fresh empty database, and checks
that the rows, a person, a practice with its revision history, an uploaded image and signed-in
pages come back the same.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import sqlite3
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from PIL import Image

from pollinate.core import backup
from pollinate.core.backup import BackupError, backup_create, backup_restore, backup_verify
from pollinate.core.tests.drill import (
    drill,
    instance_env,
    manage,
    pages_render,
    scratch_database,
)
from pollinate.people.models import Person
from pollinate.practices.models import Practice, PracticeRevision
from pollinate.practices.services import practice_create, practice_update

pytestmark = pytest.mark.django_db(transaction=True)


def _png(name: str = "line.png") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    out = io.BytesIO()
    Image.new("RGB", (48, 32), (200, 120, 40)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def _practice_with_history(author: Person) -> Practice:
    practice = practice_create(
        actor=author,
        title="Quick die change on press 4",
        problem="Changeovers took 50 minutes.",
        steps="1. Pre-stage the dies\n2. Use the cart",
        images=[_png()],
    )
    return practice_update(
        actor=author,
        practice=practice,
        data={"steps": "1. Pre-stage the dies\n2. Use the cart\n3. Check the clamps"},
        base_version=practice.version,
        summary="Added the clamp check",
    )


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as opened:
        return {
            info.name: opened.extractfile(info).read()  # type: ignore[union-attr]
            for info in opened.getmembers()
        }


def _rewrite(archive: Path, target: Path, change: Any) -> Path:
    """Copies ``archive`` to ``target`` with ``change(members)`` applied to the member bytes."""
    members = _members(archive)
    change(members)
    with tarfile.open(target, "w") as out:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            out.addfile(info, io.BytesIO(body))
    return target


def test_a_backup_holds_the_database_media_and_a_manifest_describing_them(
    alice: Person, bob: Person, tmp_path: Path, settings: Any
) -> None:
    practice = _practice_with_history(alice)
    image_name = practice.images.get().image.name
    result = backup_create(output_dir=tmp_path / "backups")

    assert result.path.parent == tmp_path / "backups"
    assert result.path.name.startswith("pollinate-backup-") and result.path.suffix == ".tar"
    assert result.path.stat().st_mode & 0o077 == 0  # personal data: readable by the owner only
    members = _members(result.path)
    manifest = json.loads(members["manifest.json"])
    assert manifest == result.manifest
    assert manifest["format"] == backup.FORMAT_VERSION
    assert manifest["pollinate_version"] == "0.1.0"
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["row_counts"]["people_person"] == Person.objects.count() == 2
    assert manifest["row_counts"]["practices_practicerevision"] == 2
    applied = MigrationRecorder(connection).applied_migrations()
    assert sorted(("practices", n) for n in manifest["migrations"]["practices"]) == sorted(
        key for key in applied if key[0] == "practices"
    )
    listed = {entry["name"]: entry for entry in manifest["members"]}
    assert set(listed) == set(members) - {"manifest.json"}
    for name, entry in listed.items():
        assert entry["size"] == len(members[name])
        assert entry["sha256"] == hashlib.sha256(members[name]).hexdigest()
    image_bytes = (Path(settings.MEDIA_ROOT) / image_name).read_bytes()
    assert members[f"media/{image_name}"] == image_bytes
    assert manifest["media"] == {"files": 1, "bytes": len(image_bytes)}


def test_the_sqlite_snapshot_is_a_complete_database_on_its_own(
    alice: Person, tmp_path: Path
) -> None:
    if connection.vendor != "sqlite":
        # On PostgreSQL the member is a pg_dump archive; pg_restore lists it instead.
        result = backup_create(output_dir=tmp_path)
        dump = tmp_path / "database.pgdump"
        dump.write_bytes(_members(result.path)["database.pgdump"])
        listing = subprocess.run(  # noqa: S603
            [backup.pg_tool("pg_restore"), "--list", str(dump)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "TABLE DATA public people_person" in listing
        return
    result = backup_create(output_dir=tmp_path)
    snapshot = tmp_path / "snapshot.sqlite3"
    snapshot.write_bytes(_members(result.path)["database.sqlite3"])
    opened = sqlite3.connect(snapshot)
    try:
        assert opened.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert opened.execute("SELECT display_name FROM people_person").fetchall() == [("Alice",)]
    finally:
        opened.close()


def test_a_failed_backup_leaves_no_archive_behind(
    alice: Person, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _practice_with_history(alice)

    real_add = backup._add_file
    added: list[str] = []

    def disk_full_after_the_database(archive: Any, path: Path, name: str) -> Any:
        if added:
            raise OSError(28, "No space left on device")
        added.append(name)
        return real_add(archive, path, name)

    monkeypatch.setattr(backup, "_add_file", disk_full_after_the_database)
    with pytest.raises(OSError, match="No space left"):
        backup_create(output_dir=tmp_path / "backups")
    assert added == ["database.sqlite3" if connection.vendor == "sqlite" else "database.pgdump"]
    assert list((tmp_path / "backups").iterdir()) == []


def test_the_backup_command_prints_the_archive_it_wrote(alice: Person, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("backup", output=tmp_path, stdout=out)
    (archive,) = tmp_path.glob("pollinate-backup-*.tar")
    assert str(archive) in out.getvalue()
    assert "media files" in out.getvalue()


def test_restore_check_accepts_an_intact_archive(alice: Person, tmp_path: Path) -> None:
    archive = backup_create(output_dir=tmp_path).path
    out = io.StringIO()
    call_command("restore", str(archive), check=True, stdout=out)
    assert "match the manifest" in out.getvalue()


def test_a_tampered_archive_is_refused_before_anything_changes(
    alice: Person, tmp_path: Path
) -> None:
    _practice_with_history(alice)
    archive = backup_create(output_dir=tmp_path).path

    def flip_a_byte(members: dict[str, bytes]) -> None:
        name = next(n for n in members if n.startswith("media/"))
        body = bytearray(members[name])
        body[len(body) // 2] ^= 0xFF
        members[name] = bytes(body)

    tampered = _rewrite(archive, tmp_path / "tampered.tar", flip_a_byte)
    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("restore", str(tampered), yes=True)
    assert Practice.objects.get().title == "Quick die change on press 4"


def test_an_unlisted_member_is_refused(alice: Person, tmp_path: Path) -> None:
    archive = backup_create(output_dir=tmp_path).path

    def smuggle(members: dict[str, bytes]) -> None:
        members["media/../../etc/cron.d/evil"] = b"* * * * * root true"

    with pytest.raises(BackupError, match="unlisted member"):
        backup_verify(_rewrite(archive, tmp_path / "smuggled.tar", smuggle))


def test_a_truncated_archive_is_refused_with_a_clear_message(alice: Person, tmp_path: Path) -> None:
    archive = backup_create(output_dir=tmp_path).path
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(CommandError, match="damaged or incomplete"):
        call_command("restore", str(truncated), yes=True)
    assert Person.objects.get().pk == alice.pk


def test_a_missing_archive_is_named(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="There is no backup archive"):
        call_command("restore", str(tmp_path / "nope.tar"))


def test_restore_refuses_to_overwrite_a_database_with_people_unless_told(
    alice: Person, tmp_path: Path
) -> None:
    archive = backup_create(output_dir=tmp_path).path
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(archive))


def test_restore_refuses_a_backup_made_by_newer_code(alice: Person, tmp_path: Path) -> None:
    archive = backup_create(output_dir=tmp_path).path

    def from_the_future(members: dict[str, bytes]) -> None:
        manifest = json.loads(members["manifest.json"])
        manifest["migrations"]["practices"].append("9999_from_a_newer_release")
        members["manifest.json"] = json.dumps(manifest).encode()

    newer = _rewrite(archive, tmp_path / "newer.tar", from_the_future)
    with pytest.raises(BackupError, match=r"newer Pollinate.*practices\.9999_from_a_newer_release"):
        backup_restore(archive_path=newer, overwrite=True)


def test_restore_refuses_a_backup_from_another_database_vendor(
    alice: Person, tmp_path: Path
) -> None:
    archive = backup_create(output_dir=tmp_path).path

    def other_vendor(members: dict[str, bytes]) -> None:
        manifest = json.loads(members["manifest.json"])
        manifest["database"]["vendor"] = "oracle"
        members["manifest.json"] = json.dumps(manifest).encode()

    with pytest.raises(BackupError, match="holds a oracle database"):
        backup_restore(archive_path=_rewrite(archive, tmp_path / "o.tar", other_vendor))


def test_restore_drill_brings_back_rows_people_history_images_and_signed_in_pages(
    tmp_path: Path, settings: Any
) -> None:
    # generate_org's smallest useful organisation: every app's demo data, about 4,000 rows.
    call_command("generate_org", sites=2, members=12, seed=3, stdout=io.StringIO())
    author, reader = Person.objects.order_by("pk")[:2]
    practice = _practice_with_history(author)
    image = practice.images.get()
    from django.test import Client

    signed_in = Client()
    signed_in.force_login(reader.user, backend="pollinate.people.backends.MemberBackend")
    session_key = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    paths = [
        "/",
        f"/people/{author.pk}/",
        f"/practices/{practice.pk}/",
        f"/practices/{practice.pk}/history/",
        f"/practices/{practice.pk}/history/1/",
    ]
    before = pages_render(session_key, paths)
    assert all(page.startswith("200\n") for page in before.values())
    assert "Check the clamps" in before[f"/practices/{practice.pk}/"]
    result = backup_create(output_dir=tmp_path / "backups")

    with scratch_database(tmp_path / "restored") as database_url:
        env = instance_env(tmp_path / "restored", database_url)
        restored = manage("restore", str(result.path), env=env)
        assert "Restore complete." in restored.stdout
        assert "matching the manifest" in restored.stdout
        assert "No migrations to apply." in manage("migrate", env=env).stdout
        after = json.loads(drill("probe", session_key, *paths, env=env))

    assert after["rows"] == result.manifest["row_counts"]
    assert result.manifest["row_counts"]["people_person"] == Person.objects.count() == 12
    populated = [table for table, rows in after["rows"].items() if rows]
    assert len(populated) >= 40  # every app's demo data came back, not just people
    assert after["rows"]["practices_practicerevision"] == PracticeRevision.objects.count()
    assert practice.revisions.count() == 2
    for path in paths:
        assert _diff(before[path], after["pages"][path]) == [], path
    restored_image = tmp_path / "restored" / "media" / image.image.name
    assert restored_image.read_bytes() == Path(image.image.path).read_bytes()


def _diff(expected: str, actual: str) -> list[str]:
    lines = difflib.unified_diff(expected.splitlines(), actual.splitlines(), lineterm="", n=4)
    return list(lines)[2:]


def _reversible_leaf() -> tuple[str, str, str]:
    """An app whose newest migration can be unapplied: (app, newest, the one before)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for app, name in sorted(loader.graph.leaf_nodes()):
        if not apps.get_app_config(app).name.startswith("pollinate."):
            continue
        migration = loader.disk_migrations[(app, name)]
        parents = [p for p in loader.graph.node_map[(app, name)].parents if p.key[0] == app]
        if len(parents) == 1 and all(op.reversible for op in migration.operations):
            return app, name, parents[0].key[1]
    raise AssertionError("no reversible newest migration to make an older backup with")


def test_an_older_backup_restores_and_migrate_brings_it_forward(tmp_path: Path) -> None:
    app, newest, previous = _reversible_leaf()
    with scratch_database(tmp_path / "old") as old_url:
        old = instance_env(tmp_path / "old", old_url)
        manage("migrate", env=old)
        manage("migrate", app, previous, env=old)  # the instance as the previous release left it
        manage("backup", "--output", str(tmp_path / "backups"), env=old)
    (archive,) = (tmp_path / "backups").glob("*.tar")
    assert newest not in json.loads(_members(archive)["manifest.json"])["migrations"][app]

    with scratch_database(tmp_path / "new") as new_url:
        new = instance_env(tmp_path / "new", new_url)
        restored = manage("restore", str(archive), env=new)
        assert "newer migrations to apply" in restored.stdout
        migrated = manage("migrate", env=new)
        assert f"Applying {app}.{newest}... OK" in migrated.stdout
        assert manage("migrate", "--check", env=new).returncode == 0
