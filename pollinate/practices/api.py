"""Practices in the JSON API: the same access helpers and services as the pages.

No ``from __future__ import annotations`` here: django-ninja builds its query-parameter model from
the live annotations, and with string annotations ``Query[PracticeQuery]`` failed to resolve.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from pollinate.core.pagination import LimitOffsetPagination
from pollinate.core.ratelimit import RateLimited
from pollinate.people.access import access_site, access_topic, api_member
from pollinate.people.models import Topic
from pollinate.practices import selectors, services
from pollinate.practices.access import access_comment, access_practice, access_revision
from pollinate.practices.models import Practice, TagKind
from pollinate.practices.schemas import (
    AdaptIn,
    AdoptionIn,
    AdoptionOut,
    CommentIn,
    CommentOut,
    ErrorOut,
    FeedOut,
    FollowOut,
    PracticeCreateIn,
    PracticeListItemOut,
    PracticeOut,
    PracticeUpdateIn,
    ReactionsOut,
    RestoreIn,
    RevisionOut,
    SearchOut,
)

router = Router(tags=["practices"])

ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _list_item(practice: Practice) -> PracticeListItemOut:
    return PracticeListItemOut(
        id=practice.pk,
        title=practice.title,
        status=practice.status,
        site_code=practice.site.code,
        language=practice.language,
        adoption_count=practice.adoption_count,
        helpful_count=practice.helpful_count,
        last_activity_at=practice.last_activity_at,
        url=practice.get_absolute_url(),
    )


def _practice_out(practice: Practice) -> PracticeOut:
    return PracticeOut(
        id=practice.pk,
        title=practice.title,
        problem=practice.problem,
        steps=practice.steps,
        evidence=practice.evidence,
        metric_unit=practice.metric_unit,
        metric_before=practice.metric_before,
        metric_after=practice.metric_after,
        video_url=practice.video_url,
        language=practice.language,
        status=practice.status,
        site_code=practice.site.code,
        owner_id=practice.owner_id,
        author_ids=list(practice.authorships.values_list("person_id", flat=True)),
        topic_ids=list(practice.topics.values_list("pk", flat=True)),
        tags=list(practice.tags.values_list("name", flat=True)),
        images=[image.image.url for image in practice.images.all()],
        adapted_from_id=practice.adapted_from_id,
        superseded_by_id=practice.superseded_by_id,
        review_by=practice.review_by,
        version=practice.version,
        adoption_count=practice.adoption_count,
        verified_site_count=practice.verified_site_count,
        helpful_count=practice.helpful_count,
        learned_count=practice.learned_count,
        comment_count=practice.comment_count,
        created_at=practice.created_at,
        updated_at=practice.updated_at,
        url=practice.get_absolute_url(),
    )


def _invalid(error: ValidationError) -> HttpError:
    return HttpError(400, " ".join(error.messages))


class PracticeQuery(Schema):
    q: str = ""
    topic: int | None = None
    site: str = ""
    country: str = ""
    language: str = ""
    status: str = ""


def _filters(request: HttpRequest, query: PracticeQuery) -> selectors.PracticeFilters:
    actor = api_member(request)
    return selectors.PracticeFilters(
        query=query.q[:200].strip(),
        topic=access_topic(actor, query.topic) if query.topic else None,
        site=access_site(actor, query.site) if query.site else None,
        country=query.country[:2].upper(),
        language=query.language[:8],
        status=query.status[:12],
    )


@router.get("/practices", response=list[PracticeListItemOut])
@paginate(LimitOffsetPagination)
def practices_list(
    request: HttpRequest, filters: Query[PracticeQuery]
) -> list[PracticeListItemOut]:
    """Practices, newest activity first; with ``q``, full-text search blended with quality."""
    actor = api_member(request)
    chosen = _filters(request, filters)
    if chosen.query:
        practices: Any = selectors.practice_search(actor=actor, filters=chosen, limit=200)
    else:
        practices = selectors.practice_list(actor=actor, filters=chosen)
    return [_list_item(practice) for practice in practices]


@router.get("/search", response=SearchOut)
def search(request: HttpRequest, filters: Query[PracticeQuery]) -> SearchOut:
    """Practices and people matching ``q`` (filters apply to practices)."""
    actor = api_member(request)
    chosen = _filters(request, filters)
    practices = selectors.practice_search(actor=actor, filters=chosen, limit=20)
    people = selectors.person_search(query=chosen.query)
    return SearchOut(
        practices=[_list_item(p) for p in practices],
        people=[
            {"id": p.pk, "display_name": p.display_name, "site_code": p.site.code} for p in people
        ],
    )


@router.post("/practices", response={201: PracticeOut, **ERRORS})
def practices_create(request: HttpRequest, payload: PracticeCreateIn) -> tuple[int, PracticeOut]:
    actor = api_member(request)
    topics = [access_topic(actor, topic_id) for topic_id in payload.topic_ids]
    data = payload.dict(exclude={"topic_ids", "tags", "share"})
    try:
        tags = [services.tag_get_or_create(name=n, kind=TagKind.EQUIPMENT) for n in payload.tags]
        practice = services.practice_create(
            actor=actor, **data, topics=topics, tags=tags, share=payload.share
        )
    except ValidationError as error:
        raise _invalid(error) from error
    except RateLimited as limited:
        raise HttpError(429, str(limited)) from limited
    return 201, _practice_out(practice)


@router.get("/practices/{practice_id}", response={200: PracticeOut, **ERRORS})
def practices_get(request: HttpRequest, practice_id: int) -> PracticeOut:
    return _practice_out(access_practice(api_member(request), practice_id))


@router.patch("/practices/{practice_id}", response={200: PracticeOut, **ERRORS})
def practices_update(
    request: HttpRequest, practice_id: int, payload: PracticeUpdateIn
) -> PracticeOut:
    """Edits text fields; send the ``version`` you read. A newer stored version answers 409."""
    actor = api_member(request)
    practice = access_practice(actor, practice_id, for_write=True)
    data = payload.dict(exclude={"version", "summary"}, exclude_unset=True)
    try:
        services.practice_update(
            actor=actor,
            practice=practice,
            data=data,
            base_version=payload.version,
            summary=payload.summary,
        )
    except services.PracticeConflict as conflict:
        raise HttpError(409, str(conflict)) from conflict
    except ValidationError as error:
        raise _invalid(error) from error
    return _practice_out(practice)


@router.get("/practices/{practice_id}/revisions", response={200: list[RevisionOut], **ERRORS})
def revisions_list(request: HttpRequest, practice_id: int) -> list[RevisionOut]:
    practice = access_practice(api_member(request), practice_id)
    return [
        RevisionOut(
            number=r.number,
            editor_id=r.editor_id,
            created_at=r.created_at,
            summary=r.summary,
            data=r.data,
        )
        for r in practice.revisions.all()[:200]
    ]


@router.post(
    "/practices/{practice_id}/revisions/{number}/restore", response={200: PracticeOut, **ERRORS}
)
def revisions_restore(
    request: HttpRequest, practice_id: int, number: int, payload: RestoreIn
) -> PracticeOut:
    actor = api_member(request)
    practice = access_practice(actor, practice_id, for_write=True)
    revision = access_revision(actor, practice_id, number)
    try:
        services.practice_restore(
            actor=actor, practice=practice, revision=revision, base_version=payload.version
        )
    except services.PracticeConflict as conflict:
        raise HttpError(409, str(conflict)) from conflict
    return _practice_out(practice)


def _adoption_out(adoption: Any) -> AdoptionOut:
    return AdoptionOut(
        id=adoption.pk,
        practice_id=adoption.practice_id,
        site_code=adoption.site.code,
        status=adoption.status,
        outcome=adoption.outcome,
        outcome_positive=adoption.outcome_positive,
        reason=adoption.reason,
        metric_unit=adoption.metric_unit,
        metric_before=adoption.metric_before,
        metric_after=adoption.metric_after,
        happened_on=adoption.happened_on,
        adaptation_id=adoption.adaptation_id,
    )


@router.get("/practices/{practice_id}/adoptions", response={200: list[AdoptionOut], **ERRORS})
def adoptions_list(request: HttpRequest, practice_id: int) -> list[AdoptionOut]:
    practice = access_practice(api_member(request), practice_id)
    return [_adoption_out(a) for a in practice.adoptions.select_related("site")]


@router.put("/practices/{practice_id}/adoptions/mine", response={200: AdoptionOut, **ERRORS})
def adoptions_record(request: HttpRequest, practice_id: int, payload: AdoptionIn) -> AdoptionOut:
    """Records your site's relation to the practice (one per site; later calls move it)."""
    actor = api_member(request)
    practice = access_practice(actor, practice_id)
    outcome = services.Outcome(
        text=payload.outcome,
        positive=payload.outcome_positive,
        metric_unit=payload.metric_unit,
        metric_before=payload.metric_before,
        metric_after=payload.metric_after,
        happened_on=payload.happened_on,
        reason=payload.reason,
    )
    try:
        adoption = services.adoption_record(
            actor=actor, practice=practice, status=payload.status, outcome=outcome
        )
    except ValidationError as error:
        raise _invalid(error) from error
    return _adoption_out(adoption)


