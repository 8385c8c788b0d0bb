"""Makes the request being answered known to audit receivers whose signals carry none."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from pollinate.audit.services import audit_password_reset, audit_request_bound


class AuditRequestMiddleware:
    """Binds the request for the audit log and reports finished password-reset steps."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with audit_request_bound(request):
            response = self.get_response(request)
            audit_password_reset(request, response)
        return response
