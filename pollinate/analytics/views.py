from __future__ import annotations

import csv
from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
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
    context = _context(
        board,
        sites=sites_visible(request.person),
        csv_base="org",
        is_administrator=request.person.is_administrator,
    )
    return render(request, "analytics/org.html", context)


@require_GET
@member_required
def site(request: MemberRequest, code: str) -> HttpResponse:
    site = access_site_dashboard(request.person, code)
    board = selectors.site_dashboard(site)
    return render(request, "analytics/site.html", _context(board, site=site))


@require_GET
@member_required
def topic(request: MemberRequest, topic_id: int) -> HttpResponse:
    topic = access_topic_dashboard(request.person, topic_id)
    board = selectors.topic_dashboard(topic)
    return render(request, "analytics/topic.html", _context(board, topic=topic))


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
