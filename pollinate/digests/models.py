"""Personal digests: each member's preferences and the record of every digest sent."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pollinate.people.models import Person


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("weekly")
    DAILY = "daily", _("daily")
    NEVER = "never", _("never")


class DigestKind(models.TextChoices):
    """The sections of a digest; each can be switched off on its own."""

    PRACTICES = "practices", _("New and rising practices in what I follow")
    ADOPTIONS = "adoptions", _("Adoptions by sites like mine")
    QUESTIONS = "questions", _("Questions I could answer")
    CHATS = "chats", _("Upcoming live chats")
    EPISODES = "episodes", _("New episodes of collections I follow")
    HELP = "help", _("Help I gave that was confirmed")


class DigestPreference(models.Model):
    """How often a member gets their digest and which sections they want (default: weekly, all)."""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="digest_preference"
    )
    frequency = models.CharField(
        _("how often"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    muted_kinds = models.JSONField(_("sections switched off"), default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("digest preference")
        verbose_name_plural = _("digest preferences")
        indexes = [models.Index(fields=["frequency"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.frequency}"


class SendStatus(models.TextChoices):
    CLAIMED = "claimed", _("claimed, not yet handed to the mail server")
    # Handed to the mail server: if a run dies here nobody knows whether it arrived, so it is
    # never re-sent automatically (an administrator may choose "send again").
    SENDING = "sending", _("handed to the mail server")
    SENT = "sent", _("sent")
    EMPTY = "empty", _("nothing to send")
    FAILED = "failed", _("failed, will retry")


class DigestSend(models.Model):
    """The one digest of a person for one period: claimed before sending, marked after SMTP."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="digest_sends")
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    period_start = models.DateTimeField()
    status = models.CharField(max_length=10, choices=SendStatus.choices)
    # Which run holds the claim; a run only sends rows carrying its own token.
    claim_token = models.CharField(max_length=32)
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    item_count = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-period_start", "person_id"]
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        constraints = [
            # The invariant that makes reruns and crashed runs safe: one row per person and period.
            models.UniqueConstraint(
                fields=["person", "frequency", "period_start"], name="digest_once_per_period"
            )
        ]
        indexes = [models.Index(fields=["frequency", "period_start", "status"])]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.frequency} {self.period_start:%Y-%m-%d} · {self.status}"
