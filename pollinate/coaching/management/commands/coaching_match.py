from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from pollinate.coaching.models import CoachingRequest, RequestStatus
from pollinate.coaching.services import matches_assign_batch, matches_expire


class Command(BaseCommand):
    help = "Expire unanswered proposals (asking the next best coach) and match all open requests."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = matches_expire()
        open_requests = list(
            CoachingRequest.objects.filter(
                status__in=[RequestStatus.OPEN, RequestStatus.NO_MATCH]
            ).select_related("learner", "topic")
        )
        made = matches_assign_batch(actor=None, requests=open_requests)
        self.stdout.write(f"expired {expired} proposals, made {made} new proposals")
