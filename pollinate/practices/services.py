"""Writes about practices: one transaction each, an Activity each, the search index in step.

Preconditions about who may act are checked by ``practices.access`` before these are called; the
services check the rules of the domain (a site cannot adopt its own practice, a conflict is a
conflict).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from pollinate.activity.services import activity_record
from pollinate.core.images import image_reencode
from pollinate.core.markdown import render_markdown
from pollinate.core.ratelimit import ratelimit_check
from pollinate.people.models import Person, Site, Topic
from pollinate.people.selectors import mentions_find
from pollinate.practices.models import (
    MARKDOWN_FIELDS,
    REVISION_FIELDS,
    Adoption,
    AdoptionStatus,
    Comment,
    Follow,
    Practice,
    PracticeAuthor,
    PracticeImage,
    PracticeRevision,
    PracticeStatus,
    Reaction,
    ReactionKind,
    Tag,
    verified_min_sites,
)
from pollinate.practices.search import practice_reindex
from pollinate.practices.selectors import practice_counts_changed

MAX_IMAGES = 12


class PracticeConflict(Exception):
    """Someone saved the practice after the editor opened it; nothing was written."""

    def __init__(self, practice: Practice, latest: PracticeRevision | None) -> None:
        super().__init__(_("Someone else changed this practice while you were editing it."))
        self.practice = practice
        self.latest = latest


# ---------------------------------------------------------------------------------------------
# Practices


def _snapshot(practice: Practice) -> dict[str, Any]:
    return {field: getattr(practice, field) for field in REVISION_FIELDS}


def _revision_add(*, practice: Practice, editor: Person, summary: str = "") -> PracticeRevision:
    return PracticeRevision.objects.create(
        practice=practice,
        number=practice.version,
        editor=editor,
        data=_snapshot(practice),
        summary=summary[:200],
    )


def _text_of(practice: Practice) -> str:
    return "\n".join([practice.problem, practice.steps, practice.evidence])


def _counts_changed() -> None:
    """List totals change once this transaction commits (a practice appeared, moved or changed)."""
    transaction.on_commit(practice_counts_changed)


def _record(
    *, actor: Person, verb: str, practice: Practice, payload: dict[str, Any] | None = None
) -> None:
    activity_record(
        actor=actor,
        verb=verb,
        target=practice,
        site=actor.site,
        payload={"title": practice.title, "practice_site": practice.site_id, **(payload or {})},
        is_public=not practice.is_draft,
    )


def practice_create(
    *,
    actor: Person,
    title: str,
    steps: str = "",
    problem: str = "",
    evidence: str = "",
    metric_unit: str = "",
    metric_before: float | None = None,
    metric_after: float | None = None,
    video_url: str = "",
    language: str | None = None,
    topics: Iterable[Topic] = (),
    tags: Iterable[Tag] = (),
    co_authors: Iterable[Person] = (),
    images: Sequence[UploadedFile] = (),
    review_by: date | None = None,
    share: bool = True,
    adapted_from: Practice | None = None,
    adaptation_note: str = "",
) -> Practice:
    """Creates a practice at the actor's site, owned by the actor; shared at once unless a draft."""
    ratelimit_check("practice.create", f"p{actor.pk}", limit=30, window=3600)
    encoded = [image_reencode(upload) for upload in images[:MAX_IMAGES]]
    now = timezone.now()
    with transaction.atomic():
        practice = Practice(
            title=title.strip(),
            steps=steps,
            problem=problem,
            evidence=evidence,
            metric_unit=metric_unit,
            metric_before=metric_before,
            metric_after=metric_after,
            video_url=video_url,
            language=language or (actor.languages[0] if actor.languages else "en"),
            site=actor.site,
            owner=actor,
            status=PracticeStatus.SHARED if share else PracticeStatus.DRAFT,
            shared_at=now if share else None,
            review_by=review_by,
            adapted_from=adapted_from,
            adaptation_note=adaptation_note,
            created_at=now,
            updated_at=now,
            last_activity_at=now,
        )
        practice.full_clean(exclude=["site", "owner", "adapted_from", "superseded_by"])
        practice.render_text()
        practice.save()
        practice.topics.set(list(topics))
        practice.tags.set(list(tags))
        authors = {actor.pk, *(person.pk for person in co_authors)}
        PracticeAuthor.objects.bulk_create(
            [PracticeAuthor(practice=practice, person_id=pk) for pk in authors]
        )
        for content in encoded:
            image = PracticeImage(practice=practice, uploaded_by=actor)
            image.image.save(content.name or "photo.jpg", content, save=True)
        _revision_add(practice=practice, editor=actor, summary=_("First version"))
        practice_reindex(practice)
        mentions = mentions_find(_text_of(practice), exclude=actor)
        _record(
            actor=actor,
            verb="practice.shared" if share else "practice.drafted",
            practice=practice,
            payload={"mentions": mentions},
        )
        Follow.objects.get_or_create(person=actor, practice=practice)
        _counts_changed()
    return practice


