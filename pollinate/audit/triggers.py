"""Database triggers that make the audit table append-only, whatever code touches it.

The one UPDATE they accept is Django's ``on_delete=SET_NULL``: when a person, account or site is
deleted, the links of their records go empty and every other column stays as it was. DELETE (and
TRUNCATE on PostgreSQL) is refused; ``audit_prune`` and ``flush`` drop the delete trigger inside
their own transaction and put it back before committing.

Changing this SQL needs a new migration that drops and recreates the triggers.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "audit_auditrecord"
# Columns the SQLite update trigger compares; a test checks it lists every column of the model.
FROZEN_COLUMNS = (
    "id",
    "created_at",
    "action",
    "actor_label",
    "target_type",
    "target_id",
    "target_label",
    "ip_address",
    "user_agent",
    "details",
)
NULLABLE_LINKS = ("actor_user_id", "actor_person_id", "site_id")

_SQLITE_UNCHANGED = " AND ".join(
    [f"NEW.{c} IS OLD.{c}" for c in FROZEN_COLUMNS]
    + [f"(NEW.{c} IS OLD.{c} OR NEW.{c} IS NULL)" for c in NULLABLE_LINKS]
)
_SQLITE_MESSAGE = "'audit records are append-only'"

SQLITE_UPDATE = [
    f"CREATE TRIGGER audit_record_refuse_update BEFORE UPDATE ON {TABLE} "
    f"WHEN NOT ({_SQLITE_UNCHANGED}) "
    f"BEGIN SELECT RAISE(ABORT, {_SQLITE_MESSAGE}); END",
]
SQLITE_DELETE = [
    f"CREATE TRIGGER audit_record_refuse_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, {_SQLITE_MESSAGE}); END",
]
SQLITE_DROP_UPDATE = ["DROP TRIGGER IF EXISTS audit_record_refuse_update"]
SQLITE_DROP_DELETE = ["DROP TRIGGER IF EXISTS audit_record_refuse_delete"]

_PG_LINKS = "".join(f" - '{c}'" for c in NULLABLE_LINKS)
_PG_LINKS_KEPT_OR_EMPTIED = " AND ".join(
    f"(NEW.{c} IS NULL OR NEW.{c} IS NOT DISTINCT FROM OLD.{c})" for c in NULLABLE_LINKS
)
# Compares whole rows as JSON minus the links, so a column added later is frozen too.
POSTGRESQL_FUNCTION = [
    f"""
CREATE OR REPLACE FUNCTION audit_record_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF (to_jsonb(NEW){_PG_LINKS}) = (to_jsonb(OLD){_PG_LINKS})
           AND {_PG_LINKS_KEPT_OR_EMPTIED} THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit records are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
""",
]
POSTGRESQL_UPDATE = [
    f"CREATE TRIGGER audit_record_refuse_update BEFORE UPDATE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION audit_record_refuse_change()",
]
POSTGRESQL_DELETE = [
    f"CREATE TRIGGER audit_record_refuse_delete BEFORE DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION audit_record_refuse_change()",
    f"CREATE TRIGGER audit_record_refuse_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_record_refuse_change()",
]
POSTGRESQL_DROP_UPDATE = [f"DROP TRIGGER IF EXISTS audit_record_refuse_update ON {TABLE}"]
POSTGRESQL_DROP_DELETE = [
    f"DROP TRIGGER IF EXISTS audit_record_refuse_delete ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_record_refuse_truncate ON {TABLE}",
]
POSTGRESQL_DROP_FUNCTION = ["DROP FUNCTION IF EXISTS audit_record_refuse_change()"]


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _unsupported(connection: BaseDatabaseWrapper) -> None:
    raise ImproperlyConfigured(
        f"The audit log's append-only triggers exist for SQLite and PostgreSQL, "
        f"not {connection.vendor}."
    )


def triggers_create(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_UPDATE + SQLITE_DELETE)
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRESQL_FUNCTION + POSTGRESQL_UPDATE + POSTGRESQL_DELETE)
    else:
        _unsupported(connection)


def triggers_drop(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_DROP_UPDATE + SQLITE_DROP_DELETE)
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRESQL_DROP_UPDATE + POSTGRESQL_DROP_DELETE + POSTGRESQL_DROP_FUNCTION)
    else:
        _unsupported(connection)


def delete_trigger_drop(connection: BaseDatabaseWrapper) -> None:
    """Lets DELETE through until ``delete_trigger_create``; call both in one transaction."""
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_DROP_DELETE)
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRESQL_DROP_DELETE)
    else:
        _unsupported(connection)


def delete_trigger_create(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_DELETE)
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRESQL_DELETE)
    else:
        _unsupported(connection)
