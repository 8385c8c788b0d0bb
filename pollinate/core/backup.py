"""Backups that restore: one tar archive with a consistent database snapshot, the media, a manifest.

``backup_create`` writes ``pollinate-backup-<UTC timestamp>.tar`` holding

- ``database.sqlite3`` (SQLite's online backup API: a consistent copy taken while the app runs in
  WAL mode) or ``database.pgdump`` (``pg_dump --format=custom`` inside the same snapshot the row
  counts were read from);
- ``media/…``, every uploaded file;
- ``manifest.json`` (last): format version, Pollinate version, creation time, database vendor,
  applied migrations per app, row counts per table, and the size and SHA-256 of every member.

The archive is written under a temporary name, fsynced, then renamed: a crash never leaves a half
archive under the final name. ``backup_restore`` checks every checksum before it touches anything,
refuses archives from newer code and non-empty databases (unless told to overwrite), restores the
database in one transaction, swaps the media directory in, and checks the row counts afterwards.
The checksums detect damage and truncation; they are not a signature against a deliberate forger
who also rewrites the manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from pollinate.env import env_str

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.pgdump"
MEDIA_PREFIX = "media/"
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]

    @property
    def rows(self) -> int:
        return sum(self.manifest["row_counts"].values())


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    tables: int
    rows: int
    media_files: int
    pending_migrations: list[str] = field(default_factory=list)


# --- Backup ---------------------------------------------------------------------------------


def backup_create(*, output_dir: Path, now: datetime | None = None) -> BackupResult:
    """Writes one archive into ``output_dir`` and returns its path and manifest."""
    created = (now or datetime.now(UTC)).astimezone(UTC)
    output_dir.mkdir(parents=True, exist_ok=True)
    final = output_dir / f"pollinate-backup-{created:%Y%m%dT%H%M%S%fZ}.tar"
    if final.exists():
        raise BackupError(_("%(path)s already exists.") % {"path": final})
    with tempfile.TemporaryDirectory(prefix="pollinate-backup-") as scratch:
        snapshot = _snapshot_take(Path(scratch))
        manifest: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "pollinate_version": _pollinate_version(),
            "created_at": created.isoformat(),
            "database": {"vendor": connection.vendor, "member": snapshot.member},
            "migrations": snapshot.migrations,
            "row_counts": snapshot.row_counts,
            "members": [],
            "media": {"files": 0, "bytes": 0},
        }
        partial = output_dir / f".{final.name}.{secrets.token_hex(4)}.partial"
        try:
            with open(partial, "xb") as raw:
                os.chmod(partial, 0o600)  # password hashes and personal data: owner only
                with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
                    members = manifest["members"]
                    members.append(_add_file(archive, snapshot.path, snapshot.member))
                    for path, name in _media_files(Path(settings.MEDIA_ROOT)):
                        entry = _add_file(archive, path, name)
                        members.append(entry)
                        manifest["media"]["files"] += 1
                        manifest["media"]["bytes"] += entry["size"]
                    body = json.dumps(manifest, indent=2, sort_keys=True).encode()
                    info = tarfile.TarInfo(MANIFEST)
                    info.size = len(body)
                    info.mtime = int(created.timestamp())
                    info.mode = 0o600
                    archive.addfile(info, _BytesReader(body))
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, final)
            _fsync_dir(output_dir)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return BackupResult(path=final, manifest=manifest)


@dataclass
class _Snapshot:
    path: Path
    member: str
    migrations: dict[str, list[str]]
    row_counts: dict[str, int]


def _snapshot_take(scratch: Path) -> _Snapshot:
    if connection.vendor == "sqlite":
        return _sqlite_snapshot(scratch)
    if connection.vendor == "postgresql":
        return _postgres_snapshot(scratch)
    raise BackupError(
        _("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": connection.vendor}
    )


def _sqlite_snapshot(scratch: Path) -> _Snapshot:
    target_path = scratch / SQLITE_MEMBER
    if connection.in_atomic_block:
        raise BackupError(_("A backup cannot run inside a transaction."))
    connection.ensure_connection()
    source: sqlite3.Connection = connection.connection
    target = sqlite3.connect(target_path)
    try:
        # pages=-1 copies everything in one step under one read lock: a consistent snapshot even
        # while other processes keep writing (they wait for, or are isolated from, this read).
        source.backup(target, pages=-1)
        # The copy is self-contained: no -wal file to carry alongside it.
        target.execute("PRAGMA journal_mode=DELETE")
        tables = [
            name
            for (name,) in target.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " ORDER BY name"
            )
        ]
        counts = {name: _count(target.execute, name) for name in tables}
        migrations = _migrations_from(target.execute, tables)
    finally:
        target.close()
    return _Snapshot(target_path, SQLITE_MEMBER, migrations, counts)


def _postgres_snapshot(scratch: Path) -> _Snapshot:
    target_path = scratch / POSTGRES_MEMBER
    if connection.in_atomic_block:
        raise BackupError(_("A backup cannot run inside a transaction."))
    with transaction.atomic(), connection.cursor() as cursor:
        # The dump and the counts read the same exported snapshot, so the manifest describes
        # exactly the rows in the dump even while the app keeps writing.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot_id = cursor.fetchone()[0]
        _pg_run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot_id}",
                f"--file={target_path}",
            ]
        )

        def execute(sql: str) -> Any:
            cursor.execute(sql)
            return cursor.fetchall()

        tables = sorted(connection.introspection.table_names(cursor))
        counts = {name: _count(execute, name) for name in tables}
        migrations = _migrations_from(execute, tables)
    return _Snapshot(target_path, POSTGRES_MEMBER, migrations, counts)


def _count(execute: Callable[[str], Any], table: str) -> int:
    quoted = '"' + table.replace('"', '""') + '"'
    rows = list(execute(f"SELECT COUNT(*) FROM {quoted}"))  # noqa: S608 -- a table name we listed
    return int(rows[0][0])


def _migrations_from(execute: Callable[[str], Any], tables: list[str]) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    if "django_migrations" not in tables:
        return applied
    for app, name in execute("SELECT app, name FROM django_migrations ORDER BY app, name"):
        applied.setdefault(app, []).append(name)
    return applied


def _media_files(root: Path) -> Iterator[tuple[Path, str]]:
    if not root.is_dir():
        return
    for directory, subdirectories, files in os.walk(root):
        subdirectories.sort()
        for name in sorted(files):
            path = Path(directory, name)
            if path.is_symlink() or not path.is_file():
                continue  # only regular files: a link could point outside the media directory
            yield path, MEDIA_PREFIX + path.relative_to(root).as_posix()


def _add_file(archive: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    with open(path, "rb") as source:
        size = os.fstat(source.fileno()).st_size
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(os.stat(path).st_mtime)
        info.mode = 0o600
        # The hash is taken over the bytes that go into the archive (a file still growing is cut
        # at the size read above), so the manifest always describes the archive itself.
        hashing = _HashingReader(source)
        archive.addfile(info, hashing)
    return {"name": name, "size": size, "sha256": hashing.digest.hexdigest()}


class _HashingReader:
    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(size)
        self.digest.update(chunk)
        return chunk


class _BytesReader:
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.body) if size < 0 else self.offset + size
        chunk = self.body[self.offset : end]
        self.offset += len(chunk)
        return chunk


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _pollinate_version() -> str:
    try:
        return metadata.version("pollinate")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- Verification ---------------------------------------------------------------------------


def backup_verify(archive_path: Path) -> dict[str, Any]:
    """Checks the archive against its manifest and returns the manifest; raises BackupError.

    Every member must be listed, have the listed size and SHA-256, and be a plain file at a safe
    path; a truncated or altered archive is refused before anything is restored.
    """
    with _open_archive(archive_path) as archive:
        return _verify(archive, archive_path)


@contextlib.contextmanager
def _open_archive(archive_path: Path) -> Iterator[tarfile.TarFile]:
    if not archive_path.is_file():
        raise BackupError(_("There is no backup archive at %(path)s.") % {"path": archive_path})
    try:
        with tarfile.open(archive_path, mode="r:") as archive:
            yield archive
    except tarfile.TarError as exc:
        raise BackupError(_damaged(archive_path, exc)) from exc


def _damaged(archive_path: Path, reason: object) -> str:
    return _(
        "%(path)s is damaged or incomplete (%(reason)s). Nothing was restored; use another backup."
    ) % {"path": archive_path, "reason": reason}


def _verify(archive: tarfile.TarFile, archive_path: Path) -> dict[str, Any]:
    try:
        infos = {info.name: info for info in archive.getmembers()}
        if MANIFEST not in infos:
            raise BackupError(_damaged(archive_path, _("it has no manifest")))
        manifest_file = archive.extractfile(infos[MANIFEST])
        if manifest_file is None:
            raise BackupError(_damaged(archive_path, _("its manifest is not a file")))
        manifest = json.loads(manifest_file.read())
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
            raise BackupError(
                _("%(path)s was written in a backup format this version cannot read.")
                % {"path": archive_path}
            )
        listed = {entry["name"]: entry for entry in manifest["members"]}
        unlisted = sorted(set(infos) - set(listed) - {MANIFEST})
        if unlisted:
            raise BackupError(
                _damaged(archive_path, _("unlisted member %(name)s") % {"name": unlisted[0]})
            )
        database_member = manifest["database"]["member"]
        for name, entry in listed.items():
            if not _safe_name(name, database_member):
                raise BackupError(
                    _damaged(archive_path, _("unsafe member %(name)s") % {"name": name})
                )
            info = infos.get(name)
            if info is None or not info.isfile():
                raise BackupError(_damaged(archive_path, _("%(name)s is missing") % {"name": name}))
            if info.size != entry["size"] or _sha256(archive, info) != entry["sha256"]:
                raise BackupError(
                    _damaged(
                        archive_path, _("%(name)s does not match its checksum") % {"name": name}
                    )
                )
        if database_member not in listed:
            raise BackupError(_damaged(archive_path, _("the database is missing")))
    except (KeyError, TypeError, ValueError, OSError, EOFError, tarfile.TarError) as exc:
        raise BackupError(_damaged(archive_path, exc)) from exc
    return manifest


def _safe_name(name: str, database_member: str) -> bool:
    if name == database_member:
        return name in (SQLITE_MEMBER, POSTGRES_MEMBER)
    path = PurePosixPath(name)
    return (
        name.startswith(MEDIA_PREFIX)
        and not path.is_absolute()
        and ".." not in path.parts
        and len(path.parts) > 1
    )


def _sha256(archive: tarfile.TarFile, info: tarfile.TarInfo) -> str:
    source = archive.extractfile(info)
    if source is None:
        raise BackupError(_("%(name)s is not a file.") % {"name": info.name})
    digest = hashlib.sha256()
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


# --- Restore --------------------------------------------------------------------------------


def backup_restore(*, archive_path: Path, overwrite: bool = False) -> RestoreResult:
    """Restores the database and media from a verified archive into this instance.

    Preconditions: the app and worker are stopped (a running process would keep writing into what
    is being replaced). Refuses, before changing anything: a damaged archive, an archive from a
    different database vendor, one whose migrations this code does not know (made by newer code),
    and a database holding people or content unless ``overwrite``.
    """
    with _open_archive(archive_path) as archive:
        manifest = _verify(archive, archive_path)
        vendor = manifest["database"]["vendor"]
        if vendor != connection.vendor:
            raise BackupError(
                _("This backup holds a %(archive)s database; this instance uses %(here)s.")
                % {"archive": vendor, "here": connection.vendor}
            )
        unknown = _unknown_migrations(manifest["migrations"])
        if unknown:
            raise BackupError(
                _(
                    "This backup was made by a newer Pollinate: this code does not know the "
                    "migrations %(names)s. Upgrade the code first, then restore."
                )
                % {"names": ", ".join(unknown[:5])}
            )
        if not overwrite and database_holds_data():
            raise BackupError(
                _(
                    "The database already holds people or content. Restoring would replace all of "
                    "it; run restore again with --yes to do so."
                )
            )
        with tempfile.TemporaryDirectory(prefix="pollinate-restore-") as scratch:
            database_file = Path(scratch) / manifest["database"]["member"]
            media_stage = _stage_dir(Path(settings.MEDIA_ROOT))
            try:
                media_files = 0
                for entry in manifest["members"]:
                    name = entry["name"]
                    if name == manifest["database"]["member"]:
                        target = database_file
                    else:
                        target = media_stage / name[len(MEDIA_PREFIX) :]
                        media_files += 1
                    _extract(archive, name, target)
                _database_restore(database_file, vendor)
                _media_swap(media_stage, Path(settings.MEDIA_ROOT))
            finally:
                shutil.rmtree(media_stage, ignore_errors=True)
    counts = database_row_counts()
    differences = [
        f"{table}: {counts.get(table)} != {expected}"
        for table, expected in sorted(manifest["row_counts"].items())
        if counts.get(table) != expected
    ]
    if differences:
        raise BackupError(
            _("The restored database does not match the backup's row counts: %(diff)s")
            % {"diff": "; ".join(differences[:5])}
        )
    return RestoreResult(
        manifest=manifest,
        tables=len(counts),
        rows=sum(counts.values()),
        media_files=media_files,
        pending_migrations=_pending_migrations(manifest["migrations"]),
    )


def _unknown_migrations(applied: dict[str, list[str]]) -> list[str]:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return sorted(
        f"{app}.{name}"
        for app, names in applied.items()
        for name in names
        if (app, name) not in known
    )


def _pending_migrations(applied: dict[str, list[str]]) -> list[str]:
    done = {(app, name) for app, names in applied.items() for name in names}
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    return sorted(f"{app}.{name}" for app, name in known if (app, name) not in done)


def database_holds_data() -> bool:
    """Whether the database has people or content (what migrate alone never creates)."""
    tables = set(connection.introspection.table_names())
    for model in apps.get_models():
        if not model.__module__.startswith("pollinate.") or model._meta.app_label == "core":
            continue  # core's rows (task runs, search index) are derived from the others
        if model._meta.db_table in tables and model._default_manager.exists():
            return True
    return False


def database_row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
            tables = [name for (name,) in cursor.fetchall()]
        else:
            tables = connection.introspection.table_names(cursor)

        def execute(sql: str) -> Any:
            cursor.execute(sql)
            return cursor.fetchall()

        return {name: _count(execute, name) for name in sorted(tables)}


def _stage_dir(media_root: Path) -> Path:
    # Beside the media directory, so the final swap is a rename on the same file system.
    media_root.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{media_root.name}-restore-", dir=media_root.parent))


def _extract(archive: tarfile.TarFile, name: str, target: Path) -> None:
    source = archive.extractfile(name)
    if source is None:
        raise BackupError(_("%(name)s is not a file.") % {"name": name})
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        shutil.copyfileobj(source, out, _CHUNK)


def _database_restore(database_file: Path, vendor: str) -> None:
    if vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(database_file)
        try:
            # One step, into Django's own connection: the destination is replaced in a single
            # write transaction, so a failure leaves the old database as it was.
            source.backup(connection.connection, pages=-1)
        finally:
            source.close()
        connection.close()  # cached statements and schema belong to the old database
        return
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as drop:
        drop.write(_pg_drop_everything())
    script = database_file.with_suffix(".sql")
    try:
        _pg_run(
            ["pg_restore", "--no-owner", "--no-privileges", f"--file={script}", str(database_file)],
            with_database=False,
        )
        connection.close()
        # One transaction for the drop and the whole restore: any error leaves the old data.
        _pg_run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
             "-f", drop.name, "-f", str(script)]
        )  # fmt: skip
    finally:
        os.unlink(drop.name)


def _pg_drop_everything() -> str:
    """SQL dropping what the app owns in its schema: tables (with their indexes, sequences and
    triggers), views, and functions such as trigger bodies, so the dump recreates all of it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'TABLE', format('%I', c.relname) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
            " UNION ALL SELECT 'VIEW', format('%I', c.relname) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm')"
            " UNION ALL SELECT 'SEQUENCE', format('%I', c.relname) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind = 'S'"
            " UNION ALL SELECT 'FUNCTION', p.oid::regprocedure::text FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = current_schema() AND NOT EXISTS ("
            "   SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
        )
        objects = cursor.fetchall()
    return "".join(f"DROP {kind} IF EXISTS {name} CASCADE;\n" for kind, name in objects)