def practice_update(
    *,
    actor: Person,
    practice: Practice,
    data: dict[str, Any],
    base_version: int,
    summary: str = "",
    topics: Iterable[Topic] | None = None,
    tags: Iterable[Tag] | None = None,
    verb: str = "practice.edited",
) -> Practice:
    """Saves an edit made from ``base_version``; raises PracticeConflict if someone saved since.

    The version check and the write are one conditional UPDATE, so two concurrent editors can never
    both succeed from the same base version.
    """
    changes = {
        field: data[field]
        for field in REVISION_FIELDS
        if field in data and data[field] != getattr(practice, field)
    }
    if "title" in changes:
        changes["title"] = str(changes["title"]).strip()
    candidate = Practice(**{**_snapshot(practice), **changes}, site=practice.site)
    candidate.full_clean(
        exclude=["site", "owner", "adapted_from", "superseded_by", "status", "created_at"]
    )
    candidate.render_text()
    rendered = {
        f"{field}_html": getattr(candidate, f"{field}_html")
        for field in MARKDOWN_FIELDS
        if field in changes or getattr(practice, f"{field}_html") is None
    }
    now = timezone.now()
    with transaction.atomic():
        updated = Practice.objects.filter(pk=practice.pk, version=base_version).update(
            **changes, **rendered, version=F("version") + 1, updated_at=now
        )
        if not updated:
            latest = PracticeRevision.objects.filter(practice_id=practice.pk).first()
            raise PracticeConflict(practice, latest)
        practice.refresh_from_db()
        if topics is not None:
            practice.topics.set(list(topics))
        if tags is not None:
            practice.tags.set(list(tags))
        PracticeAuthor.objects.get_or_create(practice=practice, person=actor)
        _revision_add(practice=practice, editor=actor, summary=summary)
        practice_reindex(practice)
        mentions = mentions_find(
            "\n".join(str(changes.get(f, "")) for f in ("problem", "steps", "evidence")),
            exclude=actor,
        )
        _record(
            actor=actor,
            verb=verb,
            practice=practice,
            payload={"fields": sorted(changes), "version": practice.version, "mentions": mentions},
        )
        _counts_changed()
    return practice


def practice_restore(
    *, actor: Person, practice: Practice, revision: PracticeRevision, base_version: int
) -> Practice:
    """Restores an older revision as a new revision (history is never rewritten)."""
    return practice_update(
        actor=actor,
        practice=practice,
        data=dict(revision.data),
        base_version=base_version,
        summary=_("Restored revision %(number)s") % {"number": revision.number},
        verb="practice.restored",
    )


def practice_share(*, actor: Person, practice: Practice) -> Practice:
    if practice.status != PracticeStatus.DRAFT:
        return practice
    now = timezone.now()
    with transaction.atomic():
        practice.status = PracticeStatus.SHARED
        practice.shared_at = now
        practice.last_activity_at = now
        practice.save(update_fields=["status", "shared_at", "last_activity_at"])
        _practice_refresh_signals(practice, actor=actor)
        _record(
            actor=actor,
            verb="practice.shared",
            practice=practice,
            payload={"mentions": mentions_find(_text_of(practice), exclude=actor)},
        )
        _counts_changed()
    return practice


def practice_supersede(*, actor: Person, practice: Practice, successor: Practice) -> Practice:
    if successor.pk == practice.pk:
        raise ValidationError(_("A practice cannot replace itself."))
    if successor.is_draft:
        raise ValidationError(_("Share the newer practice before pointing to it."))
    with transaction.atomic():
        practice.status = PracticeStatus.SUPERSEDED
        practice.superseded_by = successor
        practice.save(update_fields=["status", "superseded_by"])
        _record(
            actor=actor,
            verb="practice.superseded",
            practice=practice,
            payload={"successor": successor.pk},
        )
        _counts_changed()
    return practice


def practice_retire(*, actor: Person, practice: Practice, reason: str = "") -> Practice:
    with transaction.atomic():
        practice.status = PracticeStatus.RETIRED
        practice.save(update_fields=["status"])
        _record(
            actor=actor,
            verb="practice.retired",
            practice=practice,
            payload={"reason": reason[:500]},
        )
        _counts_changed()
    return practice


