"""Makes the request being answered known to audit receivers whose signals carry none."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse

from pollinate.audit.services import (
    admin_entries_tracked,
    admin_log_entry_last_id,
    audit_admin_entries_since,
    audit_password_reset,
    audit_request_bound,
)


class AuditRequestMiddleware:
    """Binds the request for audit receivers; reports password resets and bulk admin actions."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with audit_request_bound(request):
            if request.method == "POST" and request.path.startswith(reverse("admin:index")):
                return self._admin_post(request)
            response = self.get_response(request)
            audit_password_reset(request, response)
        return response

    def _admin_post(self, request: HttpRequest) -> HttpResponseBase:
        # One extra query per admin POST: the admin's bulk log entries send no signal.
        last_id = admin_log_entry_last_id()
        with admin_entries_tracked():
            response = self.get_response(request)
            if request.user.is_authenticated:
                audit_admin_entries_since(request, last_id)
        return response
