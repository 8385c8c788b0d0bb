"""The JSON API: one router per app, mounted here; schema at /api/openapi.json, docs at /api/docs.

Errors always have the shape ``{"code": "...", "message": "..."}`` with a stable code.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, django_auth

from pollinate.people.models import Person
from pollinate.people.services import api_token_person


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        person = api_token_person(token=token)
        if person is not None:
            request.person = person  # type: ignore[attr-defined]
            request.user = person.user
        return person


def _refuse_nul(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL character")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item)


class JsonParser(Parser):
    """JSON bodies without NUL characters: PostgreSQL cannot store one in text and nobody types
    one (Django's forms refuse them too), so a body holding one is a 400, not a server error."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        _refuse_nul(data)
        return data


api = NinjaAPI(
    title="Pollinate API",
    version="1",
    description="Practices, people, questions, coaching and more, for members of one organisation.",
    # Token first: the session check enforces CSRF and answers 403 before later methods are tried,
    # which refused every write from a token client.
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
    parser=JsonParser(),
)


def _error(
    request: HttpRequest, status: int, code: str, message: str, **extra: Any
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 403, "forbidden", str(exc) or _("You may not change this."))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("Sign in or send a valid API token."))


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _error(
        request, 422, "invalid", _("Some fields are missing or invalid."), errors=exc.errors
    )


@api.exception_handler(DjangoValidationError)
def _invalid_model(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return _error(request, 422, "invalid", " ".join(exc.messages))


@api.exception_handler(OverflowError)
def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A number beyond the database's 64-bit integers (an id like 2**70) names nothing: it is bad
    # input, answered as validation answers, not a server error.
    return _error(request, 422, "invalid", _("A number in the request is out of range."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "bad_request", 409: "conflict", 429: "rate_limited"}.get(exc.status_code, "error")
    return _error(request, exc.status_code, code, str(exc))


def _register_routers() -> None:
    from pollinate.people.api import router as people_router

    api.add_router("/", people_router)
    for app in (
        "practices",
        "coaching",
        "questions",
        "reflections",
        "notifications",
        "chats",
        "curation",
        "digests",
        "analytics",
    ):
        module = importlib.import_module(f"pollinate.{app}.api")
        api.add_router(f"/{app}", module.router)


_register_routers()
