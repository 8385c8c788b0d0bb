from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from pollinate.people.models import Person, Site, SkillLevel, Topic


class OfferStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    STEPPED_DOWN = "stepped_down", _("Stepped down")


class MeetingMode(models.TextChoices):
    ON_SITE = "on_site", _("On site (at my site)")
    REMOTE = "remote", _("Remote")
    EITHER = "either", _("Either")


class TimeSlot(models.TextChoices):
    """Coarse availability in a person's own time zone: few taps on a phone, no calendar grid."""

    WEEKDAY_EARLY = "wd_early", _("Weekdays 6–9")
    WEEKDAY_MORNING = "wd_morning", _("Weekdays 9–12")
    WEEKDAY_AFTERNOON = "wd_afternoon", _("Weekdays 12–17")
    WEEKDAY_EVENING = "wd_evening", _("Weekdays 17–21")
    WEEKDAY_NIGHT = "wd_night", _("Weekdays 21–24")
    WEEKEND = "weekend", _("Weekends 9–17")


class CoachLevel(models.TextChoices):
    APPRENTICE = "apprentice", _("Apprentice coach")
    CERTIFIED = "certified", _("Certified coach")
    MENTOR = "mentor", _("Mentor-coach")


class CoachOffer(models.Model):
    """A volunteer's offer to coach: topics, languages, capacity, availability and a pitch."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="coach_offer")
    pitch = models.TextField(_("short pitch"), max_length=500, blank=True)
    languages = models.JSONField(_("languages I coach in"), default=list)
    capacity = models.PositiveSmallIntegerField(
        _("learners at a time"), default=2, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    modes = models.JSONField(_("how I can meet"), default=list)
    time_slots = models.JSONField(_("when I am available"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=14, choices=OfferStatus.choices, default=OfferStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("coach offer")
        verbose_name_plural = _("coach offers")
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=20), name="offer_capacity_1_to_20"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("coaching:coach", args=[self.person_id])


class CoachTopic(models.Model):
    """A topic a coach offers, with their skill level and their coach level for it."""

    offer = models.ForeignKey(CoachOffer, on_delete=models.CASCADE, related_name="topics")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="coach_topics")
    level = models.PositiveSmallIntegerField(
        _("my level"), choices=SkillLevel.choices, default=SkillLevel.PROFICIENT
    )
    coach_level = models.CharField(
        _("coach level"), max_length=12, choices=CoachLevel.choices, default=CoachLevel.APPRENTICE
    )

    class Meta:
        ordering = ["topic__name"]
        verbose_name = _("coached topic")
        verbose_name_plural = _("coached topics")
        constraints = [
            models.UniqueConstraint(fields=["offer", "topic"], name="coach_topic_once"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="coach_topic_level_1_to_4"
            ),
        ]
        indexes = [models.Index(fields=["topic", "offer"])]

    def __str__(self) -> str:
        return f"{self.offer.person} · {self.topic} ({self.get_coach_level_display()})"


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Looking for a coach")
    NO_MATCH = "no_match", _("No match yet")
    PROPOSED = "proposed", _("Waiting for the coach")
    MATCHED = "matched", _("Matched")
    CLOSED = "closed", _("Closed")


class Urgency(models.IntegerChoices):
    WHENEVER = 0, _("Whenever suits")
    SOON = 1, _("In the next weeks")
    URGENT = 2, _("Urgent")


class CoachingRequest(models.Model):
    """A learner's need: topic, goal, languages, mode, urgency; private to the learner and coach."""

    learner = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="coaching_requests")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="coaching_requests")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="coaching_requests")
    goal = models.TextField(_("what I want to be able to do"), max_length=1000)
    languages = models.JSONField(_("languages I can use"), default=list)
    mode = models.CharField(
        _("how to meet"), max_length=8, choices=MeetingMode.choices, default=MeetingMode.EITHER
    )
    time_slots = models.JSONField(_("when I am available"), default=list, blank=True)
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.WHENEVER
    )
    # Practices are another app's table; the id is kept loosely so this app does not depend on it.
    practice_id = models.PositiveIntegerField(_("linked practice"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("coaching request")
        verbose_name_plural = _("coaching requests")
        indexes = [
            models.Index(fields=["site", "status"]),
            models.Index(fields=["learner", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.topic}"

    def get_absolute_url(self) -> str:
        return reverse("coaching:request", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status != RequestStatus.CLOSED


class MatchStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("No answer in time")
    CANCELLED = "cancelled", _("Cancelled")


class Match(models.Model):
    """A proposed or accepted pairing of a request with a coach, with its explanation."""

    request = models.ForeignKey(CoachingRequest, on_delete=models.CASCADE, related_name="matches")
    coach = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="coaching_matches")
    status = models.CharField(
        _("status"), max_length=10, choices=MatchStatus.choices, default=MatchStatus.PROPOSED
    )
    score = models.FloatField(default=0.0)
    # The engine's reasons, [{"code", "points", "params"}], so the explanation shown later is the
    # one that justified the proposal.
    reasons = models.JSONField(default=list)
    decline_reason = models.CharField(_("reason"), max_length=300, blank=True)
    proposed_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    learner_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at"]
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        constraints = [
            # One live pairing per request: a second proposal while one is pending is a bug.
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status__in=["proposed", "accepted"]),
                name="match_one_live_per_request",
            )
        ]
        indexes = [models.Index(fields=["coach", "status"])]

    def __str__(self) -> str:
        return f"{self.request} → {self.coach} ({self.status})"


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class CoachingSession(models.Model):
    """A scheduled coaching meeting, with the coach's notes; an apprentice may co-lead."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        default=45,
        validators=[MinValueValidator(10), MaxValueValidator(240)],
    )
    where = models.CharField(_("where or link"), max_length=300, blank=True)
    co_coach = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="co_led_sessions",
        verbose_name=_("apprentice co-leading"),
    )
    notes = models.TextField(_("session notes"), max_length=4000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    sequence = models.PositiveIntegerField(default=0)  # iCalendar SEQUENCE for updates
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("coaching session")
        verbose_name_plural = _("coaching sessions")

    def __str__(self) -> str:
        return f"{self.match.request} · {self.starts_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("coaching:session", args=[self.pk])


class Feedback(models.Model):
    """The learner's feedback on a session: what they can now do, a rating, confirmed help."""

    session = models.OneToOneField(
        CoachingSession, on_delete=models.CASCADE, related_name="feedback"
    )
    can_now_do = models.TextField(_("what I can now do"), max_length=1000)
    rating = models.PositiveSmallIntegerField(
        _("how useful was it"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    helped = models.BooleanField(_("this helped me do something at work"), default=False)
    helped_with = models.CharField(_("it helped me to…"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.rating}"


class Certification(models.Model):
    """A mentor-coach's sign-off that a coach is certified for a topic, against the checklist."""

    coach = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="certifications")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="certifications")
    signed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    checklist = models.JSONField(default=list)
    note = models.CharField(_("note"), max_length=300, blank=True)
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-signed_at"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        constraints = [
            models.UniqueConstraint(fields=["coach", "topic"], name="certification_once"),
            models.CheckConstraint(
                condition=~Q(coach=models.F("signed_by")), name="certification_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coach} · {self.topic}"


# The checklist a mentor-coach ticks before signing off a certification.
CERTIFICATION_CHECKLIST: list[tuple[str, StrOrPromise]] = [
    ("co_led", _("Co-led at least two sessions with a certified coach")),
    ("goal", _("Helps the learner state a goal they can check")),
    ("demonstrates", _("Demonstrates on real work, then lets the learner do it")),
    ("feedback", _("Received learner feedback confirming help")),
    ("safety", _("Knows the safety rules that apply to the topic")),
]
