"""Real-browser check: a site lead reads their site's dashboard on a 360-px phone screen."""

from __future__ import annotations

import pytest

from conftest import sign_in
from pollinate.analytics.tests.scenario import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_site_dashboard_shows_its_charts_and_tables_on_a_phone(
    phone, record, alice, site_a, site_b, settings
) -> None:
    settings.PRIVACY_MIN_GROUP = 1
    settings.ANALYTICS_CACHE_SECONDS = 0
    build(record, site_a, site_b)

    sign_in(phone, alice)
    phone.goto(f"/analytics/sites/{site_a.code}/")
    heading = phone.get_by_role("heading", level=1)
    assert site_a.name in heading.inner_text()
    assert phone.get_by_text("Practices we adapted").is_visible()
    # Every chart is drawn (SVG, no script or CDN) and has its data table next to it.
    assert phone.get_by_role("heading", name="Who learns from whom", exact=True).is_visible()
    charts = phone.locator("svg.chart")
    assert charts.count() >= 1
    assert all(charts.nth(i).bounding_box()["width"] <= 360 for i in range(charts.count()))
    assert phone.get_by_role("table").count() >= 2
    assert phone.get_by_role("link", name="Download this table (CSV)").count() >= 2
    # Nothing on the page is wider than the phone screen, tables included.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
