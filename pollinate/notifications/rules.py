"""Which activities notify whom: the one place notifications are derived, from the spine only.

Each rule reads the activity's payload (services put the ids a rule needs there), so this module
never queries another app's tables. Activity about private things (``is_public=False``) notifies
nobody: a private or team reflection must not leak through an inbox or an email.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pollinate.notifications.models import NotificationKind as Kind

if TYPE_CHECKING:
    from pollinate.activity.models import Activity


def _ids(value: Any) -> list[int]:
    if isinstance(value, int):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, int)]
    return []


# verb → (kind, payload keys whose person ids receive it)
RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "question.asked": (Kind.QUESTION_OFFERED, ("offered_to",)),
    "question.escalated": (Kind.QUESTION_ESCALATED, ("escalated_to",)),
    "question.answered": (Kind.ANSWER_RECEIVED, ("question_author_id",)),
    "answer.commented": (Kind.COMMENT_RECEIVED, ("answer_author_id", "question_author_id")),
    "answer.helpful": (Kind.ANSWER_HELPFUL, ("answer_author_id",)),
    "answer.accepted": (Kind.ANSWER_ACCEPTED, ("answer_author_id",)),
    "question.closed": (Kind.QUESTION_CLOSED, ("question_author_id",)),
}

PHRASES: dict[str, str | Promise] = {
    Kind.QUESTION_OFFERED: _("%(actor)s asked a question you may know about"),
    Kind.QUESTION_ESCALATED: _("A question is still unanswered and needs you"),
    Kind.ANSWER_RECEIVED: _("%(actor)s answered your question"),
    Kind.ANSWER_ACCEPTED: _("%(actor)s accepted your answer"),
    Kind.ANSWER_HELPFUL: _("%(actor)s found your answer helpful"),
    Kind.COMMENT_RECEIVED: _("%(actor)s commented"),
    Kind.MENTIONED: _("%(actor)s mentioned you"),
    Kind.QUESTION_CLOSED: _("%(actor)s closed your question"),
}


def recipients_for(activity: Activity) -> dict[int, str]:
    """Person id → kind for one activity; the actor never notifies themself."""
    if not activity.is_public:
        return {}
    payload = activity.payload or {}
    found: dict[int, str] = {}
    rule = RULES.get(activity.verb)
    if rule is not None:
        kind, keys = rule
        for key in keys:
            for person_id in _ids(payload.get(key)):
                found.setdefault(person_id, kind)
    # Any app may name people in payload["mentions"] (practices does on comments); a mention
    # outranks the generic kind for the same person.
    for person_id in _ids(payload.get("mentions")):
        found[person_id] = Kind.MENTIONED
    found.pop(activity.actor_id or 0, None)
    return found


def phrase(kind: str, actor_name: str) -> str:
    template = PHRASES.get(kind, _("%(actor)s did something"))
    return str(template) % {"actor": actor_name or _("Someone")}


def summary(payload: dict[str, Any]) -> str:
    return str(payload.get("title") or payload.get("excerpt") or "")[:300]


def all_person_ids(rows: Iterable[int]) -> list[int]:
    return sorted(set(rows))
