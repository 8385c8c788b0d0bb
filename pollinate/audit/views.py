from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import UTC
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pollinate.audit.access import access_audit_log
from pollinate.audit.forms import AuditFilterForm
from pollinate.audit.models import AuditAction, AuditRecord
from pollinate.audit.selectors import AuditFilters, audit_record_list
from pollinate.audit.services import audit_record
from pollinate.people.access import MemberRequest, member_required

PAGE_SIZE = 50
# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _filters(form: AuditFilterForm) -> AuditFilters:
    if not form.is_valid():
        return AuditFilters()
    return AuditFilters(**{k: v for k, v in form.cleaned_data.items() if v not in (None, "")})


@require_GET
@member_required
def audit_list(request: MemberRequest) -> HttpResponse:
    access_audit_log(request.person)
    form = AuditFilterForm(request.GET or None)
    records = audit_record_list(filters=_filters(form))
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "audit/_partials/results.html" if request.htmx else "audit/list.html"
    return render(request, template, context, status=400 if form.errors else 200)


def csv_cell(value: Any) -> str:
    """Text for a CSV cell that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(records: Iterable[AuditRecord]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    header = [_("Time (UTC)"), _("Action"), _("Actor"), _("Site"), _("Target type")]
    header += [_("Target id"), _("Target"), _("IP address"), _("User agent"), _("Details")]
    yield writer.writerow(header)
    for record in records:
        yield writer.writerow(
            csv_cell(cell)
            for cell in (
                record.created_at.astimezone(UTC).isoformat(),
                record.action,
                record.actor_label,
                record.site.code if record.site else "",
                record.target_type,
                record.target_id,
                record.target_label,
                record.ip_address,
                record.user_agent,
                json.dumps(record.details, ensure_ascii=False, sort_keys=True),
            )
        )


@require_GET
@member_required
def audit_export(request: MemberRequest) -> HttpResponse:
    """The filtered list as CSV, streamed in chunks so a long history never sits in memory."""
    access_audit_log(request.person)
    form = AuditFilterForm(request.GET or None)
    filters = _filters(form)
    audit_record(
        action=AuditAction.AUDIT_EXPORTED,
        request=request,
        actor_person=request.person,
        details={"filters": request.GET.dict()},
    )
    records = audit_record_list(filters=filters).iterator(chunk_size=2000)
    response = StreamingHttpResponse(_csv_rows(records), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="pollinate-audit-{stamp}.csv"'
    return response  # type: ignore[return-value]  # member_required is typed for HttpResponse
