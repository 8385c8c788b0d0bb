"""Analytics rollups: counters and per-object facts maintained from the activity spine.

Analytics never writes to other apps. Every row here can be recomputed from the spine with
``manage.py analytics_rebuild``; ids of other apps' rows are loose references (plain integers,
0 meaning "not applicable") so a deleted practice or site never breaks a rollup.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a counter counts; ``other_site_id`` is the origin site for adoptions."""

    PRACTICE_SHARED = "practice_shared", _("Practices shared")
    TRYING = "trying", _("Sites trying a practice")
    ADOPTED = "adopted", _("Adoptions")
    ADAPTED = "adapted", _("Adaptations")
    DROPPED = "dropped", _("Practices dropped")
    POSITIVE = "positive", _("Adoptions with a positive outcome")
    ASKED = "asked", _("Questions asked")
    ANSWERED = "answered", _("Answers given")
    ANSWERED_CROSS_SITE = "answered_cross", _("Answers from another site")
    ACCEPTED = "accepted", _("Answers accepted")
    REQUESTED = "requested", _("Coaching requests")
    MATCHED = "matched", _("Coaching matches accepted")
    SESSION = "session", _("Coaching sessions scheduled")
    HELPED = "helped", _("Learners who confirmed a coach helped")
    REFLECTED = "reflected", _("Reflections")


class DailyCount(models.Model):
    """A counter per day, site, other site, topic and kind; topic 0 is the all-topics total."""

    day = models.DateField()
    site_id = models.BigIntegerField(default=0)
    other_site_id = models.BigIntegerField(default=0)
    topic_id = models.BigIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "site_id", "other_site_id", "topic_id", "kind"],
                name="analytics_dailycount_key",
            )
        ]
        # No other index: dashboards read Tally and WeeklyCount; every index here would slow the
        # rebuild's million-row insert for no reader.

    def __str__(self) -> str:
        return f"{self.day} {self.kind} site={self.site_id} topic={self.topic_id}: {self.count}"


class Participant(models.Model):
    """A distinct person behind a group of counters: the privacy threshold counts these rows."""

    kind = models.CharField(max_length=20, choices=Kind.choices)
    site_id = models.BigIntegerField(default=0)
    other_site_id = models.BigIntegerField(default=0)
    topic_id = models.BigIntegerField(default=0)
    person_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "site_id", "other_site_id", "topic_id", "person_id"],
                name="analytics_participant_key",
            )
        ]
        # Only the key: dashboards read GroupSize, the fold looks participants up by the key.

    def __str__(self) -> str:
        return f"{self.kind} site={self.site_id} person={self.person_id}"


# ``-1`` in a site dimension of the all-time rollups below means "every site" (0 stays "none").
ALL = -1
# ``Participant.kind`` of the rows that count a person once whatever they did.
ANY_KIND = "*"


class Tally(models.Model):
    """An all-time counter per kind, site, other site and topic; ``ALL`` (-1) sums a dimension.

    Dashboards read these few thousand rows instead of summing years of ``DailyCount``. Besides the
    ``Kind`` counters it holds the states dashboards need as shares (first answers, matches across
    sites, adoptions whose latest outcome is positive, which may go down again).
    """

    kind = models.CharField(max_length=24)
    site_id = models.BigIntegerField(default=0)
    other_site_id = models.BigIntegerField(default=0)
    topic_id = models.BigIntegerField(default=0)
    count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("tally")
        verbose_name_plural = _("tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "site_id", "other_site_id", "topic_id"], name="analytics_tally_key"
            )
        ]
        # Lists per site or per site pair for one topic (flows, what each site gave and took).
        indexes = [
            models.Index(
                # Covering (count last): a list of site pairs never touches the table.
                fields=["kind", "topic_id", "other_site_id", "site_id", "count"],
                name="analytics_tally_topic",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} site={self.site_id} other={self.other_site_id}: {self.count}"


class GroupSize(models.Model):
    """Distinct people behind a ``Participant`` group: the privacy threshold reads it."""

    kind = models.CharField(max_length=24)
    site_id = models.BigIntegerField(default=0)
    other_site_id = models.BigIntegerField(default=0)
    topic_id = models.BigIntegerField(default=0)
    people = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("group size")
        verbose_name_plural = _("group sizes")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "site_id", "other_site_id", "topic_id"],
                name="analytics_groupsize_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["kind", "topic_id", "other_site_id", "site_id", "people"],
                name="analytics_groupsize_topic",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} site={self.site_id} topic={self.topic_id}: {self.people} people"


