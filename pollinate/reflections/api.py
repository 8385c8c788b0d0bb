from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from pollinate.core.pagination import LimitOffsetPagination
from pollinate.people.access import api_member
from pollinate.people.schemas import ErrorOut
from pollinate.reflections import services
from pollinate.reflections.access import access_reflection
from pollinate.reflections.models import Reflection
from pollinate.reflections.schemas import ReflectionIn, ReflectionOut
from pollinate.reflections.selectors import reflection_list

router = Router(tags=["reflections"])


def _out(reflection: Reflection) -> ReflectionOut:
    return ReflectionOut(
        id=reflection.pk,
        author_id=reflection.author_id,
        site_code=reflection.site.code,
        kind=reflection.kind,
        title=reflection.title,
        planned=reflection.planned,
        happened=reflection.happened,
        why=reflection.why,
        differently=reflection.differently,
        lesson=reflection.lesson,
        visibility=reflection.visibility,
        practice_id=reflection.practice_id,
        created_at=reflection.created_at,
    )


@router.get("/", response=list[ReflectionOut])
@paginate(LimitOffsetPagination)
def reflections_list(request: HttpRequest, mine: bool = False, q: str = "") -> list[ReflectionOut]:
    person = api_member(request)
    return [_out(r) for r in reflection_list(person=person, mine=mine, query=q[:100])[:500]]


@router.post("/", response={201: ReflectionOut, 422: ErrorOut})
def reflections_create(request: HttpRequest, payload: ReflectionIn) -> tuple[int, ReflectionOut]:
    person = api_member(request)
    reflection = services.reflection_create(actor=person, **payload.dict())
    return 201, _out(access_reflection(person, reflection.pk))


@router.get("/{reflection_id}", response={200: ReflectionOut, 404: ErrorOut})
def reflections_get(request: HttpRequest, reflection_id: int) -> ReflectionOut:
    return _out(access_reflection(api_member(request), reflection_id))


@router.delete("/{reflection_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def reflections_delete(request: HttpRequest, reflection_id: int) -> tuple[int, None]:
    person = api_member(request)
    reflection = access_reflection(person, reflection_id, for_write=True)
    services.reflection_delete(actor=person, reflection=reflection)
    return 204, None
