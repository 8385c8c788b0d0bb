"""Questions asked to the network, their answers, comments, helpful marks and routing offers."""

from __future__ import annotations

from django.core.validators import MinLengthValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pollinate.people.models import LANGUAGE_CHOICES, Person, Site, Topic

TITLE_MAX = 200
BODY_MAX = 10_000
COMMENT_MAX = 2_000


class QuestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class CloseReason(models.TextChoices):
    DUPLICATE = "duplicate", _("Duplicate of another question")
    PRACTICE = "practice", _("Answered by a practice")


class QuestionQuerySet(models.QuerySet["Question"]):
    def open(self) -> QuestionQuerySet:
        return self.filter(status=QuestionStatus.OPEN)

    def for_site(self, site: Site) -> QuestionQuerySet:
        return self.filter(site=site)


class Question(models.Model):
    """A member's question to the network, with topics, equipment and an optional photo."""

    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="questions")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="questions")
    title = models.CharField(
        _("question"), max_length=TITLE_MAX, validators=[MinLengthValidator(8)]
    )
    body = models.TextField(_("details"), max_length=BODY_MAX, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES, default="en")
    topics: models.ManyToManyField[Topic, QuestionTopic] = models.ManyToManyField(
        Topic, through="QuestionTopic", related_name="questions", verbose_name=_("topics")
    )
    equipment = models.JSONField(_("equipment"), default=list, blank=True)
    photo = models.ImageField(_("photo"), upload_to="questions/", blank=True)
    status = models.CharField(
        max_length=10, choices=QuestionStatus.choices, default=QuestionStatus.OPEN
    )
    close_reason = models.CharField(max_length=10, choices=CloseReason.choices, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    # A loose reference (id) so questions do not depend on the practices app's schema.
    practice_id = models.BigIntegerField(null=True, blank=True)
    accepted_answer = models.OneToOneField(
        "Answer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Denormalised so list pages and "unanswered" filters never count rows per question.
    answer_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [
            # The "All" tab: newest first without sorting the whole table.
            models.Index(fields=["-created_at", "-id"], name="question_recent"),
            models.Index(fields=["status", "-created_at"], name="question_status_recent"),
            models.Index(fields=["site", "status", "-created_at"], name="question_site_status"),
            models.Index(fields=["author", "-created_at"], name="question_author_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(close_reason="") | Q(status="closed"),
                name="question_close_reason_only_when_closed",
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=models.F("id")), name="question_not_duplicate_of_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("questions:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == QuestionStatus.OPEN


class QuestionTopic(models.Model):
    """A question's topic; carries the question's state so "I could answer" is one index scan."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="topic_links")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="question_links")
    # Copies of the question's status and date, kept in step by the services that change them.
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "topic"], name="question_topic_unique")
        ]
        indexes = [
            models.Index(fields=["topic", "is_open", "-created_at"], name="qtopic_open_recent"),
            # Routing reads the newest questions of a topic, open or not.
            models.Index(fields=["topic", "-created_at"], name="qtopic_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id} · {self.topic_id}"


class Answer(models.Model):
    """An answer to a question; at most one per question is accepted."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="answers")
    body = models.TextField(_("answer"), max_length=BODY_MAX)
    is_accepted = models.BooleanField(default=False)
    # True when the answerer worked at another site than the asker when answering.
    is_cross_site = models.BooleanField(default=False)
    helpful_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_accepted", "-helpful_count", "created_at", "id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [
            models.Index(fields=["question", "created_at"], name="answer_question_created"),
            models.Index(fields=["author", "is_accepted"], name="answer_author_accepted"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["question"], condition=Q(is_accepted=True), name="answer_one_accepted"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} on {self.question_id}"

    def get_absolute_url(self) -> str:
        return f"{reverse('questions:detail', args=[self.question_id])}#answer-{self.pk}"


class AnswerHelpful(models.Model):
    """One person's "this helped me" mark on an answer."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="helpful_marks")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "person"], name="helpful_once_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.answer_id}"


class Comment(models.Model):
    """A short comment under an answer: a follow-up, a clarification, a thank-you."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(_("comment"), max_length=COMMENT_MAX)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"comment {self.pk} on answer {self.answer_id}"


class RoutingReason(models.TextChoices):
    ROUTED = "routed", _("Likely to know")
    ESCALATED = "escalated", _("Escalated: still unanswered")


class QuestionOffer(models.Model):
    """A question offered to a person likely to answer it (routing or escalation), with why."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="offers")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="question_offers")
    kind = models.CharField(max_length=10, choices=RoutingReason.choices)
    score = models.FloatField(default=0)
    explanation = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "person"], name="offer_once_per_person")
        ]
        indexes = [models.Index(fields=["person", "-created_at"], name="offer_person_recent")]

    def __str__(self) -> str:
        return f"{self.question_id} → {self.person_id}"