class DurationBucket(models.Model):
    """A log-spaced histogram bucket of durations (hours to a first answer, to a coach…).

    Additive like a counter; ``total_ms`` makes a bucket's representative the mean of its members,
    exact whenever a bucket holds one distinct value.
    """

    kind = models.CharField(max_length=24)
    site_id = models.BigIntegerField(default=0)
    topic_id = models.BigIntegerField(default=0)
    bucket = models.IntegerField()
    count = models.BigIntegerField(default=0)
    total_ms = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("duration bucket")
        verbose_name_plural = _("duration buckets")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "site_id", "topic_id", "bucket"], name="analytics_duration_key"
            )
        ]
        # Both covering (bucket and sums included): a table of histograms per site or per topic
        # reads thousands of buckets, and a lookup into the table for each cost most of the page.
        indexes = [
            models.Index(
                fields=["kind", "topic_id", "site_id", "bucket", "count", "total_ms"],
                name="analytics_duration_by_site",
            ),
            models.Index(
                fields=["kind", "site_id", "topic_id", "bucket", "count", "total_ms"],
                name="analytics_duration_by_topic",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} site={self.site_id} bucket={self.bucket}: {self.count}"


class WeeklyCount(models.Model):
    """Adoptions per week (Monday), per adopting site and topic, with ``ALL`` sums: the curves."""

    week = models.DateField()
    site_id = models.BigIntegerField(default=0)
    topic_id = models.BigIntegerField(default=0)
    kind = models.CharField(max_length=24)
    count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("weekly count")
        verbose_name_plural = _("weekly counts")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "site_id", "topic_id", "week"], name="analytics_weekly_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.kind} site={self.site_id}: {self.count}"


class FoldCursor(models.Model):
    """The last activity folded into the rollups (one row): the fold resumes after it."""

    last_activity_id = models.BigIntegerField(default=0)
    folded_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("fold cursor")
        verbose_name_plural = _("fold cursors")

    def __str__(self) -> str:
        return f"folded up to activity {self.last_activity_id}"


class PracticeFact(models.Model):
    """One shared practice: where it came from, when, and when another site first adopted it."""

    practice_id = models.BigIntegerField(unique=True)
    origin_site_id = models.BigIntegerField(default=0)
    shared_at = models.DateTimeField(null=True)
    first_adopted_elsewhere_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("practice fact")
        verbose_name_plural = _("practice facts")

    def __str__(self) -> str:
        return f"practice {self.practice_id}"


class AdoptionFact(models.Model):
    """A (practice, adopting site) pair: first seen, first adopted, latest status and outcome."""

    practice_id = models.BigIntegerField()
    site_id = models.BigIntegerField()
    origin_site_id = models.BigIntegerField(default=0)
    first_seen_at = models.DateTimeField()
    adopted_at = models.DateTimeField(null=True)
    status = models.CharField(max_length=10)
    positive = models.BooleanField(null=True)
    adapted = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("adoption fact")
        verbose_name_plural = _("adoption facts")
        constraints = [
            models.UniqueConstraint(
                fields=["practice_id", "site_id"], name="analytics_adoption_key"
            )
        ]

    def __str__(self) -> str:
        return f"practice {self.practice_id} at site {self.site_id}: {self.status}"


class QuestionFact(models.Model):
    """A question asked: where, when, and when (and from where) it was first answered."""

    question_id = models.BigIntegerField(unique=True)
    site_id = models.BigIntegerField(default=0)
    topic_ids = models.JSONField(default=list)
    asked_at = models.DateTimeField()
    first_answer_at = models.DateTimeField(null=True)
    first_answer_cross_site = models.BooleanField(null=True)
    any_cross_site_answer = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("question fact")
        verbose_name_plural = _("question facts")
        indexes = [models.Index(fields=["site_id", "asked_at"], name="analytics_question_site")]

    def __str__(self) -> str:
        return f"question {self.question_id}"


class RequestFact(models.Model):
    """A coaching request: when it was asked, matched, served, and whether help was confirmed."""

    request_id = models.BigIntegerField(unique=True)
    site_id = models.BigIntegerField(default=0)
    topic_id = models.BigIntegerField(default=0)
    requested_at = models.DateTimeField()
    matched_at = models.DateTimeField(null=True)
    coach_id = models.BigIntegerField(default=0)
    coach_site_id = models.BigIntegerField(default=0)
    sessions = models.IntegerField(default=0)
    helped = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("coaching request fact")
        verbose_name_plural = _("coaching request facts")

    def __str__(self) -> str:
        return f"request {self.request_id}"


class XapiStatement(models.Model):
    """An xAPI statement waiting for (or delivered to) the Learning Record Store."""

    activity_id = models.BigIntegerField(unique=True)
    statement_id = models.UUIDField(unique=True)
    statement = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("xAPI statement")
        verbose_name_plural = _("xAPI statements")
        indexes = [models.Index(fields=["sent_at", "id"], name="analytics_xapi_pending")]

    def __str__(self) -> str:
        return str(self.statement_id)


class RecognitionSetting(models.Model):
    """The administrator's switch for named recognition (one row; none = the setting's default)."""

    named_recognition = models.BooleanField(default=False)
    changed_by = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("recognition setting")
        verbose_name_plural = _("recognition settings")

    def __str__(self) -> str:
        return f"named recognition {'on' if self.named_recognition else 'off'}"
