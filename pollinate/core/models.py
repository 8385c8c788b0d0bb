"""Shared models with no domain: the visible record of background work."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    RETRYING = "retrying", _("failed, will retry")
    FAILED = "failed", _("failed")
    SUCCEEDED = "succeeded", _("succeeded")


class TaskRun(models.Model):
    """One enqueued background task and what became of it, for administrators to see."""

    path = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    enqueued_at = models.DateTimeField(_("enqueued"), auto_now_add=True)
    started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-enqueued_at", "-id"]
        verbose_name = _("background task")
        verbose_name_plural = _("background tasks")
        indexes = [models.Index(fields=["status", "enqueued_at"])]

    def __str__(self) -> str:
        return f"{self.path} #{self.pk} ({self.status})"


class SearchDocument(models.Model):
    """One indexed object's folded text; the full-text index (FTS5 / GIN) is built over it."""

    kind = models.CharField(max_length=32)
    object_id = models.BigIntegerField()
    # PostgreSQL only (SQLite keeps both in its FTS5 table): the folded title and body, and the
    # folded title alone, which candidates are ranked by (``core.search._title_relevance``).
    text = models.TextField(blank=True)
    title = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.object_id}"
