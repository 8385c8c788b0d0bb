from __future__ import annotations

from pollinate.questions.services import questions_escalate_due


def questions_escalate() -> int:
    """Periodic task (cron or the task worker): escalate questions nobody answered in time."""
    return questions_escalate_due()
