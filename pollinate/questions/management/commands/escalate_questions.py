from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from pollinate.questions.services import questions_escalate_due


class Command(BaseCommand):
    help = "Escalates open questions nobody answered within QUESTIONS_ESCALATE_AFTER_HOURS."

    def handle(self, *args: Any, **options: Any) -> None:
        count = questions_escalate_due()
        self.stdout.write(f"Escalated {count} question(s).")
