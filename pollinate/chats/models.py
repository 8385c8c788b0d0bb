"""Live chats: scheduled, hosted conversations with numbered prompts, answers and reactions."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pollinate.people.models import LANGUAGE_CHOICES, Person, Site, Topic


class ChatVisibility(models.TextChoices):
    ORGANISATION = "organisation", _("Everyone in the organisation")
    SITE = "site", _("People at the host's site")
    PRIVATE = "private", _("Invited people only")


class ChatState(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    LIVE = "live", _("Live now")
    ENDED = "ended", _("Ended")


class Chat(models.Model):
    """A scheduled, hosted live chat with prepared prompts; its messages become the transcript."""

    title = models.CharField(_("title"), max_length=160)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="chats_created")
    hosts = models.ManyToManyField(Person, related_name="chats_hosted", verbose_name=_("hosts"))
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="chats")
    visibility = models.CharField(
        _("who can join"),
        max_length=20,
        choices=ChatVisibility.choices,
        default=ChatVisibility.ORGANISATION,
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES, default="en")
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="chats", verbose_name=_("topics")
    )
    is_locked = models.BooleanField(_("locked"), default=False)
    # The sequence number of the last stored message; the next one takes last_seq + 1 under the
    # chat row's lock, which is what makes sequence numbers gap-free per room.
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("live chat")
        verbose_name_plural = _("live chats")
        indexes = [models.Index(fields=["starts_at"]), models.Index(fields=["site", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="chat_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("chats:detail", args=[self.pk])

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The chat must end after it starts.")})
        if self.starts_at and self.ends_at and self.ends_at - self.starts_at > timedelta(hours=12):
            raise ValidationError({"ends_at": _("A live chat lasts at most 12 hours.")})

    @property
    def state(self) -> str:
        now = timezone.now()
        if now < self.starts_at:
            return ChatState.UPCOMING
        if now < self.ends_at:
            return ChatState.LIVE
        return ChatState.ENDED

    @property
    def state_label(self) -> str:
        return str(ChatState(self.state).label)

    @property
    def is_live(self) -> bool:
        return self.state == ChatState.LIVE

    @property
    def has_ended(self) -> bool:
        return self.state == ChatState.ENDED

    @property
    def room_group(self) -> str:
        return f"chat.{self.pk}"


class ChatPrompt(models.Model):
    """A numbered prompt (Q1, Q2…) prepared in advance and released by a host during the chat."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="prompts")
    number = models.PositiveSmallIntegerField(_("number"))
    body = models.TextField(_("prompt"), max_length=1000)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["chat", "number"]
        verbose_name = _("prompt")
        verbose_name_plural = _("prompts")
        constraints = [
            models.UniqueConstraint(fields=["chat", "number"], name="chat_prompt_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="chat_prompt_number_positive"),
        ]

    def __str__(self) -> str:
        return f"Q{self.number}. {self.body[:60]}"

    @property
    def label(self) -> str:
        return f"Q{self.number}"


class Rsvp(models.TextChoices):
    GOING = "going", _("Going")
    MAYBE = "maybe", _("Maybe")
    DECLINED = "declined", _("Not going")


class ChatParticipant(models.Model):
    """A person's relation to a chat: invitation, RSVP, mute, reminders sent."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="chat_participations")
    is_invited = models.BooleanField(default=False)
    rsvp = models.CharField(_("RSVP"), max_length=10, choices=Rsvp.choices, blank=True)
    muted_at = models.DateTimeField(null=True, blank=True)
    muted_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Reminders are idempotent: a reminder is sent once, then its time is recorded here.
    reminded_day_at = models.DateTimeField(null=True, blank=True)
    reminded_soon_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["chat", "person"], name="chat_participant_unique")
        ]
        indexes = [models.Index(fields=["person", "rsvp"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.chat}"


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    PROMPT = "prompt", _("Prompt")
    NOTICE = "notice", _("Notice")


class ChatMessage(models.Model):
    """One stored room event: a message or answer, a released prompt, or a room notice."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    author = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="chat_messages"
    )
    prompt = models.ForeignKey(
        ChatPrompt, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    body = models.TextField(max_length=2000)
    # Generated by the sending client, so a resend after a dropped connection is recognised.
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reaction_count = models.PositiveIntegerField(default=0)
    # The practice draft this answer was promoted to (its address).
    promoted_to = models.CharField(max_length=80, blank=True)
    # The collection episode it was added to as an item (its address); the item's commentary
    # quotes the answer and links back to it in the transcript.
    collected_to = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["chat", "seq"]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        constraints = [
            models.UniqueConstraint(fields=["chat", "seq"], name="chat_message_seq_unique"),
            models.UniqueConstraint(
                fields=["chat", "author", "client_id"],
                condition=~Q(client_id=""),
                name="chat_message_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.body[:60]}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class ChatReaction(models.Model):
    """A person's reaction to a message (one per emoji)."""

    message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="reactions")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="chat_reactions")
    emoji = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "person", "emoji"], name="chat_reaction_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.emoji} {self.person}"
