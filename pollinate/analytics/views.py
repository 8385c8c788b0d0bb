from __future__ import annotations

import csv
import hashlib
import pickle
from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import timesince_filter
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pollinate.analytics import charts, selectors, services
from pollinate.analytics.access import (
    access_site_dashboard,
    access_topic_dashboard,
    sites_visible,
)
from pollinate.analytics.selectors import Dashboard, Table
from pollinate.people.access import MemberRequest, member_required
from pollinate.people.models import Topic


def too_small_message() -> str:
    return _("Not enough people to show this safely.")


# A page shows the largest rows of a table (they come sorted) and every n-th week of the curve;
# the CSV has every row. Rendering a thousand rows cost more than computing the whole dashboard.
PAGE_ROWS = selectors.PAGE_ROWS


def _on_page(board: Dashboard) -> Dashboard:
    tables = {}
    for key, table in board.tables.items():
        rows = table.rows
        if len(rows) > PAGE_ROWS:
            if key == "curve":
                step = -(-len(rows) // PAGE_ROWS)
                rows = rows[::-1][::step][::-1]  # every step-th week, ending with the latest
            else:
                rows = rows[:PAGE_ROWS]
        # The flows table comes already cut to the page (``hidden`` says how many rows it left off).
        tables[key] = replace(table, rows=rows, hidden=table.hidden + len(table.rows) - len(rows))
    return replace(board, tables=tables)


# The dashboard part of a page is the same for everyone who may open that board: it is kept per
# process for the board's content (the digest of its pickled form, without the time it was
# updated), the language, the threshold and the CSV links, and the "updated … ago" phrase is
# written in per request. Rendering it cost 3 ms, most of the organisation dashboard's page time.
_RENDERED: dict[tuple[str, ...], str] = {}
_RENDERED_LIMIT = 256
# Stands for the phrase in the kept markup: no name or label can hold a NUL character.
_AGO = "\x00updated-ago\x00"


def _dashboard_html(board: Dashboard, *, csv_url: str) -> SafeString:
    k = selectors.k_min()
    content = pickle.dumps(replace(board, updated_at=None))
    digest = hashlib.blake2b(content, digest_size=16).hexdigest()
    # Whether the phrase is there at all is part of the markup.
    key = (get_language() or "", digest, str(k), csv_url, str(board.updated_at is None))
    html = _RENDERED.get(key)
    if html is None:
        context = {**_context(board), "k": k, "csv_url": csv_url, "updated_ago": _AGO}
        html = render_to_string("analytics/_partials/dashboard.html", context)
        if len(_RENDERED) >= _RENDERED_LIMIT:
            _RENDERED.clear()
        _RENDERED[key] = html
    ago = escape(timesince_filter(board.updated_at)) if board.updated_at else ""
    return mark_safe(html.replace(_AGO, ago))  # noqa: S308 - rendered by the template engine


def _context(board: Dashboard, **extra: Any) -> dict[str, Any]:
    full = board
    board = _on_page(board)
    flows = board.tables.get("flows")
    heat_labels: list[str] = []
    heat_cells: list[charts.Cell] = []
    if flows is not None and flows.rows:
        heat_labels = sorted({row[0] for row in flows.rows} | {row[1] for row in flows.rows})
        index = {label: i for i, label in enumerate(heat_labels)}
        heat_cells = charts.heat(
            heat_labels, {(index[row[0]], index[row[1]]): row[2] for row in flows.rows}
        )
    contributions = board.tables.get("contributions")
    adopters = board.tables.get("adopters")
    bar_rows = []
    if contributions is not None:
        bar_rows = [(row[0], float(row[2])) for row in contributions.rows]
    elif adopters is not None:
        bar_rows = [(row[0], float(row[1])) for row in adopters.rows]
    return {
        "board": board,
        "k": selectors.k_min(),
        "too_small": too_small_message(),
        "curve_chart": charts.line(full.curve),
        "bars": charts.bars(bar_rows),
        "heat_labels": heat_labels,
        "heat_cells": heat_cells,
        "chart_width": charts.WIDTH,
        "chart_height": charts.HEIGHT,
        **extra,
    }


@require_GET
@member_required
def org(request: MemberRequest) -> HttpResponse:
    board = selectors.org_dashboard()
    context = {
        "dashboard_html": _dashboard_html(board, csv_url=reverse("analytics:org") + "org/"),
        "sites": sites_visible(request.person),
        "is_administrator": request.person.is_administrator,
    }
    return render(request, "analytics/org.html", context)


@require_GET
@member_required
def site(request: MemberRequest, code: str) -> HttpResponse:
    site = access_site_dashboard(request.person, code)
    board = selectors.site_dashboard(site)
    dashboard_html = _dashboard_html(board, csv_url=reverse("analytics:site", args=[site.code]))
    return render(request, "analytics/site.html", {"site": site, "dashboard_html": dashboard_html})


@require_GET
@member_required
def topic(request: MemberRequest, topic_id: int) -> HttpResponse:
    topic = access_topic_dashboard(request.person, topic_id)
    board = selectors.topic_dashboard(topic)
    dashboard_html = _dashboard_html(board, csv_url=reverse("analytics:topic", args=[topic.pk]))
    return render(
        request, "analytics/topic.html", {"topic": topic, "dashboard_html": dashboard_html}
    )


@require_GET
@member_required
def topics(request: MemberRequest) -> HttpResponse:
    items = Topic.objects.filter(merged_into=None).order_by("name")
    return render(request, "analytics/topics.html", {"topics": items})


@require_GET
@member_required
def me(request: MemberRequest) -> HttpResponse:
    figures = selectors.my_figures(request.person.pk)
    context = {"figures": figures, "named_recognition": selectors.named_recognition_on()}
    return render(request, "analytics/me.html", context)


# A text cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection"):
# site and topic names are written by people.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if value is None:
        return ""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def _csv(board: Dashboard, key: str, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{key}.csv"'
    writer = csv.writer(response)
    if not board.safe:
        writer.writerow([too_small_message()])
        return response
    table: Table | None = board.table(key)
    if table is None:
        raise Http404
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell(cell) for cell in row])
    if table.withheld:
        writer.writerow(
            [
                _("%(n)s group(s) withheld: %(message)s")
                % {"n": table.withheld, "message": too_small_message()}
            ]
        )
    return response


