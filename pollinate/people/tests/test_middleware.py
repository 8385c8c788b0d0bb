"""The middleware that attaches the signed-in member to every request."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils import translation

from pollinate.people.middleware import PersonLanguageMiddleware
from pollinate.people.models import Person, User


def _through_middleware(user: object) -> tuple[HttpRequest, dict[str, object]]:
    seen: dict[str, object] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen["language"] = translation.get_language()
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.user = user  # type: ignore[assignment]
    seen["response"] = PersonLanguageMiddleware(view)(request)
    return request, seen


def test_the_member_and_their_site_cost_one_query_and_reuse_the_loaded_user(
    bob: Person, django_assert_num_queries
) -> None:
    user = User.objects.get(pk=bob.user_id)
    with django_assert_num_queries(1):
        request, _seen = _through_middleware(user)
        person = request.person  # type: ignore[attr-defined]
        assert person.pk == bob.pk
        # Neither reads the database again: the site was joined, the user is the request's.
        assert person.site.name == bob.site.name
        assert person.user is user


def test_the_members_interface_language_is_spoken_and_announced(bob: Person) -> None:
    bob.interface_language = "fr"
    bob.save(update_fields=["interface_language"])
    _request, seen = _through_middleware(User.objects.get(pk=bob.user_id))
    assert seen["language"] == "fr"
    assert seen["response"].headers["Content-Language"] == "fr"  # type: ignore[attr-defined]


def test_an_anonymous_visitor_has_no_person_and_costs_no_query(
    db: None, django_assert_num_queries
) -> None:
    with django_assert_num_queries(0):
        request, seen = _through_middleware(AnonymousUser())
    assert request.person is None  # type: ignore[attr-defined]
    assert "Content-Language" not in seen["response"].headers  # type: ignore[attr-defined]
