"""Django's ``flush``, which empties every table, the audit log's included.

The audit table's triggers refuse DELETE and TRUNCATE, so this takes them away for the flush and
puts them back in the same transaction. Flushing is a deliberate wipe of the whole database (and
how the test suite resets it between transactional tests); it is not a way to edit the log.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from pollinate.audit.triggers import TABLE, delete_trigger_create, delete_trigger_drop


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if TABLE not in connection.introspection.table_names():  # audit not migrated (yet)
            super().handle(**options)
            return
        with transaction.atomic(using=connection.alias):
            delete_trigger_drop(connection)
            super().handle(**options)
            delete_trigger_create(connection)
