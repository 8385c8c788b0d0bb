"""Who may see and change people, sites and topics: one door per resource.

Every member of the organisation may see every active person, site and topic (the directory is the
point of the product). Changing is narrower: a person edits their own profile; a site lead edits
their site; editors and administrators curate topics; administrators may do all of it.
An object the actor may not see is a 404; one they may see but not change is a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

from pollinate.people.models import Person, RoleName, Site, Topic
from pollinate.people.selectors import person_get, site_get

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


class MemberRequest(HttpRequest):
    """The request a view receives once ``member_required`` has let it through."""

    person: Person
    htmx: HtmxDetails


def access_person(actor: Person, person_id: int, *, for_write: bool = False) -> Person:
    person = person_get(person_id=person_id)
    if person is None or (not person.user.is_active and not actor.is_administrator):
        raise Http404
    if for_write and person.pk != actor.pk and not actor.is_administrator:
        raise PermissionDenied
    return person


def access_site(actor: Person, code: str, *, for_write: bool = False) -> Site:
    site = site_get(code=code)
    if site is None:
        raise Http404
    if for_write and not actor.has_role(RoleName.SITE_LEAD, site):
        raise PermissionDenied
    return site


def access_topic(actor: Person, topic_id: int, *, for_write: bool = False) -> Topic:
    topic = Topic.objects.select_related("parent", "merged_into").filter(pk=topic_id).first()
    if topic is None:
        raise Http404
    if for_write and not actor.has_role(RoleName.EDITOR):
        raise PermissionDenied
    return topic


def can_invite(actor: Person) -> bool:
    return actor.is_administrator


def member_required(view: ViewFunc) -> ViewFunc:
    """Signed in and with a member profile; otherwise the sign-in page or a short explanation."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if getattr(request, "person", None) is None:
            return render(request, "people/no_profile.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def api_member(request: HttpRequest) -> Person:
    """The acting member of an authenticated API request (session or token)."""
    person = getattr(request, "person", None)
    if person is None:
        raise PermissionDenied("This account has no member profile.")
    return person
