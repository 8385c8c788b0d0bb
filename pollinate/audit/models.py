"""The audit log: who did what security-relevant thing, from where, and when. Append-only."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """Every action the audit log records; docs/security.md explains when each is written."""

    SIGNIN_SUCCEEDED = "signin.succeeded", _("Signed in")
    SIGNIN_FAILED = "signin.failed", _("Failed sign-in")
    SIGNIN_LOCKED_OUT = "signin.locked_out", _("Sign-in refused: too many failures")
    SIGNOUT = "signout", _("Signed out")
    PASSWORD_RESET_REQUESTED = "password.reset_requested", _("Password reset requested")
    PASSWORD_RESET_COMPLETED = "password.reset_completed", _("Password reset completed")
    INVITATION_SENT = "invitation.sent", _("Invitation sent")
    INVITATION_ACCEPTED = "invitation.accepted", _("Invitation accepted")
    ROLE_GRANTED = "role.granted", _("Role granted")
    ROLE_REVOKED = "role.revoked", _("Role revoked")
    API_TOKEN_CREATED = "api_token.created", _("API token created")
    API_TOKEN_REVOKED = "api_token.revoked", _("API token revoked")
    CHAT_MESSAGE_HIDDEN = "moderation.chat_message_hidden", _("Chat message hidden")
    CHAT_PARTICIPANT_MUTED = "moderation.chat_participant_muted", _("Chat participant muted")
    CHAT_PARTICIPANT_UNMUTED = "moderation.chat_participant_unmuted", _("Chat participant unmuted")
    CHAT_LOCKED = "moderation.chat_locked", _("Chat room locked")
    CHAT_UNLOCKED = "moderation.chat_unlocked", _("Chat room opened again")
    QUESTION_CLOSED = "moderation.question_closed", _("Question closed by someone else")
    QUESTION_DELETED = "moderation.question_deleted", _("Question deleted by someone else")
    ANSWER_ACCEPTED = "moderation.answer_accepted", _("Answer accepted by someone else")
    ANSWER_DELETED = "moderation.answer_deleted", _("Answer deleted by someone else")
    PRACTICE_RETIRED = "moderation.practice_retired", _("Practice retired")
    PRACTICE_COMMENT_REMOVED = (
        "moderation.practice_comment_removed",
        _("Practice comment removed by a moderator"),
    )
    ADMIN_ADDED = "admin.added", _("Added in the admin")
    ADMIN_CHANGED = "admin.changed", _("Changed in the admin")
    ADMIN_DELETED = "admin.deleted", _("Deleted in the admin")
    AUDIT_EXPORTED = "audit.exported", _("Audit log exported")
    AUDIT_PRUNED = "audit.pruned", _("Old audit records pruned")


class AuditRecordImmutable(Exception):
    """Raised when code tries to change or delete an audit record."""


def _refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise AuditRecordImmutable(
        "Audit records are append-only; only `manage.py audit_prune` removes old ones."
    )


class AuditRecordQuerySet(models.QuerySet["AuditRecord"]):
    update = _refuse  # type: ignore[assignment]
    delete = _refuse  # type: ignore[assignment]
    bulk_update = _refuse  # type: ignore[assignment]


class AuditRecord(models.Model):
    """One security-relevant event: actor, action, target, site, address, time. Never changed."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=48, choices=AuditAction.choices)
    # The links go empty when the person, account or site is deleted (the only change the
    # database trigger accepts); the labels keep saying who it was.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor account"),
    )
    actor_person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor"), max_length=300, blank=True)
    site = models.ForeignKey(
        "people.Site",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("site"),
    )
    # A loose reference ("app_label.model" and a primary key as text): the record outlives its
    # target, and admin log entries carry text keys.
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=255, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        indexes = [
            models.Index(fields=["action", "-created_at"], name="audit_action_time"),
            models.Index(fields=["site", "-created_at"], name="audit_site_time"),
            models.Index(fields=["actor_person", "-created_at"], name="audit_actor_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            _refuse()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()
