"""Writing audit records, and the signal receivers that decide which events are written.

Each record is written inside the transaction of the action it records (model signals and the
activity spine's ``post_save`` fire inside it), in a savepoint of its own: if the audit write
fails, it is logged and the action goes on. An action rolled back takes its record with it.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from axes.helpers import get_client_ip_address
from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from pollinate.audit.models import AuditAction, AuditRecord
from pollinate.chats.models import MessageKind
from pollinate.people.models import ApiToken, Invitation, Person, Role, RoleName, Site, User

logger = logging.getLogger(__name__)

USER_AGENT_MAX = 255
LABEL_MAX = 200
DETAIL_TEXT_MAX = 500

# The request being answered on this thread or task, for receivers whose signal carries none
# (model signals, admin log entries). Set by AuditRequestMiddleware.
_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)

Receiver = TypeVar("Receiver", bound=Callable[..., None])


@contextmanager
def audit_request_bound(request: HttpRequest) -> Iterator[None]:
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def request_current() -> HttpRequest | None:
    return _current_request.get()


def client_ip(request: HttpRequest | None) -> str | None:
    """The client address exactly as django-axes sees it (AXES_* settings), or None."""
    if request is None:
        return None
    address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    try:
        return str(ipaddress.ip_address(str(address))) if address else None
    except ValueError:
        return None


def _person_of(user: Any) -> Person | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return Person.objects.select_related("site").get(user_id=user.pk)
    except Person.DoesNotExist:
        return None


def actor_label(*, user: Any = None, person: Person | None = None) -> str:
    email = getattr(user, "email", "") or (person.user.email if person is not None else "")
    if person is not None:
        return f"{person.display_name} <{email}>"[:300]
    return str(email)[:300]


def _short(value: Any) -> Any:
    if isinstance(value, str):
        return value[:DETAIL_TEXT_MAX]
    if isinstance(value, dict):
        return {str(k)[:64]: _short(v) for k, v in list(value.items())[:20]}
    if isinstance(value, list):
        return [_short(v) for v in value[:20]]
    return value


def audit_record(
    *,
    action: str,
    request: HttpRequest | None = None,
    actor_user: Any = None,
    actor_person: Person | None = None,
    label: str | None = None,
    site: Site | int | None = None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    target_label: str = "",
    details: dict[str, Any] | None = None,
) -> AuditRecord | None:
    """Appends one audit record; never raises (a failure is logged, the action goes on).

    The request defaults to the one being answered; actor, site and labels are filled in from
    each other where they are missing: a person gives their account and site.
    """
    try:
        with transaction.atomic():
            return _write(
                action=action,
                request=request if request is not None else request_current(),
                actor_user=actor_user,
                actor_person=actor_person,
                label=label,
                site=site,
                target=target,
                target_type=target_type,
                target_id=target_id,
                target_label=target_label,
                details=details,
            )
    except Exception:
        logger.exception("could not write the audit record for %s", action)
        return None


def _write(
    *,
    action: str,
    request: HttpRequest | None,
    actor_user: Any,
    actor_person: Person | None,
    label: str | None,
    site: Site | int | None,
    target: models.Model | None,
    target_type: str,
    target_id: str | int,
    target_label: str,
    details: dict[str, Any] | None,
) -> AuditRecord:
    if actor_user is not None and not getattr(actor_user, "is_authenticated", False):
        actor_user = None
    if actor_person is None and actor_user is not None:
        actor_person = _person_of(actor_user)
    if actor_user is None and actor_person is not None:
        actor_user = actor_person.user
    if site is None and actor_person is not None:
        site = actor_person.site_id
    if target is not None:
        meta = target._meta
        target_type = target_type or f"{meta.app_label}.{meta.model_name}"
        target_id = target_id or str(target.pk)
        target_label = target_label or str(target)
    user_agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    if label is None:
        label = actor_label(user=actor_user, person=actor_person)
    return AuditRecord.objects.create(
        action=action,
        actor_user=actor_user,
        actor_person=actor_person,
        actor_label=label,
        site_id=site.pk if isinstance(site, Site) else site,
        target_type=target_type[:64],
        target_id=str(target_id)[:64],
        target_label=str(target_label)[:LABEL_MAX],
        ip_address=client_ip(request),
        user_agent=str(user_agent)[:USER_AGENT_MAX],
        details=_short(details or {}),
    )


def _never_breaks(receiver: Receiver) -> Receiver:
    """A receiver's own lookups run in a savepoint too: nothing it does can break the action."""

    @wraps(receiver)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            with transaction.atomic():
                receiver(*args, **kwargs)
        except Exception:
            logger.exception("audit receiver %s failed", receiver.__name__)

    return wrapper  # type: ignore[return-value]