@router.post("/practices/{practice_id}/adaptations", response={201: PracticeOut, **ERRORS})
def adaptations_create(
    request: HttpRequest, practice_id: int, payload: AdaptIn
) -> tuple[int, PracticeOut]:
    actor = api_member(request)
    source = access_practice(actor, practice_id)
    try:
        adapted = services.practice_adapt(
            actor=actor,
            source=source,
            title=payload.title,
            adaptation_note=payload.adaptation_note,
            steps=payload.steps,
            outcome=services.Outcome(text=payload.outcome, positive=payload.outcome_positive),
        )
    except ValidationError as error:
        raise _invalid(error) from error
    return 201, _practice_out(adapted)


def _comment_out(comment: Any) -> CommentOut:
    return CommentOut(
        id=comment.pk,
        author_id=comment.author_id,
        parent_id=comment.parent_id,
        body=comment.body,
        body_html=str(comment.body_rendered),
        created_at=comment.created_at,
    )


@router.get("/practices/{practice_id}/comments", response={200: list[CommentOut], **ERRORS})
@paginate(LimitOffsetPagination)
def comments_list(request: HttpRequest, practice_id: int) -> list[CommentOut]:
    practice = access_practice(api_member(request), practice_id)
    return [_comment_out(c) for c in practice.comments.order_by("created_at", "id")]