def practice_reactivate(*, actor: Person, practice: Practice) -> Practice:
    """Brings a retired or superseded practice back as current advice."""
    with transaction.atomic():
        practice.status = PracticeStatus.SHARED
        practice.superseded_by = None
        practice.save(update_fields=["status", "superseded_by"])
        _practice_refresh_signals(practice, actor=actor)
        _record(actor=actor, verb="practice.reactivated", practice=practice)
        _counts_changed()
    return practice


def practice_set_review(
    *, actor: Person, practice: Practice, review_by: date | None, owner: Person | None = None
) -> Practice:
    with transaction.atomic():
        practice.review_by = review_by
        practice.review_flagged_at = None
        fields = ["review_by", "review_flagged_at"]
        if owner is not None and owner.pk != practice.owner_id:
            practice.owner = owner
            PracticeAuthor.objects.get_or_create(practice=practice, person=owner)
            fields.append("owner")
        practice.save(update_fields=fields)
        _record(
            actor=actor,
            verb="practice.review_set",
            practice=practice,
            payload={
                "review_by": review_by.isoformat() if review_by else None,
                "owner": practice.owner_id,
            },
        )
    return practice


def practice_image_add(
    *, actor: Person, practice: Practice, upload: UploadedFile, caption: str = ""
) -> PracticeImage:
    if practice.images.count() >= MAX_IMAGES:
        raise ValidationError(
            _("A practice can have at most %(count)s photos.") % {"count": MAX_IMAGES}
        )
    content = image_reencode(upload)
    with transaction.atomic():
        image = PracticeImage(practice=practice, uploaded_by=actor, caption=caption[:200])
        image.image.save(content.name or "photo.jpg", content, save=True)
        # The photo is content: cards cached for it (keyed by updated_at) show the new one.
        Practice.objects.filter(pk=practice.pk).update(updated_at=timezone.now())
        _record(actor=actor, verb="practice.photo_added", practice=practice)
    return image


def practice_image_remove(*, actor: Person, image: PracticeImage) -> None:
    with transaction.atomic():
        practice = image.practice
        image.image.delete(save=False)
        image.delete()
        Practice.objects.filter(pk=practice.pk).update(updated_at=timezone.now())
        _record(actor=actor, verb="practice.photo_removed", practice=practice)


# ---------------------------------------------------------------------------------------------
# Lifecycle rule


def _practice_refresh_signals(practice: Practice, *, actor: Person | None) -> None:
    """Recounts adoptions and applies the verified rule (≥ N other sites, positive outcome)."""
    adoptions = Adoption.objects.filter(practice=practice).exclude(site_id=practice.site_id)
    practice.adoption_count = adoptions.filter(
        status__in=[AdoptionStatus.ADOPTED, AdoptionStatus.ADAPTED]
    ).count()
    practice.verified_site_count = adoptions.filter(
        status__in=[AdoptionStatus.ADOPTED, AdoptionStatus.ADAPTED], outcome_positive=True
    ).count()
    fields = ["adoption_count", "verified_site_count"]
    verb = None
    if (
        practice.status == PracticeStatus.SHARED
        and practice.verified_site_count >= verified_min_sites()
    ):
        practice.status = PracticeStatus.VERIFIED
        verb = "practice.verified"
    elif (
        practice.status == PracticeStatus.VERIFIED
        and practice.verified_site_count < verified_min_sites()
    ):
        practice.status = PracticeStatus.SHARED
        verb = "practice.unverified"
    if verb:
        fields.append("status")
    practice.save(update_fields=fields)
    if verb:
        _counts_changed()
        activity_record(
            actor=None,
            verb=verb,
            target=practice,
            site=practice.site,
            payload={"title": practice.title, "sites": practice.verified_site_count},
        )


# ---------------------------------------------------------------------------------------------
# Adoption and adaptation


@dataclass(frozen=True)
class Outcome:
    text: str = ""
    positive: bool | None = None
    metric_unit: str = ""
    metric_before: float | None = None
    metric_after: float | None = None
    happened_on: date | None = None
    reason: str = ""


