"""Who may see and change practices, comments and adoptions.

- Every member sees every shared, verified, superseded or retired practice: spreading is the point.
- A draft is seen only by its owner and authors (anyone else gets a 404).
- Editing the text: its authors, anyone at its origin site, that site's leads, editors and
  administrators. Someone at another site gets a 403 (they adapt it instead).
- Changing the lifecycle (share, supersede, retire, owner, review date): owner, authors, the origin
  site's leads, editors, administrators.
- Any member may record their own site's adoption, comment, react and follow.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from pollinate.core.compiled import compiled_first, compiled_rows
from pollinate.people.models import Person, RoleName
from pollinate.practices.models import Comment, Practice, PracticeAuthor, PracticeRevision, Tag


def _is_author(actor: Person, practice: Practice) -> bool:
    if practice.owner_id == actor.pk:
        return True
    # Remembered on the instance: the practice page asks can_edit and can_manage for one viewer.
    memo: dict[int, bool] = practice.__dict__.setdefault("_authored_by", {})
    if actor.pk not in memo:
        memo[actor.pk] = bool(
            compiled_rows(
                "practices:is-author",
                lambda practice_id, person_id: PracticeAuthor.objects.filter(
                    practice_id=practice_id, person_id=person_id
                ).values_list("pk")[:1],
                practice_id=practice.pk,
                person_id=actor.pk,
            )
        )
    return memo[actor.pk]


def can_see(actor: Person, practice: Practice) -> bool:
    return not practice.is_draft or _is_author(actor, practice) or actor.is_administrator


def can_edit(actor: Person, practice: Practice) -> bool:
    if practice.is_draft:
        return _is_author(actor, practice) or actor.is_administrator
    return (
        practice.site_id == actor.site_id
        or _is_author(actor, practice)
        or actor.has_role(RoleName.EDITOR)
        or actor.has_role(RoleName.SITE_LEAD, practice.site)
    )


def can_manage(actor: Person, practice: Practice) -> bool:
    return (
        _is_author(actor, practice)
        or actor.has_role(RoleName.EDITOR)
        or actor.has_role(RoleName.SITE_LEAD, practice.site)
    )


def access_practice(actor: Person, practice_id: int, *, for_write: bool = False) -> Practice:
    try:
        practice_id = int(practice_id)
    except (TypeError, ValueError):
        raise Http404 from None
    # Compiled once per process: the ORM spent longer building this SQL than running it.
    practice = compiled_first(
        "practices:access-practice",
        lambda pk: Practice.objects.select_related(
            "site", "owner", "owner__site", "adapted_from", "adapted_from__site", "superseded_by"
        ).filter(pk=pk),
        pk=practice_id,
    )
    if practice is None or not can_see(actor, practice):
        raise Http404
    if for_write and not can_edit(actor, practice):
        raise PermissionDenied
    return practice


def access_practice_manage(actor: Person, practice_id: int) -> Practice:
    """The practice, when the actor may change its lifecycle (share, supersede, retire)."""
    practice = access_practice(actor, practice_id)
    if not can_manage(actor, practice):
        raise PermissionDenied
    return practice


def access_revision(actor: Person, practice_id: int, number: int) -> PracticeRevision:
    practice = access_practice(actor, practice_id)
    revision = (
        PracticeRevision.objects.select_related("editor", "practice")
        .filter(practice=practice, number=number)
        .first()
    )
    if revision is None:
        raise Http404
    return revision


def access_comment(actor: Person, comment_id: int, *, for_write: bool = False) -> Comment:
    comment = Comment.objects.select_related("practice", "author").filter(pk=comment_id).first()
    if comment is None or not can_see(actor, comment.practice):
        raise Http404
    if for_write and comment.author_id != actor.pk and not actor.has_role(RoleName.MODERATOR):
        raise PermissionDenied
    return comment


def access_tag(actor: Person, slug: str) -> Tag:
    tag = Tag.objects.filter(slug=slug).first()
    if tag is None:
        raise Http404
    return tag