@router.post("/practices/{practice_id}/comments", response={201: CommentOut, **ERRORS})
def comments_create(
    request: HttpRequest, practice_id: int, payload: CommentIn
) -> tuple[int, CommentOut]:
    actor = api_member(request)
    practice = access_practice(actor, practice_id)
    parent = access_comment(actor, payload.parent_id) if payload.parent_id else None
    try:
        comment = services.comment_create(
            actor=actor, practice=practice, body=payload.body, parent=parent
        )
    except ValidationError as error:
        raise _invalid(error) from error
    except RateLimited as limited:
        raise HttpError(429, str(limited)) from limited
    return 201, _comment_out(comment)


@router.delete("/comments/{comment_id}", response={204: None, **ERRORS})
def comments_delete(request: HttpRequest, comment_id: int) -> tuple[int, None]:
    actor = api_member(request)
    services.comment_delete(actor=actor, comment=access_comment(actor, comment_id, for_write=True))
    return 204, None


def _reactions(actor: Any, practice_id: int) -> ReactionsOut:
    practice = Practice.objects.get(pk=practice_id)
    return ReactionsOut(
        helpful_count=practice.helpful_count,
        learned_count=practice.learned_count,
        mine=sorted(selectors.reactions_of(actor=actor, practice=practice)),
    )


@router.put("/practices/{practice_id}/reactions/{kind}", response={200: ReactionsOut, **ERRORS})
def reactions_add(request: HttpRequest, practice_id: int, kind: str) -> ReactionsOut:
    actor = api_member(request)
    practice = access_practice(actor, practice_id)
    try:
        services.reaction_set(actor=actor, practice=practice, kind=kind, on=True)
    except ValidationError as error:
        raise _invalid(error) from error
    return _reactions(actor, practice.pk)


@router.delete("/practices/{practice_id}/reactions/{kind}", response={200: ReactionsOut, **ERRORS})
def reactions_remove(request: HttpRequest, practice_id: int, kind: str) -> ReactionsOut:
    actor = api_member(request)
    practice = access_practice(actor, practice_id)
    try:
        services.reaction_set(actor=actor, practice=practice, kind=kind, on=False)
    except ValidationError as error:
        raise _invalid(error) from error
    return _reactions(actor, practice.pk)


def _follow_target(actor: Any, kind: str, object_id: str) -> dict[str, Any]:
    if kind == "practice" and object_id.isdigit():
        return {"practice": access_practice(actor, int(object_id))}
    if kind == "topic" and object_id.isdigit():
        topic: Topic = access_topic(actor, int(object_id))
        return {"topic": topic}
    if kind == "site":
        return {"site": access_site(actor, object_id)}
    raise HttpError(404, "Follow a practice, a topic or a site.")


@router.put("/follows/{kind}/{object_id}", response={200: FollowOut, **ERRORS})
def follows_add(request: HttpRequest, kind: str, object_id: str) -> FollowOut:
    actor = api_member(request)
    services.follow_set(actor=actor, on=True, **_follow_target(actor, kind, object_id))
    return FollowOut(following=True)


@router.delete("/follows/{kind}/{object_id}", response={200: FollowOut, **ERRORS})
def follows_remove(request: HttpRequest, kind: str, object_id: str) -> FollowOut:
    actor = api_member(request)
    services.follow_set(actor=actor, on=False, **_follow_target(actor, kind, object_id))
    return FollowOut(following=False)


@router.get("/feed", response=FeedOut)
def feed(request: HttpRequest, cursor: str = "") -> FeedOut:
    """The home feed: new and rising practices; pass ``next_cursor`` back for the next page."""
    result = selectors.practice_feed(actor=api_member(request), cursor=cursor[:80] or None)
    return FeedOut(practices=[_list_item(p) for p in result.practices], next_cursor=result.cursor)