def adoption_record(
    *, actor: Person, practice: Practice, status: str, outcome: Outcome
) -> Adoption:
    """Records (or moves) the actor's site's relation to a practice."""
    if practice.site_id == actor.site_id:
        raise ValidationError(_("This practice comes from your site; adoption is for other sites."))
    if not practice.status or practice.is_draft:
        raise ValidationError(_("Drafts cannot be adopted yet."))
    if status == AdoptionStatus.ADAPTED:
        raise ValidationError(_("To adapt a practice, describe your version of it."))
    if status == AdoptionStatus.DROPPED and not outcome.reason.strip():
        raise ValidationError(_("Say why it was dropped, so other sites can learn from it."))
    if status not in AdoptionStatus.values:
        raise ValidationError(_("Choose trying, adopted or dropped."))
    with transaction.atomic():
        adoption = _adoption_upsert(actor=actor, practice=practice, status=status, outcome=outcome)
        _after_adoption(actor=actor, practice=practice, adoption=adoption)
    return adoption


def _adoption_upsert(
    *,
    actor: Person,
    practice: Practice,
    status: str,
    outcome: Outcome,
    adaptation: Practice | None = None,
) -> Adoption:
    now = timezone.now()
    adoption = (
        Adoption.objects.select_for_update().filter(practice=practice, site=actor.site).first()
    )
    if adoption is None:
        adoption = Adoption(practice=practice, site=actor.site, created_at=now)
    adoption.recorded_by = actor
    adoption.status = status
    adoption.reason = outcome.reason
    adoption.outcome = outcome.text
    adoption.outcome_positive = outcome.positive
    adoption.metric_unit = outcome.metric_unit
    adoption.metric_before = outcome.metric_before
    adoption.metric_after = outcome.metric_after
    adoption.happened_on = outcome.happened_on or timezone.localdate()
    if adaptation is not None:
        adoption.adaptation = adaptation
    adoption.updated_at = now
    adoption.save()
    return adoption


def _after_adoption(*, actor: Person, practice: Practice, adoption: Adoption) -> None:
    practice.last_activity_at = timezone.now()
    practice.save(update_fields=["last_activity_at"])
    _practice_refresh_signals(practice, actor=actor)
    _record(
        actor=actor,
        verb=f"practice.{adoption.status}",
        practice=practice,
        payload={
            "adoption": adoption.pk,
            "positive": adoption.outcome_positive,
            "adaptation": adoption.adaptation_id,
            "mentions": mentions_find(adoption.outcome, exclude=actor),
        },
    )


def practice_adapt(
    *,
    actor: Person,
    source: Practice,
    title: str,
    adaptation_note: str,
    steps: str | None = None,
    outcome: Outcome | None = None,
    language: str | None = None,
) -> Practice:
    """Creates the actor's site's version of a practice, linked to its source (provenance)."""
    if source.site_id == actor.site_id:
        raise ValidationError(_("This practice comes from your site: edit it instead."))
    if source.is_draft:
        raise ValidationError(_("Drafts cannot be adapted yet."))
    with transaction.atomic():
        adapted = practice_create(
            actor=actor,
            title=title,
            steps=steps if steps is not None else source.steps,
            problem=source.problem,
            evidence=outcome.text if outcome else "",
            metric_unit=outcome.metric_unit if outcome else "",
            metric_before=outcome.metric_before if outcome else None,
            metric_after=outcome.metric_after if outcome else None,
            language=language or source.language,
            topics=source.topics.all(),
            tags=source.tags.all(),
            share=True,
            adapted_from=source,
            adaptation_note=adaptation_note,
        )
        adoption = _adoption_upsert(
            actor=actor,
            practice=source,
            status=AdoptionStatus.ADAPTED,
            outcome=outcome or Outcome(),
            adaptation=adapted,
        )
        _after_adoption(actor=actor, practice=source, adoption=adoption)
    return adapted


# ---------------------------------------------------------------------------------------------
# Conversation


def comment_create(
    *, actor: Person, practice: Practice, body: str, parent: Comment | None = None
) -> Comment:
    """Adds a comment; a reply to a reply attaches to the top-level comment (one level deep)."""
    body = body.strip()
    if not body:
        raise ValidationError(_("Write something first."))
    if parent is not None and parent.practice_id != practice.pk:
        raise ValidationError(_("That comment belongs to another practice."))
    ratelimit_check("practice.comment", f"p{actor.pk}", limit=60, window=600)
    if parent is not None and parent.parent_id is not None:
        parent = Comment.objects.get(pk=parent.parent_id)
    with transaction.atomic():
        comment = Comment.objects.create(
            practice=practice,
            author=actor,
            parent=parent,
            body=body[:5000],
            body_html=str(render_markdown(body[:5000])),
        )
        Practice.objects.filter(pk=practice.pk).update(
            comment_count=F("comment_count") + 1, last_activity_at=timezone.now()
        )
        _record(
            actor=actor,
            verb="practice.commented",
            practice=practice,
            payload={
                "comment": comment.pk,
                "parent": parent.pk if parent else None,
                "parent_author": parent.author_id if parent else None,
                "mentions": mentions_find(body, exclude=actor),
            },
        )
    return comment


