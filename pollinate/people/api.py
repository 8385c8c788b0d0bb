# No `from __future__ import annotations` here: django-ninja reads parameter annotations at import
# time to build its schemas, and postponed (string) annotations break query-schema parameters.

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from pollinate.core.pagination import LimitOffsetPagination
from pollinate.people import services
from pollinate.people.access import access_person, access_site, api_member
from pollinate.people.models import Person, Site, Skill, Topic
from pollinate.people.schemas import (
    ErrorOut,
    PersonListItemOut,
    PersonOut,
    ProfileIn,
    SiteOut,
    SkillOut,
    TopicOut,
)
from pollinate.people.selectors import DirectoryFilters, DirectoryRows, person_rows

router = Router(tags=["people"])


def _person_out(person: Person) -> PersonOut:
    skills = Skill.objects.filter(person=person).select_related("topic")
    return PersonOut(
        id=person.pk,
        display_name=person.display_name,
        site=SiteOut.from_orm(person.site),
        job_title=person.job_title,
        team=person.team,
        languages=person.languages,
        time_zone=person.time_zone,
        bio=person.bio,
        skills=[
            SkillOut(topic_id=s.topic_id, topic=s.topic.display_name, level=s.level) for s in skills
        ],
    )


class DirectoryQuery(Schema):
    q: str = ""
    site: str = ""
    country: str = ""
    topic: int | None = None
    language: str = ""


@router.get("/people", response=list[PersonListItemOut])
@paginate(LimitOffsetPagination)
def people_list(
    request: HttpRequest,
    filters: DirectoryQuery = Query(...),  # noqa: B008 -- ninja declares query params this way
) -> DirectoryRows:
    api_member(request)
    site = Site.objects.filter(code=filters.site).first() if filters.site else None
    topic = Topic.objects.filter(pk=filters.topic).first() if filters.topic else None
    # A lazy sequence, not a list: the paginator's slice ranks and loads only that page, and its
    # length is the cached directory total.
    return person_rows(
        filters=DirectoryFilters(
            query=filters.q[:100],
            site=site,
            country=filters.country[:2],
            topic=topic,
            language=filters.language[:8],
        )
    )


@router.get("/people/{person_id}", response={200: PersonOut, 404: ErrorOut})
def people_get(request: HttpRequest, person_id: int) -> PersonOut:
    return _person_out(access_person(api_member(request), person_id))


@router.get("/me", response={200: PersonOut, 403: ErrorOut})
def me_get(request: HttpRequest) -> PersonOut:
    return _person_out(api_member(request))


@router.patch("/me", response={200: PersonOut, 403: ErrorOut, 422: ErrorOut})
def me_update(request: HttpRequest, payload: ProfileIn) -> PersonOut:
    actor = api_member(request)
    person = access_person(actor, actor.pk, for_write=True)
    data = payload.dict(exclude_none=True)
    services.person_update(actor=actor, person=person, data=data)
    return _person_out(person)


@router.get("/sites", response=list[SiteOut])
def sites_list(request: HttpRequest) -> list[Site]:
    api_member(request)
    return list(Site.objects.order_by("name"))


@router.get("/sites/{code}", response={200: SiteOut, 404: ErrorOut})
def sites_get(request: HttpRequest, code: str) -> Site:
    return access_site(api_member(request), code)


@router.get("/topics", response=list[TopicOut])
@paginate(LimitOffsetPagination)
def topics_list(request: HttpRequest) -> list[Topic]:
    api_member(request)
    return list(Topic.objects.order_by("name"))
