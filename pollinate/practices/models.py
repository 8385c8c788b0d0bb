"""Practices and how they spread: revisions, adoptions, adaptations, comments, follows."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from pollinate.core.markdown import render_markdown
from pollinate.people.models import LANGUAGE_CHOICES, LANGUAGE_NAMES, Person, Site, Topic


class PracticeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SHARED = "shared", _("Shared")
    VERIFIED = "verified", _("Verified")
    SUPERSEDED = "superseded", _("Superseded")
    RETIRED = "retired", _("Retired")


# Statuses everyone in the organisation may see; drafts belong to their authors.
PUBLIC_STATUSES = (
    PracticeStatus.SHARED,
    PracticeStatus.VERIFIED,
    PracticeStatus.SUPERSEDED,
    PracticeStatus.RETIRED,
)
# Statuses that are current advice: what feeds and search rank first.
LIVE_STATUSES = (PracticeStatus.SHARED, PracticeStatus.VERIFIED)


class TagKind(models.TextChoices):
    EQUIPMENT = "equipment", _("Equipment")
    PROCESS = "process", _("Process")


class Tag(models.Model):
    """An equipment or process tag (a machine model, a line) that can carry a QR code."""

    kind = models.CharField(_("kind"), max_length=12, choices=TagKind.choices)
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:100] or "tag"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("practices:tag", args=[self.slug])


class PracticeQuerySet(models.QuerySet["Practice"]):
    def visible_to(self, person: Person) -> PracticeQuerySet:
        """Public practices, plus the person's own drafts."""
        return self.filter(
            Q(status__in=PUBLIC_STATUSES)
            | Q(owner=person)
            | Q(pk__in=PracticeAuthor.objects.filter(person=person).values("practice_id"))
        )

    def live(self) -> PracticeQuerySet:
        # Written as an exclusion on purpose: NOT IN cannot use the status index, so SQLite walks
        # the last-activity index in order and stops after a page instead of sorting every row.
        return self.exclude(
            status__in=[
                PracticeStatus.DRAFT,
                PracticeStatus.SUPERSEDED,
                PracticeStatus.RETIRED,
            ]
        )