def _context_actor() -> Any:
    request = request_current()
    return getattr(request, "user", None) if request is not None else None


# --- sign-in, sign-out -------------------------------------------------------------------------


@_never_breaks
def on_user_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit_record(action=AuditAction.SIGNIN_SUCCEEDED, request=request, actor_user=user)


@_never_breaks
def on_user_logged_out(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    audit_record(action=AuditAction.SIGNOUT, request=request, actor_user=user)


@_never_breaks
def on_user_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """One record per failed attempt; django-axes' receiver runs first and flags a lockout."""
    email = str(credentials.get("username") or credentials.get("email") or "")[:254]
    user = User.objects.filter(email__iexact=email).first() if email else None
    person = _person_of(user)
    throttled = bool(getattr(request, "pollinate_account_throttled", False))
    locked_out = throttled or bool(getattr(request, "axes_locked_out", False))
    details: dict[str, Any] = {"account_exists": user is not None}
    if throttled:
        details["account_hourly_cap"] = True
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is not None:
        details["failures"] = failures
    audit_record(
        action=AuditAction.SIGNIN_LOCKED_OUT if locked_out else AuditAction.SIGNIN_FAILED,
        request=request,
        # Nobody is signed in: the attempted account is the target, never the actor.
        label="",
        site=person.site_id if person is not None else None,
        target=user,
        target_label=email,
        details=details,
    )


# --- password reset (no signal: the request middleware reports finished reset views) ----------


def audit_password_reset(request: HttpRequest, response: HttpResponseBase) -> None:
    """Called for every response; records successful password-reset steps (a redirect)."""
    match = getattr(request, "resolver_match", None)
    if request.method != "POST" or match is None or response.status_code != 302:
        return
    if match.view_name == "people:password_reset":
        _password_reset_requested(request)
    elif match.view_name == "people:password_reset_confirm":
        _password_reset_completed(request, str(match.kwargs.get("uidb64", "")))


@_never_breaks
def _password_reset_requested(request: HttpRequest) -> None:
    email = str(request.POST.get("email", "")).strip()[:254]
    user = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
    person = _person_of(user)
    audit_record(
        action=AuditAction.PASSWORD_RESET_REQUESTED,
        request=request,
        label="",
        site=person.site_id if person is not None else None,
        target=user,
        target_label=email,
        details={"account_exists": user is not None},
    )


@_never_breaks
def _password_reset_completed(request: HttpRequest, uidb64: str) -> None:
    try:
        user_id = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError):
        return
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        audit_record(
            action=AuditAction.PASSWORD_RESET_COMPLETED,
            request=request,
            actor_user=user,
            target=user,
        )


# --- invitations, roles, API tokens ------------------------------------------------------------


