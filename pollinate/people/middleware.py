"""Attaches the signed-in member's Person to the request and speaks their interface language."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from pollinate.core.compiled import compiled_models
from pollinate.people.models import Person

# The user → member side of Person.user: what select_related("person") fills on a User.
_MEMBER_OF_USER = Person.user.field.remote_field


def _member(user: int) -> QuerySet[Person]:
    return Person.objects.select_related("site").filter(user_id=user)


class PersonLanguageMiddleware:
    """Sets ``request.person``; a person's chosen interface language beats the browser's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        person: Person | None = None
        user = request.user
        if user.is_authenticated:
            if _MEMBER_OF_USER.is_cached(user):
                # MemberBackend loaded the member with the user (pollinate/people/backends.py).
                person = _MEMBER_OF_USER.get_cached_value(user)  # type: ignore[assignment]
            else:
                # Signed in some other way (a test's force_login with another backend): the SQL
                # is built once per process, and the loaded user is attached, not joined again.
                found = compiled_models("people:member", _member, user=user.pk)
                if found:
                    person = found[0]
                    Person.user.field.set_cached_value(person, user)
        request.person = person  # type: ignore[attr-defined]
        if person is None or not person.interface_language:
            return self.get_response(request)
        # override() restores the previous language afterwards, so it never leaks into the next
        # request served by this thread.
        with translation.override(person.interface_language):
            request.LANGUAGE_CODE = person.interface_language
            response = self.get_response(request)
        response.headers["Content-Language"] = person.interface_language
        return response
