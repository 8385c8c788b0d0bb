"""In-app notifications derived from the activity spine, and each person's email preferences."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pollinate.people.models import Person


class Delivery(models.TextChoices):
    OFF = "off", _("No email")
    IMMEDIATELY = "immediately", _("Email immediately")
    DIGEST = "digest", _("In the digest")


class NotificationKind(models.TextChoices):
    QUESTION_OFFERED = "question_offered", _("A question is offered to me because I may know")
    QUESTION_ESCALATED = "question_escalated", _("An unanswered question is escalated to me")
    ANSWER_RECEIVED = "answer_received", _("Someone answers my question")
    ANSWER_ACCEPTED = "answer_accepted", _("My answer is accepted")
    ANSWER_HELPFUL = "answer_helpful", _("Someone found my answer helpful")
    COMMENT_RECEIVED = "comment_received", _("Someone comments on my answer or question")
    MENTIONED = "mentioned", _("Someone mentions me")
    QUESTION_CLOSED = "question_closed", _("My question is closed")

    @classmethod
    def default_delivery(cls, kind: str) -> str:
        return _DEFAULTS.get(kind, Delivery.DIGEST)


_DEFAULTS: dict[str, str] = {
    NotificationKind.QUESTION_OFFERED: Delivery.IMMEDIATELY,
    NotificationKind.QUESTION_ESCALATED: Delivery.IMMEDIATELY,
    NotificationKind.ANSWER_RECEIVED: Delivery.IMMEDIATELY,
    NotificationKind.ANSWER_ACCEPTED: Delivery.IMMEDIATELY,
    NotificationKind.MENTIONED: Delivery.IMMEDIATELY,
    NotificationKind.ANSWER_HELPFUL: Delivery.DIGEST,
    NotificationKind.COMMENT_RECEIVED: Delivery.DIGEST,
    NotificationKind.QUESTION_CLOSED: Delivery.DIGEST,
}


class Notification(models.Model):
    """One thing a person should know about, derived from one activity; read or unread."""

    recipient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    activity = models.ForeignKey(
        "activity.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # How email goes out, decided from the preference when the notification is created; the digest
    # app reads delivery="digest" rows whose digested_at is empty.
    delivery = models.CharField(max_length=12, choices=Delivery.choices, default=Delivery.OFF)
    emailed_at = models.DateTimeField(null=True, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            # Subscribers may run twice for one activity; this keeps them idempotent.
            models.UniqueConstraint(
                fields=["recipient", "activity", "kind"], name="notification_once_per_activity"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_recent"),
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_unread"),
            models.Index(fields=["delivery", "digested_at"], name="notif_digest_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class Preference(models.Model):
    """A person's email choice for one kind of notification (absent row = the kind's default)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    delivery = models.CharField(max_length=12, choices=Delivery.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["person", "kind"], name="preference_one_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.kind}: {self.delivery}"
