"""The shared full-text index: a document table plus FTS5 (SQLite) or a GIN index (PostgreSQL)."""

from __future__ import annotations

from django.db import migrations, models


def create_fulltext(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX core_searchdocument_fts ON core_searchdocument"
            " USING GIN (to_tsvector('simple', text))"
        )
    elif schema_editor.connection.vendor == "sqlite":
        # Text is folded (accents, case, CJK bigrams) in Python before it gets here, the same way
        # for both databases; the tokenizer only splits on spaces and punctuation.
        schema_editor.execute(
            "CREATE VIRTUAL TABLE core_search_fts USING fts5("
            "kind, title, body, tokenize='unicode61 remove_diacritics 2')"
        )


def drop_fulltext(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS core_searchdocument_fts")
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS core_search_fts")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_cache_table")]
    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=32)),
                ("object_id", models.BigIntegerField()),
                ("text", models.TextField(blank=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("kind", "object_id"), name="search_document_unique")
                ]
            },
        ),
        migrations.RunPython(create_fulltext, drop_fulltext),
    ]
