"""Error pages people can act on; never a stack trace."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from pollinate.core.middleware import database_unavailable_response, is_database_unavailable


def _respond(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message}, status=status)
    html = render_to_string(
        "core/error.html", {"status": status, "message": message}, request=request
    )
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 400, "bad_request", _("Pollinate could not understand this request."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(
        request,
        403,
        "forbidden",
        _("You can see this, but you may not change it. Ask a site lead."),
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(
        request, 404, "not_found", _("There is nothing here, or it is not shared with you.")
    )


def server_error(request: HttpRequest) -> HttpResponse:
    exception = sys.exc_info()[1]
    if is_database_unavailable(exception):
        return database_unavailable_response(request, exception)  # type: ignore[arg-type]
    return _respond(
        request, 500, "server_error", _("Something went wrong on our side. It has been logged.")
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _respond(
        request,
        403,
        "csrf_failed",
        _("This form has expired. Go back, reload the page and try again."),
    )