class Practice(models.Model):
    """A locally grown way of doing something: problem, what we do, evidence, media, provenance."""

    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("the problem it solves"), blank=True)
    steps = models.TextField(_("what we do"), blank=True)
    evidence = models.TextField(_("evidence of results"), blank=True)
    metric_unit = models.CharField(_("measured in"), max_length=40, blank=True)
    metric_before = models.FloatField(_("before"), null=True, blank=True)
    metric_after = models.FloatField(_("after"), null=True, blank=True)
    video_url = models.URLField(_("video link"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="practices", verbose_name=_("origin site")
    )
    owner = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="owned_practices", verbose_name=_("owner")
    )
    authors: models.ManyToManyField[Person, PracticeAuthor] = models.ManyToManyField(
        Person, through="PracticeAuthor", related_name="authored_practices"
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="practices")
    tags = models.ManyToManyField(Tag, blank=True, related_name="practices")
    status = models.CharField(
        _("status"), max_length=12, choices=PracticeStatus.choices, default=PracticeStatus.DRAFT
    )
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )
    adapted_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="adaptations"
    )
    adaptation_note = models.TextField(_("what we changed"), blank=True)
    # Sanitised HTML of the Markdown fields, rendered when the text is written (services, demo,
    # data migration) so pages never parse Markdown. NULL means "not rendered yet" (rows written
    # by other tools, distinct from empty text): the ``*_rendered`` properties render those on read.
    problem_html = models.TextField(null=True, blank=True, editable=False)  # noqa: DJ001
    steps_html = models.TextField(null=True, blank=True, editable=False)  # noqa: DJ001
    evidence_html = models.TextField(null=True, blank=True, editable=False)  # noqa: DJ001
    review_by = models.DateField(_("review by"), null=True, blank=True)
    review_flagged_at = models.DateTimeField(null=True, blank=True)
    # Optimistic concurrency: an edit names the version it started from; a mismatch is a conflict.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    shared_at = models.DateTimeField(null=True, blank=True)
    # Bumped by sharing, adoptions, reactions and comments: "rising" in feeds sorts by it.
    last_activity_at = models.DateTimeField(default=timezone.now)
    # Denormalised quality signals, maintained by services; recomputable from the rows.
    verified_site_count = models.PositiveIntegerField(default=0)
    adoption_count = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    learned_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)

    objects = PracticeQuerySet.as_manager()

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        verbose_name = _("practice")
        verbose_name_plural = _("practices")
        indexes = [
            # Feeds and the default list walk this in order and stop after one page.
            models.Index(fields=["-last_activity_at", "-id"], name="practice_activity_idx"),
            models.Index(fields=["status", "-last_activity_at", "-id"]),
            models.Index(fields=["site", "status", "-last_activity_at"]),
            # The home feed reads each followed / similar site's newest page from this.
            models.Index(
                fields=["site", "-last_activity_at", "-id"], name="practice_site_activity_idx"
            ),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["status", "review_by"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(superseded_by=models.F("id")), name="practice_not_superseding_itself"
            ),
            models.CheckConstraint(
                condition=~Q(adapted_from=models.F("id")), name="practice_not_adapted_from_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("practices:detail", args=[self.pk])

    @property
    def language_name(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)

    @property
    def is_draft(self) -> bool:
        return self.status == PracticeStatus.DRAFT

    @property
    def problem_rendered(self) -> SafeString:
        return _stored_or_rendered(self.problem_html, self.problem)

    @property
    def steps_rendered(self) -> SafeString:
        return _stored_or_rendered(self.steps_html, self.steps)

    @property
    def evidence_rendered(self) -> SafeString:
        return _stored_or_rendered(self.evidence_html, self.evidence)

    def render_text(self) -> None:
        """Fills the stored HTML from the Markdown fields (call before saving changed text)."""
        for field in MARKDOWN_FIELDS:
            setattr(self, f"{field}_html", str(render_markdown(getattr(self, field))))

    @property
    def is_incomplete(self) -> bool:
        """A quick capture that still lacks the problem or evidence."""
        return not (self.problem.strip() and self.evidence.strip())

    @property
    def metric_change(self) -> float | None:
        if self.metric_before is None or self.metric_after is None or self.metric_before == 0:
            return None
        return round((self.metric_after - self.metric_before) / abs(self.metric_before) * 100, 1)

    @property
    def review_due(self) -> bool:
        return (
            self.review_by is not None
            and self.review_by <= timezone.localdate()
            and self.status in LIVE_STATUSES
        )


def _stored_or_rendered(html: str | None, text: str) -> SafeString:
    # Stored HTML was sanitised by render_markdown when it was written.
    return mark_safe(html) if html is not None else render_markdown(text)  # noqa: S308


# Practice fields written in Markdown; each has a ``<field>_html`` rendered at write time.
MARKDOWN_FIELDS = ("problem", "steps", "evidence")


class PracticeAuthor(models.Model):
    """One of the people who wrote a practice (the owner is always one of them)."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="authorships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="authorships")

    class Meta:
        verbose_name = _("author")
        verbose_name_plural = _("authors")
        constraints = [
            models.UniqueConstraint(fields=["practice", "person"], name="practice_author_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.practice}"


def _image_path(instance: PracticeImage, filename: str) -> str:
    # The file name is already random (core.images); the folder keeps media browsable by practice.
    return f"practices/{instance.practice_id}/{filename}"


class PracticeImage(models.Model):
    """A photo of a practice, re-encoded on upload."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to=_image_path)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self) -> str:
        return self.caption or self.image.name


# Fields a revision snapshots and restores.
REVISION_FIELDS = (
    "title",
    "problem",
    "steps",
    "evidence",
    "metric_unit",
    "metric_before",
    "metric_after",
    "video_url",
    "language",
)


class PracticeRevision(models.Model):
    """A snapshot of a practice's text after one edit; history and restore read these."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    editor = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)
    summary = models.CharField(_("what changed"), max_length=200, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [
            models.UniqueConstraint(fields=["practice", "number"], name="revision_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} r{self.number}"


class AdoptionStatus(models.TextChoices):
    TRYING = "trying", _("Trying it")
    ADOPTED = "adopted", _("Adopted")
    ADAPTED = "adapted", _("Adapted")
    DROPPED = "dropped", _("Dropped")


class Adoption(models.Model):
    """A site's relation to a practice: trying → adopted / adapted / dropped, with an outcome."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="adoptions")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="adoptions")
    recorded_by = models.ForeignKey(
        Person, null=True, on_delete=models.SET_NULL, related_name="recorded_adoptions"
    )
    status = models.CharField(_("status"), max_length=10, choices=AdoptionStatus.choices)
    reason = models.TextField(_("why it was dropped"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    outcome_positive = models.BooleanField(_("the outcome is positive"), null=True, blank=True)
    metric_unit = models.CharField(_("measured in"), max_length=40, blank=True)
    metric_before = models.FloatField(_("before"), null=True, blank=True)
    metric_after = models.FloatField(_("after"), null=True, blank=True)
    happened_on = models.DateField(_("date"), default=timezone.localdate)
    adaptation = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.SET_NULL, related_name="adapted_as"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("adoption")
        verbose_name_plural = _("adoptions")
        constraints = [
            # One current relation per site; its history lives in the activity spine.
            models.UniqueConstraint(fields=["practice", "site"], name="adoption_one_per_site"),
        ]
        indexes = [models.Index(fields=["site", "-updated_at"])]

    def __str__(self) -> str:
        return f"{self.site} · {self.practice} ({self.status})"

    @property
    def counts_for_verification(self) -> bool:
        return (
            self.status in (AdoptionStatus.ADOPTED, AdoptionStatus.ADAPTED)
            and self.outcome_positive is True
        )


class Comment(models.Model):
    """A comment on a practice, or a reply to one (one level deep)."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="practice_comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField(_("comment"), max_length=5000)
    # Sanitised HTML of ``body``, rendered when written; NULL = render on read (see Practice).
    body_html = models.TextField(null=True, blank=True, editable=False)  # noqa: DJ001
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["practice", "created_at"])]

    def __str__(self) -> str:
        return f"{self.author} on {self.practice_id}"

    @property
    def body_rendered(self) -> SafeString:
        return _stored_or_rendered(self.body_html, self.body)


class ReactionKind(models.TextChoices):
    HELPFUL = "helpful", _("Helpful")
    LEARNED = "learned", _("I learned something")


class Reaction(models.Model):
    """A person's "helpful" or "I learned something" on a practice."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="reactions")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="practice_reactions")
    kind = models.CharField(max_length=10, choices=ReactionKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "person", "kind"], name="reaction_one_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.kind} {self.practice_id}"


class Follow(models.Model):
    """A person following a practice, a topic or a site; other apps read these for digests."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="follows")
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.CASCADE, related_name="follows"
    )
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="follows"
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.CASCADE, related_name="follows"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(practice__isnull=False, topic=None, site=None)
                    | Q(practice=None, topic__isnull=False, site=None)
                    | Q(practice=None, topic=None, site__isnull=False)
                ),
                name="follow_exactly_one_target",
            ),
            models.UniqueConstraint(
                fields=["person", "practice"],
                condition=Q(practice__isnull=False),
                name="follow_practice_once",
            ),
            models.UniqueConstraint(
                fields=["person", "topic"],
                condition=Q(topic__isnull=False),
                name="follow_topic_once",
            ),
            models.UniqueConstraint(
                fields=["person", "site"], condition=Q(site__isnull=False), name="follow_site_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} follows {self.practice or self.topic or self.site}"

    @property
    def target(self) -> models.Model:
        return self.practice or self.topic or self.site  # type: ignore[return-value]


def verified_min_sites() -> int:
    return int(settings.PRACTICE_VERIFIED_MIN_SITES)
