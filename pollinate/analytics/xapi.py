"""xAPI out: learning-relevant activity as statements, batched to a Learning Record Store.

Statement ids are UUIDv5 of the activity id, so a statement built twice is the same statement and
the LRS (which refuses a second statement with a known id) can never hold a duplicate. Statements
wait in ``XapiStatement`` until the LRS accepted them; an unreachable LRS leaves them waiting and
the task retries (and the periodic flush picks up anything left).
Actors are pseudonymous accounts (the member's id on this instance), never email addresses.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from pollinate.analytics.models import XapiStatement

logger = logging.getLogger(__name__)

XAPI_VERSION = "1.0.3"
# Fixed forever: changing it would give every past activity a new statement id.
STATEMENT_NAMESPACE = uuid.UUID("6f1c2e0a-8a4e-5b7e-9d5c-1f0b7a3c2d41")
ADL = "http://adlnet.gov/expapi/verbs/"
POLLINATE = "https://w3id.org/pollinate/xapi/verbs/"
ACTIVITY_TYPES = "https://w3id.org/pollinate/xapi/activities/"


@dataclass(frozen=True)
class XapiVerb:
    iri: str
    display: str


# The documented verb set (docs/analytics.md): Pollinate verb → xAPI verb.
VERB_SET: dict[str, XapiVerb] = {
    "practice.shared": XapiVerb(f"{ADL}shared", "shared"),
    "practice.trying": XapiVerb(f"{ADL}attempted", "attempted"),
    "practice.adopted": XapiVerb(f"{POLLINATE}adopted", "adopted"),
    "practice.adapted": XapiVerb(f"{POLLINATE}adapted", "adapted"),
    "question.asked": XapiVerb(f"{ADL}asked", "asked"),
    "question.answered": XapiVerb(f"{ADL}answered", "answered"),
    "coaching.noted": XapiVerb(f"{POLLINATE}coached", "coached"),
    "coaching.helped": XapiVerb(f"{ADL}attended", "attended"),
    "coaching.feedback": XapiVerb(f"{ADL}attended", "attended"),
    "reflection.written": XapiVerb(f"{POLLINATE}reflected", "reflected"),
}


class LrsUnavailable(Exception):
    """The LRS did not accept a batch; the statements stay queued."""


def xapi_enabled() -> bool:
    return bool(settings.XAPI_ENDPOINT)


def statement_id(activity_id: int) -> uuid.UUID:
    return uuid.uuid5(STATEMENT_NAMESPACE, f"activity:{activity_id}")


def statement_build(activity: Any) -> dict[str, Any] | None:
    """The statement for one activity, or ``None`` when the verb is not learning-relevant."""
    verb = VERB_SET.get(activity.verb)
    if verb is None or activity.actor_id is None:
        return None
    base = settings.SITE_URL
    object_kind = activity.object_type.split(".")[-1]
    definition: dict[str, Any] = {"type": f"{ACTIVITY_TYPES}{object_kind}"}
    title = (activity.payload or {}).get("title")
    if activity.is_public and title:
        # Private things (reflections, coaching) never send their text to the LRS.
        definition["name"] = {"und": str(title)[:200]}
    statement: dict[str, Any] = {
        "id": str(statement_id(activity.pk)),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": base, "name": str(activity.actor_id)},
        },
        "verb": {"id": verb.iri, "display": {"en-US": verb.display}},
        "object": {
            "objectType": "Activity",
            "id": f"{base}/xapi/{activity.object_type}/{activity.object_id}",
            "definition": definition,
        },
        "timestamp": activity.created_at.isoformat(),
        "context": {
            "platform": "Pollinate",
            "extensions": {f"{ACTIVITY_TYPES}site": activity.site_id},
        },
    }
    if activity.verb in ("coaching.helped", "coaching.feedback"):
        statement["result"] = {"success": activity.verb == "coaching.helped"}
    return statement


def xapi_on_activity(activity: Any) -> None:
    """Spine subscriber: queues the statement and asks a worker to deliver it."""
    if not xapi_enabled():
        return
    statement = statement_build(activity)
    if statement is None:
        return
    from pollinate.core.tasks import task_enqueue

    _, created = XapiStatement.objects.get_or_create(
        activity_id=activity.pk,
        defaults={"statement_id": uuid.UUID(statement["id"]), "statement": statement},
    )
    if created:
        task_enqueue("pollinate.analytics.tasks.xapi_flush")


def _request(method: str, url: str, body: Any) -> tuple[int, bytes]:
    headers = {
        "Content-Type": "application/json",
        "X-Experience-API-Version": XAPI_VERSION,
    }
    if settings.XAPI_USERNAME:
        token = f"{settings.XAPI_USERNAME}:{settings.XAPI_PASSWORD}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
    request = urllib.request.Request(  # noqa: S310 -- the URL is the configured LRS
        url, data=json.dumps(body).encode(), method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.XAPI_TIMEOUT) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _statements_url(query: dict[str, str] | None = None) -> str:
    url = settings.XAPI_ENDPOINT.rstrip("/") + "/statements"
    return f"{url}?{urllib.parse.urlencode(query)}" if query else url


def _deliver(batch: list[XapiStatement]) -> None:
    """Sends a batch; a 409 (some ids already stored) falls back to one idempotent PUT each."""
    status, body = _request("POST", _statements_url(), [row.statement for row in batch])
    if status in (200, 204):  # 204: some LRSs (Ralph) answer so when every id is already stored
        return
    if status != 409:
        raise LrsUnavailable(f"LRS answered {status}: {body[:300]!r}")
    for row in batch:
        status, body = _request(
            "PUT", _statements_url({"statementId": str(row.statement_id)}), row.statement
        )
        # 204: stored now; 409: the LRS already holds a statement with this id.
        if status not in (204, 409):
            raise LrsUnavailable(f"LRS answered {status}: {body[:300]!r}")


def xapi_flush(*, batch_size: int | None = None, max_batches: int = 100) -> int:
    """Delivers waiting statements in batches, oldest first; returns how many were delivered.

    Raises :class:`LrsUnavailable` (so the task is retried) when a batch is refused or the LRS
    cannot be reached; delivered batches stay delivered.
    """
    if not xapi_enabled():
        return 0
    size = batch_size or settings.XAPI_BATCH_SIZE
    delivered = 0
    for _ in range(max_batches):
        batch = list(XapiStatement.objects.filter(sent_at=None).order_by("id")[:size])
        if not batch:
            break
        ids = [row.pk for row in batch]
        try:
            _deliver(batch)
        except (OSError, LrsUnavailable) as exc:
            for row in batch:
                row.attempts += 1
                row.last_error = str(exc)[:2000]
            XapiStatement.objects.bulk_update(batch, ["attempts", "last_error"])
            logger.warning("xAPI delivery failed, will retry: %s", exc)
            raise LrsUnavailable(str(exc)) from exc
        XapiStatement.objects.filter(pk__in=ids).update(sent_at=timezone.now(), last_error="")
        delivered += len(batch)
    return delivered