@_never_breaks
def on_invitation_saved(
    sender: Any,
    instance: Invitation,
    created: bool,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    if created:
        audit_record(
            action=AuditAction.INVITATION_SENT,
            actor_person=instance.invited_by,
            actor_user=None if instance.invited_by_id else _context_actor(),
            site=instance.site_id,
            target=instance,
            target_label=instance.email,
        )
    elif update_fields and "accepted_at" in update_fields and instance.accepted_at is not None:
        person = (
            Person.objects.select_related("user").filter(user__email__iexact=instance.email).first()
        )
        audit_record(
            action=AuditAction.INVITATION_ACCEPTED,
            actor_person=person,
            site=instance.site_id,
            target=instance,
            target_label=instance.email,
        )


def _role_details(role: Role) -> dict[str, Any]:
    site = None
    if role.site_id is not None:
        site = Site.objects.filter(pk=role.site_id).values_list("code", flat=True).first()
    return {"role": role.role, "site": site}


@_never_breaks
def on_role_saved(sender: Any, instance: Role, created: bool, **kwargs: Any) -> None:
    if created:
        _role_record(AuditAction.ROLE_GRANTED, instance)


@_never_breaks
def on_role_deleted(sender: Any, instance: Role, **kwargs: Any) -> None:
    _role_record(AuditAction.ROLE_REVOKED, instance)


def _role_record(action: str, role: Role) -> None:
    person = Person.objects.filter(pk=role.person_id).first()
    audit_record(
        action=action,
        # The signed-in person whose request changed the role (the admin, or a service called
        # from a page); "" when a command or the shell did it.
        actor_user=_context_actor(),
        site=role.site_id or (person.site_id if person is not None else None),
        target_type="people.person",
        target_id=role.person_id,
        target_label=person.display_name if person is not None else "",
        details={**_role_details(role), "administrator": role.role == RoleName.ADMINISTRATOR},
    )


@_never_breaks
def on_api_token_saved(sender: Any, instance: ApiToken, created: bool, **kwargs: Any) -> None:
    if created:
        _api_token_record(AuditAction.API_TOKEN_CREATED, instance)


@_never_breaks
def on_api_token_deleted(sender: Any, instance: ApiToken, **kwargs: Any) -> None:
    _api_token_record(AuditAction.API_TOKEN_REVOKED, instance)


def _api_token_record(action: str, token: ApiToken) -> None:
    owner = Person.objects.select_related("user").filter(pk=token.person_id).first()
    context_user = _context_actor()
    audit_record(
        action=action,
        actor_user=context_user if context_user is not None else (owner.user if owner else None),
        site=owner.site_id if owner is not None else None,
        target=token,
        target_label=f"{token.name} ({owner.display_name if owner else '?'})",
        details={"owner_id": token.person_id},
    )


# --- moderation, from the activity spine -------------------------------------------------------


def _not_the_asker(activity: Any) -> bool:
    return activity.payload.get("question_author_id") != activity.actor_id


def _not_the_author(activity: Any) -> bool:
    model = apps.get_model(activity.object_type)
    author_id = model._default_manager.filter(pk=activity.object_id).values_list(
        "author_id", flat=True
    )
    return bool(author_id) and author_id[0] != activity.actor_id


def _actor_is_moderator(activity: Any) -> bool:
    actor = activity.actor
    return actor is not None and actor.has_role(RoleName.MODERATOR)


# Verb → (audit action, whether this occurrence is moderation). Verbs the owner also uses on
# their own content are recorded only when someone else acted (or, for comments, whose author
# is gone by then, only when the actor holds the moderator role).
MODERATION_VERBS: dict[str, tuple[str, Callable[[Any], bool] | None]] = {
    "chat.message_hidden": (AuditAction.CHAT_MESSAGE_HIDDEN, None),
    "chat.participant_muted": (AuditAction.CHAT_PARTICIPANT_MUTED, None),
    "chat.participant_unmuted": (AuditAction.CHAT_PARTICIPANT_UNMUTED, None),
    "question.closed": (AuditAction.QUESTION_CLOSED, _not_the_asker),
    "answer.accepted": (AuditAction.ANSWER_ACCEPTED, _not_the_asker),
    "question.deleted": (AuditAction.QUESTION_DELETED, _not_the_author),
    "answer.deleted": (AuditAction.ANSWER_DELETED, _not_the_author),
    "practice.retired": (AuditAction.PRACTICE_RETIRED, None),
    "practice.comment_removed": (AuditAction.PRACTICE_COMMENT_REMOVED, _actor_is_moderator),
}


def on_activity_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Runs inside the service's transaction (post_save of the spine's row, not its dispatch).

    Most verbs are not audited: they are let go before any query or savepoint.
    """
    if created and instance.verb in MODERATION_VERBS:
        _activity_record(instance)


@_never_breaks
def _activity_record(activity: Any) -> None:
    action, applies = MODERATION_VERBS[activity.verb]
    if applies is not None and not applies(activity):
        return
    model = apps.get_model(activity.object_type)
    target = model._default_manager.filter(pk=activity.object_id).first()
    audit_record(
        action=action,
        actor_person=activity.actor,
        site=activity.site_id,
        target=target,
        target_type=activity.object_type,
        target_id=activity.object_id,
        details=_short({k: v for k, v in activity.payload.items() if k != "url"}),
    )


def on_chat_message_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Locking a chat writes no activity, only a notice in the room: the notice is the hook.

    Chat messages are the hottest write there is: anything but a new notice returns at once.
    """
    if created and instance.kind == MessageKind.NOTICE:
        _chat_notice_record(instance)


