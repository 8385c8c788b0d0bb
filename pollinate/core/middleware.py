"""Cross-cutting request handling: security headers and a calm answer when the database is down."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found

logger = logging.getLogger(__name__)

# No inline scripts anywhere: every script is a static file, so an injected <script> cannot run.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self' ws: wss:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The bundled API explorer (Swagger UI) boots with an inline script; it gets its own policy.
CSP_API_DOCS = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = CSP_API_DOCS if request.path.startswith("/api/docs") else CSP
            response["Content-Security-Policy"] = policy
        response.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        return response


class RequestSizeLimitMiddleware:
    """Refuses a request whose declared body is too large before any of it is read (413).

    The limit is the largest accepted upload plus room for the other form fields; Django's own
    DATA_UPLOAD_MAX_MEMORY_SIZE still bounds non-file fields.
    """

    FORM_OVERHEAD = 1024 * 1024

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        limit = settings.UPLOAD_MAX_BYTES + self.FORM_OVERHEAD
        if declared > limit:
            message = _("This upload is too large: the limit is %(limit)s MB.") % {
                "limit": round(settings.UPLOAD_MAX_BYTES / 1_048_576, 1)
            }
            if request.path.startswith("/api/"):
                body = json.dumps({"code": "too_large", "message": message})
                return HttpResponse(body, status=413, content_type="application/json")
            html = render_to_string(
                "core/error.html", {"status": 413, "message": message}, request=request
            )
            return HttpResponse(html, status=413)
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """Answers 503 with a human page when a view finds the database unreachable or read-only.

    Failures inside other middleware (sessions, the person lookup) reach ``handler500``, which
    answers the same way through ``database_unavailable_response``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            return database_unavailable_response(request, exception)
        if isinstance(exception, OverflowError):
            # An id in the address beyond the database's 64-bit integers names nothing.
            return page_not_found(request, Http404())
        return None


def is_database_unavailable(exception: BaseException | None) -> bool:
    return isinstance(exception, (OperationalError, InterfaceError)) or (
        isinstance(exception, DatabaseError) and "read-only" in str(exception).lower()
    )


def database_fault(exception: BaseException) -> str:
    """What kind of database fault this is: ``full``, ``read_only`` or ``unavailable``."""
    text = str(exception).lower()
    sqlstate = getattr(getattr(exception, "__cause__", None), "sqlstate", None)
    if sqlstate == "53100" or "disk is full" in text or "no space left" in text:
        return "full"
    if "readonly" in text or "read-only" in text:
        return "read_only"
    return "unavailable"


def database_unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 with a human message (JSON under /api/); also used by the 500 handler.

    A full disk and a read-only database get their own message: reading may still work, and the
    person needs to know that this change was not saved and why.
    """
    fault = database_fault(exc)
    logger.error("database %s while serving %s: %s", fault, request.path, exc)
    if fault == "full":
        code = "storage_full"
        message = _(
            "Pollinate's storage is full, so this change was not saved. Nothing you saved before "
            "is lost. An administrator needs to free some space; please try again later."
        )
    elif fault == "read_only":
        code = "read_only"
        message = _(
            "Pollinate is read-only right now, so this change was not saved. Nothing you saved "
            "before is lost. Please try again in a few minutes."
        )
    else:
        code = "service_unavailable"
        message = _("Pollinate cannot reach its database right now. Try again soon.")
    if request.path.startswith("/api/"):
        body = json.dumps({"code": code, "message": message})
        response = HttpResponse(body, status=503, content_type="application/json")
    else:
        context = {"message": message if fault != "unavailable" else ""}
        response = HttpResponse(render_to_string("core/unavailable.html", context), status=503)
    response["Retry-After"] = "30"
    return response
