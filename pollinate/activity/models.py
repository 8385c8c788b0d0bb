from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ActivityQuerySet(models.QuerySet["Activity"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("Activity is append-only; record a new activity instead.")


class Activity(models.Model):
    """An append-only record of something that happened: actor, verb, object, site, time."""

    actor = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    verb = models.CharField(max_length=64)
    # The object as "<app_label>.<model>" and its primary key: a loose reference, so the record
    # survives the object being deleted and any app can be referenced without a dependency.
    object_type = models.CharField(max_length=64)
    object_id = models.BigIntegerField()
    site = models.ForeignKey(
        "people.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    payload = models.JSONField(default=dict, blank=True)
    # False for activity about private things (a private reflection): kept for its owner's history,
    # never shown in site feeds, digests or notifications to others.
    is_public = models.BooleanField(default=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["actor", "-created_at"]),
            models.Index(fields=["site", "-created_at"]),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["verb", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.verb} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Append-only invariant: a stored activity is history and never changes.
        if self.pk is not None and not self._state.adding:
            raise TypeError("Activity is append-only; record a new activity instead.")
        super().save(*args, **kwargs)