@_never_breaks
def _chat_notice_record(message: Any) -> None:
    chat = message.chat
    audit_record(
        action=AuditAction.CHAT_LOCKED if chat.is_locked else AuditAction.CHAT_UNLOCKED,
        actor_person=message.author,
        site=chat.site_id,
        target=chat,
    )


# --- the Django admin --------------------------------------------------------------------------

_ADMIN_ACTIONS = {
    ADDITION: AuditAction.ADMIN_ADDED,
    CHANGE: AuditAction.ADMIN_CHANGED,
    DELETION: AuditAction.ADMIN_DELETED,
}


# Admin log entries already audited during this request (see audit_admin_entries_since).
_admin_entries_audited: ContextVar[set[int] | None] = ContextVar("audit_admin", default=None)


@_never_breaks
def on_admin_log_entry_saved(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if created:
        _admin_entry_record(instance)


def _admin_entry_record(entry: LogEntry) -> None:
    audited = _admin_entries_audited.get()
    if audited is not None:
        if entry.pk in audited:
            return
        audited.add(entry.pk)
    content_type = (
        ContentType.objects.get_for_id(entry.content_type_id) if entry.content_type_id else None
    )
    audit_record(
        action=_ADMIN_ACTIONS.get(entry.action_flag, AuditAction.ADMIN_CHANGED),
        actor_user=entry.user,
        target_type=f"{content_type.app_label}.{content_type.model}" if content_type else "",
        target_id=entry.object_id or "",
        target_label=entry.object_repr,
        details={"change": entry.get_change_message(), "log_entry": entry.pk},
    )


def admin_log_entry_last_id() -> int:
    return int(LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)


@contextmanager
def admin_entries_tracked() -> Iterator[None]:
    token = _admin_entries_audited.set(set())
    try:
        yield
    finally:
        _admin_entries_audited.reset(token)


@_never_breaks
def audit_admin_entries_since(request: HttpRequest, last_id: int) -> None:
    """Audits admin log entries this request wrote without a post_save signal.

    Django's admin writes several entries at once with ``bulk_create`` (the "delete selected"
    action on two or more rows), which sends no signal; the request middleware calls this after
    every admin POST so those entries are audited too, once each.
    """
    user_id = getattr(request.user, "pk", None)
    if user_id is None:
        return
    entries = LogEntry.objects.filter(pk__gt=last_id, user_id=user_id).select_related("user")
    for entry in entries.order_by("pk"):
        _admin_entry_record(entry)
