"""After-action reviews and lessons learned, each with who may read it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pollinate.people.models import Person, Site, Topic

TEXT_MAX = 5_000


class ReflectionKind(models.TextChoices):
    AFTER_ACTION = "aar", _("After-action review")
    LESSON = "lesson", _("Lesson learned")


class Visibility(models.TextChoices):
    PRIVATE = "private", _("Only me")
    TEAM = "team", _("My team")
    SITE = "site", _("My site")
    EVERYONE = "everyone", _("Everyone")


class ReflectionQuerySet(models.QuerySet["Reflection"]):
    def visible_to(self, person: Person) -> ReflectionQuerySet:
        """The one rule for reading: own, everyone's, my site's, or my team's (same site + team)."""
        rule = (
            Q(author=person)
            | Q(visibility=Visibility.EVERYONE)
            | Q(visibility=Visibility.SITE, site_id=person.site_id)
        )
        if person.team:
            rule |= Q(visibility=Visibility.TEAM, site_id=person.site_id, team=person.team)
        return self.filter(rule)


class Reflection(models.Model):
    """An after-action review (planned, happened, why, next time) or a free lesson learned."""

    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="reflections")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="reflections")
    # The author's team when writing: "my team" means the people in it then, at the same site.
    team = models.CharField(max_length=80, blank=True)
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=ReflectionKind.choices,
        default=ReflectionKind.AFTER_ACTION,
    )
    title = models.CharField(_("title"), max_length=200)
    planned = models.TextField(_("What was supposed to happen?"), max_length=TEXT_MAX, blank=True)
    happened = models.TextField(_("What actually happened?"), max_length=TEXT_MAX, blank=True)
    why = models.TextField(_("Why was there a difference?"), max_length=TEXT_MAX, blank=True)
    differently = models.TextField(
        _("What will we do differently?"), max_length=TEXT_MAX, blank=True
    )
    lesson = models.TextField(_("The lesson"), max_length=TEXT_MAX, blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="reflections")
    visibility = models.CharField(
        _("who can read it"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    # A loose reference to the practice draft made from this reflection (kept both ways).
    practice_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ReflectionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reflection")
        verbose_name_plural = _("reflections")
        indexes = [
            models.Index(fields=["author", "-created_at"], name="reflection_author_recent"),
            models.Index(fields=["visibility", "site", "-created_at"], name="reflection_visible"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reflections:detail", args=[self.pk])

    @property
    def is_shared_publicly(self) -> bool:
        return self.visibility in (Visibility.SITE, Visibility.EVERYONE)
