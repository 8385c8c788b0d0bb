"""Writes about people, sites, topics, roles and invitations: one transaction each."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pollinate.activity.services import activity_record
from pollinate.core.images import image_reencode
from pollinate.people.models import (
    ApiToken,
    Invitation,
    Person,
    Role,
    RoleName,
    Site,
    Skill,
    Topic,
    User,
)
from pollinate.people.selectors import people_counts_changed

PROFILE_FIELDS = (
    "display_name",
    "job_title",
    "team",
    "languages",
    "time_zone",
    "bio",
    "interface_language",
)


def person_create(
    *,
    email: str,
    password: str | None,
    display_name: str,
    site: Site,
    time_zone: str | None = None,
    languages: list[str] | None = None,
    **profile: Any,
) -> Person:
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password)
        person = Person.objects.create(
            user=user,
            display_name=display_name,
            site=site,
            time_zone=time_zone or site.time_zone,
            languages=languages if languages is not None else list(site.languages[:1]),
            **profile,
        )
        activity_record(actor=person, verb="person.joined", target=person, site=site)
        transaction.on_commit(people_counts_changed)
    return person


def person_update(
    *,
    actor: Person,
    person: Person,
    data: dict[str, Any],
    photo: UploadedFile | None = None,
    clear_photo: bool = False,
) -> Person:
    """Updates profile fields; the photo is validated and re-encoded before anything is saved."""
    new_photo = image_reencode(photo, max_side=800) if photo is not None else None
    with transaction.atomic():
        changed = []
        for field in PROFILE_FIELDS:
            if field in data and getattr(person, field) != data[field]:
                setattr(person, field, data[field])
                changed.append(field)
        if new_photo is not None:
            person.photo.save(new_photo.name or "photo.jpg", new_photo, save=False)
            changed.append("photo")
        elif clear_photo and person.photo:
            person.photo.delete(save=False)
            changed.append("photo")
        person.full_clean(exclude=["user", "photo"])
        person.save()
        if changed:
            # Names, job titles and languages are directory filters: their totals may move.
            transaction.on_commit(people_counts_changed)
            activity_record(
                actor=actor,
                verb="person.profile_updated",
                target=person,
                site=person.site,
                payload={"fields": changed},
            )
    return person


def skill_set(*, actor: Person, person: Person, topic: Topic, level: int | None) -> Skill | None:
    """Sets (or with ``level=None`` removes) a person's level in a topic."""
    topic = topic.merged_into or topic
    with transaction.atomic():
        # "Who knows X" totals count people by skill and level.
        transaction.on_commit(people_counts_changed)
        if level is None:
            Skill.objects.filter(person=person, topic=topic).delete()
            return None
        skill, _created = Skill.objects.update_or_create(
            person=person, topic=topic, defaults={"level": level}
        )
        activity_record(
            actor=actor,
            verb="person.skill_set",
            target=topic,
            site=person.site,
            payload={"person": person.pk, "level": level},
        )
    return skill


def role_grant(*, actor: Person, person: Person, role: str, site: Site | None) -> Role:
    with transaction.atomic():
        granted, _created = Role.objects.get_or_create(person=person, role=role, site=site)
        if role == RoleName.ADMINISTRATOR and not person.user.is_staff:
            # Administrators manage the organisation through Django's admin as well.
            person.user.is_staff = True
            person.user.save(update_fields=["is_staff"])
        activity_record(
            actor=actor,
            verb="person.role_granted",
            target=person,
            site=person.site,
            payload={"role": role, "site": site.code if site else None},
        )
    person.__dict__.pop("role_set", None)
    return granted


def topic_merge(*, actor: Person, source: Topic, target: Topic) -> Topic:
    """Merges ``source`` into ``target``: skills move over, old links keep resolving to the target.

    Apps that tag things with topics register a mover in ``TOPIC_MERGE_MOVERS``.
    """
    if source.pk == target.pk:
        raise ValueError("A topic cannot be merged into itself.")
    with transaction.atomic():
        for skill in Skill.objects.filter(topic=source).select_related("person"):
            existing = Skill.objects.filter(person=skill.person, topic=target).first()
            if existing is None:
                skill.topic = target
                skill.save(update_fields=["topic"])
            else:
                if skill.level > existing.level:
                    existing.level = skill.level
                    existing.save(update_fields=["level"])
                skill.delete()
        for mover in TOPIC_MERGE_MOVERS:
            mover(source, target)
        source.children.update(parent=target)
        Topic.objects.filter(merged_into=source).update(merged_into=target)
        source.merged_into = target
        source.save(update_fields=["merged_into"])
        transaction.on_commit(people_counts_changed)
        activity_record(
            actor=actor,
            verb="topic.merged",
            target=target,
            site=None,
            payload={"from": source.pk, "into": target.pk},
        )
    return target


TOPIC_MERGE_MOVERS: list[Any] = []


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    url: str


def invitation_create(
    *, actor: Person, email: str, display_name: str, site: Site
) -> IssuedInvitation:
    """Creates an invitation and emails its one-time link after the transaction commits."""
    email = email.strip().lower()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            email=email,
            display_name=display_name,
            site=site,
            invited_by=actor,
            token_hash=_token_hash(token),
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_TIMEOUT_DAYS),
        )
        activity_record(
            actor=actor,
            verb="person.invited",
            target=invitation,
            site=site,
            payload={"email_domain": email.rsplit("@", 1)[-1]},
        )
        url = settings.SITE_URL + reverse("people:invitation_accept", args=[token])
        transaction.on_commit(lambda: _invitation_send(invitation, url))
    return IssuedInvitation(invitation=invitation, url=url)


def _invitation_send(invitation: Invitation, url: str) -> None:
    context = {"invitation": invitation, "url": url, "days": settings.INVITATION_TIMEOUT_DAYS}
    send_mail(
        subject=_("You are invited to Pollinate"),
        message=render_to_string("people/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def invitation_get_usable(*, token: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("site").filter(token_hash=_token_hash(token)).first()
    )
    if invitation is None or not invitation.is_usable:
        return None
    return invitation


def invitation_accept(*, invitation: Invitation, password: str) -> Person:
    """Creates the invited person's account; the link stops working in the same transaction."""
    with transaction.atomic():
        # Lock the row so two clicks on the same link cannot create two accounts.
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_usable:
            raise ValueError("This invitation has already been used or has expired.")
        if User.objects.filter(email__iexact=locked.email).exists():
            raise ValueError("An account with this email address already exists.")
        person = person_create(
            email=locked.email,
            password=password,
            display_name=locked.display_name,
            site=locked.site,
        )
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
    return person


def api_token_create(*, person: Person, name: str) -> str:
    """Creates a personal API token and returns it; it is shown once and only its hash is kept."""
    token = "pol_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(person=person, name=name, token_hash=_token_hash(token))
    return token


def api_token_person(*, token: str) -> Person | None:
    row = (
        ApiToken.objects.select_related("person", "person__user", "person__site")
        .filter(token_hash=_token_hash(token), person__user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    # Write the last use at most once a minute: a busy client must not turn reads into writes.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.person
