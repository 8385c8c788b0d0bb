"""Editor-made series: collections with episodes (parts) and ordered, commented items."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pollinate.people.models import Person, Site, Topic


class CollectionQuerySet(models.QuerySet["Collection"]):
    def published(self) -> CollectionQuerySet:
        return self.filter(publish_at__isnull=False, publish_at__lte=timezone.now())

    def visible_to(self, person: Person) -> CollectionQuerySet:
        """Published collections, plus drafts for their editors."""
        if person.has_role("editor"):
            return self
        return self.published()


class Collection(models.Model):
    """A curated series of practices, questions, chats and outside links with commentary."""

    title = models.CharField(_("title"), max_length=160)
    introduction = models.TextField(_("introduction"), max_length=6000, blank=True)
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="collections", verbose_name=_("topics")
    )
    created_by = models.ForeignKey(
        Person, null=True, on_delete=models.SET_NULL, related_name="collections_created"
    )
    # Scheduled publication: hidden from members until this moment; empty means draft.
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = CollectionQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-id"]
        verbose_name = _("collection")
        verbose_name_plural = _("collections")
        indexes = [models.Index(fields=["publish_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("curation:detail", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.publish_at is not None and self.publish_at <= timezone.now()


class Episode(models.Model):
    """One part of a collection, published on its own schedule."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="episodes")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=160)
    introduction = models.TextField(_("introduction"), max_length=6000, blank=True)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    # Set once followers have been told (activity recorded); scheduled episodes get it when due.
    announced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["collection", "number"]
        verbose_name = _("episode")
        verbose_name_plural = _("episodes")
        constraints = [
            models.UniqueConstraint(fields=["collection", "number"], name="episode_number_unique")
        ]
        indexes = [models.Index(fields=["publish_at"])]

    def __str__(self) -> str:
        return f"{self.collection} · {self.number}. {self.title}"

    def get_absolute_url(self) -> str:
        return f"{self.collection.get_absolute_url()}#episode-{self.number}"

    @property
    def is_published(self) -> bool:
        return self.publish_at is not None and self.publish_at <= timezone.now()


class ItemKind(models.TextChoices):
    PRACTICE = "practice", _("practice")
    QUESTION = "question", _("question")
    CHAT = "chat", _("chat transcript")
    COLLECTION = "collection", _("another collection")
    LINK = "link", _("outside link")


# Item kind → (app label, model name) of the object it points at.
ITEM_TARGETS: dict[str, tuple[str, str]] = {
    ItemKind.PRACTICE: ("practices", "practice"),
    ItemKind.QUESTION: ("questions", "question"),
    ItemKind.CHAT: ("chats", "chat"),
    ItemKind.COLLECTION: ("curation", "collection"),
}


class Item(models.Model):
    """One entry of an episode: something in Pollinate or an outside link, with commentary."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=ItemKind.choices)
    # A loose generic reference, so the series survives a practice being removed.
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.BigIntegerField(null=True, blank=True)
    url = models.URLField(_("link"), max_length=800, blank=True)
    link_title = models.CharField(_("link title"), max_length=200, blank=True)
    link_source = models.CharField(_("source"), max_length=120, blank=True)
    commentary = models.TextField(_("editor's commentary"), max_length=4000, blank=True)
    # A site edition's local item: shown to that site's people on top of the shared series.
    edition_site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.CASCADE, related_name="curation_items"
    )
    added_by = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["episode", "position", "id"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="link", target_id=None) & ~Q(url=""))
                | (~Q(kind="link") & Q(target_id__isnull=False)),
                name="item_link_or_target",
            )
        ]

    def __str__(self) -> str:
        return self.link_title if self.kind == ItemKind.LINK else f"{self.kind}#{self.target_id}"

    def clean(self) -> None:
        if self.kind == ItemKind.LINK and not self.url.lower().startswith(("https://", "http://")):
            raise ValidationError({"url": _("Only http and https links can be added.")})


class CollectionFollow(models.Model):
    """A person following a collection: its new episodes appear in their feed and digest."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="collection_follows")
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("collection follow")
        verbose_name_plural = _("collection follows")
        constraints = [
            models.UniqueConstraint(fields=["person", "collection"], name="collection_follow_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.collection}"