def _media_swap(stage: Path, media_root: Path) -> None:
    previous = media_root.with_name(f".{media_root.name}-previous-{secrets.token_hex(4)}")
    if media_root.exists():
        os.replace(media_root, previous)
    os.replace(stage, media_root)
    shutil.rmtree(previous, ignore_errors=True)


# --- PostgreSQL tools -----------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """The newest installed PostgreSQL client tool (``PG_BIN`` overrides the search)."""
    configured = env_str("PG_BIN", "")
    candidates = [Path(configured)] if configured else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for directory in candidates:
        if (directory / name).is_file():
            return str(directory / name)
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            _("%(tool)s is not installed: install the PostgreSQL client tools.") % {"tool": name}
        )
    return found


def pg_environment() -> dict[str, str]:
    """libpq variables for the configured database: the password never goes on a command line."""
    conf = connection.settings_dict
    env = dict(os.environ)
    values = {
        "PGHOST": conf.get("HOST") or "",
        "PGPORT": str(conf.get("PORT") or ""),
        "PGUSER": conf.get("USER") or "",
        "PGPASSWORD": conf.get("PASSWORD") or "",
        "PGDATABASE": conf.get("NAME") or "",
        "PGSSLMODE": (conf.get("OPTIONS") or {}).get("sslmode", ""),
    }
    env.update({key: value for key, value in values.items() if value})
    return env


def _pg_run(arguments: list[str], *, with_database: bool = True) -> None:
    command = [pg_tool(arguments[0]), *arguments[1:]]
    env = pg_environment() if with_database else dict(os.environ)
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s") % {"tool": arguments[0], "error": result.stderr.strip()}
        )
