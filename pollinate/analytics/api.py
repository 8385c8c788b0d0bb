# No `from __future__ import annotations` here: django-ninja reads parameter annotations at import
# time to build its schemas (see pollinate/people/api.py).
"""The analytics API: the same dashboards, access rules and privacy threshold as the pages."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from pollinate.analytics import selectors
from pollinate.analytics.access import access_site_dashboard, access_topic_dashboard
from pollinate.analytics.schemas import (
    CurvePointOut,
    DashboardOut,
    FigureOut,
    MyFiguresOut,
    TableOut,
)
from pollinate.analytics.selectors import Dashboard, Figure
from pollinate.analytics.views import too_small_message
from pollinate.people.access import api_member
from pollinate.people.schemas import ErrorOut

router = Router(tags=["analytics"])
ERRORS: dict[int, type[ErrorOut]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _figure(figure: Figure) -> FigureOut:
    return FigureOut(label=str(figure.label), value=figure.value, unit=figure.unit)


def _dashboard_out(board: Dashboard) -> DashboardOut:
    if not board.safe:
        # Nothing but the scope: not even the number of people, which would say how small it is.
        return DashboardOut(
            scope=board.scope,
            safe=False,
            k=selectors.k_min(),
            message=too_small_message(),
            figures=[],
            tables=[],
            curve=[],
        )
    return DashboardOut(
        scope=board.scope,
        safe=True,
        k=selectors.k_min(),
        figures=[_figure(f) for f in board.figures],
        tables=[
            TableOut(
                key=t.key,
                title=str(t.title),
                columns=[str(c) for c in t.columns],
                rows=t.rows,
                withheld=t.withheld,
            )
            for t in board.tables.values()
        ],
        curve=[CurvePointOut(week=week, total=total) for week, total in board.curve],
        named_recognition=board.named_recognition,
        notice=_recognition_notice(board.named_recognition),
    )


def _recognition_notice(on: bool) -> str:
    if not on:
        return ""
    return _(
        "Named recognition is on: an administrator chose to name the people whose help was "
        "taken up elsewhere. Nobody is ranked."
    )


@router.get("/org", response={200: DashboardOut, **ERRORS})
def org_dashboard(request: HttpRequest) -> DashboardOut:
    """The organisation's figures: every member may read them."""
    api_member(request)
    return _dashboard_out(selectors.org_dashboard(complete=True))


@router.get("/sites/{code}", response={200: DashboardOut, **ERRORS})
def site_dashboard(request: HttpRequest, code: str) -> DashboardOut:
    """What a site gave and took: its site lead, organisation-wide leads and administrators."""
    site = access_site_dashboard(api_member(request), code)
    return _dashboard_out(selectors.site_dashboard(site, complete=True))


@router.get("/topics/{topic_id}", response={200: DashboardOut, **ERRORS})
def topic_dashboard(request: HttpRequest, topic_id: int) -> DashboardOut:
    """One topic's figures across the organisation: every member."""
    topic = access_topic_dashboard(api_member(request), topic_id)
    return _dashboard_out(selectors.topic_dashboard(topic))


@router.get("/me", response={200: MyFiguresOut, **ERRORS})
def my_figures(request: HttpRequest) -> MyFiguresOut:
    """The caller's own figures; nobody else's are reachable."""
    person = api_member(request)
    on = selectors.named_recognition_on()
    return MyFiguresOut(
        figures=[_figure(f) for f in selectors.my_figures(person.pk)],
        named_recognition=on,
        notice=_recognition_notice(on),
    )
