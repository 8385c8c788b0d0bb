"""Question jobs: the worker escalates questions nobody answered in time, every hour at :23 UTC."""

from __future__ import annotations

from pollinate.core.tasks import task_periodic
from pollinate.questions.services import questions_escalate_due


def questions_escalate() -> int:
    """Escalates open questions unanswered for ``QUESTIONS_ESCALATE_AFTER_HOURS`` (idempotent)."""
    return questions_escalate_due()


# Hourly: escalation is due within an hour of the configured delay. Minute 23 keeps it away from
# the housekeeping run at :17 and the digests at the top of the hour.
task_periodic("pollinate.questions.tasks.questions_escalate", minute="23")
