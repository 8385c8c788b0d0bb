"""Markdown is rendered once, when it is written; pages read the stored, sanitised HTML."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db import connection

from pollinate.people.models import Person
from pollinate.practices import services
from pollinate.practices.models import Comment, Practice
from pollinate.practices.tests.factories import CommentFactory, PracticeFactory

pytestmark = pytest.mark.django_db

fill = importlib.import_module("pollinate.practices.migrations.0004_fill_stored_html")


def test_creating_a_practice_stores_the_sanitised_html_of_each_text(alice: Person) -> None:
    practice = services.practice_create(
        actor=alice,
        title="Labels",
        problem="Wrong **settings**",
        steps="- one\n- two <script>alert(1)</script>",
        evidence="",
    )
    stored = Practice.objects.get(pk=practice.pk)
    assert stored.problem_html == "<p>Wrong <strong>settings</strong></p>\n"
    assert "<li>one</li>" in (stored.steps_html or "")
    assert "<script" not in (stored.steps_html or "")
    assert stored.evidence_html == ""


def test_an_edit_re_renders_only_what_changed(practice: Practice, alice: Person) -> None:
    before = Practice.objects.get(pk=practice.pk)
    services.practice_update(
        actor=alice,
        practice=practice,
        data={"steps": "1. *Look* first."},
        base_version=practice.version,
    )
    after = Practice.objects.get(pk=practice.pk)
    assert after.steps_html == "<ol>\n<li><em>Look</em> first.</li>\n</ol>\n"
    assert after.problem_html == before.problem_html


def test_comments_store_their_html(practice: Practice, charlie: Person) -> None:
    comment = services.comment_create(
        actor=charlie, practice=practice, body="[x](javascript:alert(1)) **ok**"
    )
    stored = Comment.objects.get(pk=comment.pk).body_html or ""
    assert "<strong>ok</strong>" in stored
    assert 'href="javascript' not in stored


def test_rows_written_without_the_services_are_rendered_on_read() -> None:
    practice = PracticeFactory(steps="**bold** <img src=x onerror=alert(1)>")
    assert practice.steps_html is None
    assert "<strong>bold</strong>" in practice.steps_rendered
    assert "<img" not in practice.steps_rendered


def test_the_data_migration_fills_every_missing_row_in_batches(
    practice: Practice, monkeypatch: Any
) -> None:
    others = [PracticeFactory(problem=f"Problem *{n}*") for n in range(5)]
    comments = [CommentFactory(body=f"**reply {n}**") for n in range(3)]
    Practice.objects.filter(pk=practice.pk).update(steps_html="kept as it was")
    monkeypatch.setattr(fill, "BATCH", 2)  # several batches, and a last partial one

    fill.fill_stored_html(apps, SimpleNamespace(connection=connection))

    for index, other in enumerate(others):
        other.refresh_from_db()
        assert other.problem_html == f"<p>Problem <em>{index}</em></p>\n"
        assert other.steps_html is not None and "<ol>" in other.steps_html
        assert other.evidence_html == "<p>Scrap went down.</p>\n"
    for index, comment in enumerate(comments):
        comment.refresh_from_db()
        assert comment.body_html == f"<p><strong>reply {index}</strong></p>\n"
    # A row the new code already rendered is left alone.
    assert Practice.objects.get(pk=practice.pk).steps_html == "kept as it was"
    assert not Practice.objects.filter(steps_html=None).exists()
