"""Who may read the audit log: administrators only (site leads and moderators get a 403)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from pollinate.people.models import Person


def access_audit_log(actor: Person) -> None:
    """The log is one resource for the whole organisation: any member knows the page exists."""
    if not actor.is_administrator:
        raise PermissionDenied