@require_GET
@member_required
def org_csv(request: MemberRequest, key: str) -> HttpResponse:
    return _csv(selectors.org_dashboard(complete=True), key, "organisation")


@require_GET
@member_required
def site_csv(request: MemberRequest, code: str, key: str) -> HttpResponse:
    site = access_site_dashboard(request.person, code)
    return _csv(selectors.site_dashboard(site, complete=True), key, f"site-{site.code}")


@require_GET
@member_required
def topic_csv(request: MemberRequest, topic_id: int, key: str) -> HttpResponse:
    topic = access_topic_dashboard(request.person, topic_id)
    return _csv(selectors.topic_dashboard(topic), key, f"topic-{topic.pk}")


@require_GET
@member_required
def practice(request: MemberRequest, practice_id: int) -> HttpResponse:
    from pollinate.practices.access import access_practice

    item = access_practice(request.person, practice_id)
    spread = selectors.practice_spread(item)
    return render(request, "analytics/practice.html", {"practice": item, "spread": spread})


@require_http_methods(["GET", "POST"])
@member_required
def recognition(request: MemberRequest) -> HttpResponse:
    """The administrator's switch for named recognition, with what turning it on means."""
    if not request.person.is_administrator:
        raise PermissionDenied
    if request.method == "POST":
        enabled = request.POST.get("named_recognition") == "on"
        services.recognition_set(actor=request.person, enabled=enabled)
        messages.success(
            request,
            _("Named recognition is on.") if enabled else _("Named recognition is off."),
        )
        return redirect("analytics:recognition")
    context = {
        "enabled": selectors.named_recognition_on(),
        "setting": selectors.recognition_setting(),
    }
    return render(request, "analytics/recognition.html", context)