def comment_delete(*, actor: Person, comment: Comment) -> None:
    with transaction.atomic():
        practice = comment.practice
        removed = 1 + comment.replies.count()
        comment.delete()
        # Never below zero: a count already off (rows written around the services) must not turn
        # a deletion into a database error.
        Practice.objects.filter(pk=practice.pk).update(
            comment_count=Greatest(F("comment_count") - removed, 0)
        )
        _record(actor=actor, verb="practice.comment_removed", practice=practice)


def reaction_set(*, actor: Person, practice: Practice, kind: str, on: bool) -> bool:
    """Adds or removes a reaction; returns whether it is now on. Idempotent."""
    if kind not in ReactionKind.values:
        raise ValidationError(_("Unknown reaction."))
    counter = "helpful_count" if kind == ReactionKind.HELPFUL else "learned_count"
    with transaction.atomic():
        if on:
            _reaction, created = Reaction.objects.get_or_create(
                practice=practice, person=actor, kind=kind
            )
            if created:
                Practice.objects.filter(pk=practice.pk).update(
                    **{counter: F(counter) + 1}, last_activity_at=timezone.now()
                )
                _record(
                    actor=actor, verb="practice.reacted", practice=practice, payload={"kind": kind}
                )
        else:
            deleted, _rows = Reaction.objects.filter(
                practice=practice, person=actor, kind=kind
            ).delete()
            if deleted:
                Practice.objects.filter(pk=practice.pk).update(**{counter: F(counter) - 1})
    return on


def follow_set(
    *,
    actor: Person,
    on: bool,
    practice: Practice | None = None,
    topic: Topic | None = None,
    site: Site | None = None,
) -> bool:
    """Follows or unfollows exactly one practice, topic or site. Idempotent."""
    target: dict[str, Any] = {"practice": practice, "topic": topic, "site": site}
    chosen: dict[str, Any] = {key: value for key, value in target.items() if value is not None}
    if len(chosen) != 1:
        raise ValueError("Follow exactly one practice, topic or site.")
    with transaction.atomic():
        if on:
            Follow.objects.get_or_create(person=actor, **chosen)
        else:
            Follow.objects.filter(person=actor, **chosen).delete()
    return on


# ---------------------------------------------------------------------------------------------
# Maintenance


def practices_flag_stale(*, today: date | None = None) -> int:
    """Flags live practices past their review date to their owner, once per review period."""
    today = today or timezone.localdate()
    flagged = 0
    stale = Practice.objects.live().filter(review_by__lte=today, review_flagged_at=None)
    for practice in stale.select_related("owner", "owner__site").iterator(chunk_size=500):
        with transaction.atomic():
            Practice.objects.filter(pk=practice.pk).update(review_flagged_at=timezone.now())
            activity_record(
                actor=None,
                verb="practice.review_due",
                target=practice,
                site=practice.site,
                payload={"title": practice.title, "mentions": [practice.owner_id]},
            )
        flagged += 1
    return flagged


def tag_get_or_create(*, name: str, kind: str) -> Tag:
    from django.utils.text import slugify

    slug = slugify(name)[:100]
    if not slug:
        raise ValidationError(_("A tag needs letters or digits."))
    tag, _created = Tag.objects.get_or_create(slug=slug, defaults={"name": name[:80], "kind": kind})
    return tag


def topic_merge_move(source: Topic, target: Topic) -> None:
    """Moves practices and follows from a merged topic to the topic it was merged into."""
    through = Practice.topics.through
    already = set(through.objects.filter(topic=target).values_list("practice_id", flat=True))
    through.objects.filter(topic=source, practice_id__in=already).delete()
    through.objects.filter(topic=source).update(topic=target)
    followers = set(Follow.objects.filter(topic=target).values_list("person_id", flat=True))
    Follow.objects.filter(topic=source, person_id__in=followers).delete()
    Follow.objects.filter(topic=source).update(topic=target)


def practice_draft_create(
    *, actor: Person, title: str, problem: str = "", what_we_do: str = "", source_url: str = ""
) -> Practice:
    """A draft practice from another app's content (a chat answer, a reflection) to complete."""
    evidence = _("Source: %(url)s") % {"url": source_url} if source_url else ""
    return practice_create(
        actor=actor,
        title=title[:200] or _("Untitled practice"),
        problem=problem,
        steps=what_we_do,
        evidence=evidence,
        share=False,
    )
