from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from pollinate.analytics.tests.scenario import build
from pollinate.people.models import RoleName
from pollinate.people.tests.factories import RoleFactory

pytestmark = pytest.mark.django_db
TOO_SMALL = "Not enough people to show this safely"


def _rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_a_member_sees_the_organisation_dashboard_with_figures(
    record, site_a, site_b, bob, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 2
    build(record, site_a, site_b)
    response = as_client(bob).get(reverse("analytics:org"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Adoptions at other sites" in body
    assert "<svg" in body and "<table>" in body
    assert "Figures appear once at least" not in body


def test_the_organisation_dashboard_withholds_everything_below_the_threshold(
    record, site_a, site_b, bob, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 50
    build(record, site_a, site_b)
    client = as_client(bob)
    page = client.get(reverse("analytics:org")).content.decode()
    assert TOO_SMALL in page
    assert "Adoptions at other sites" not in page
    exported = _rows(client.get(reverse("analytics:org_csv", args=["flows"])))
    assert exported == [["Not enough people to show this safely."]]


def test_csv_export_withholds_small_groups_and_says_so(
    record, site_a, site_b, bob, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 2
    s = build(record, site_a, site_b)
    response = as_client(bob).get(reverse("analytics:org_csv", args=["flows"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _rows(response)
    assert rows[0] == ["Practice from", "Adopted at", "Adoptions"]
    # Every adoption flow has one person behind it: all withheld at k=2.
    assert all(s.porto.name not in row[1:2] for row in rows[1:-1])
    assert TOO_SMALL in rows[-1][0]


def test_csv_of_a_table_that_does_not_exist_is_a_404(
    record, site_a, site_b, bob, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 1
    build(record, site_a, site_b)
    assert as_client(bob).get(reverse("analytics:org_csv", args=["nope"])).status_code == 404


def test_csv_shows_groups_that_are_large_enough(record, site_a, site_b, bob, as_client, settings):
    settings.PRIVACY_MIN_GROUP = 1
    s = build(record, site_a, site_b)
    rows = _rows(as_client(bob).get(reverse("analytics:org_csv", args=["flows"])))
    assert [s.lyon.name, s.porto.name, "1"] in rows


def test_a_site_lead_sees_what_their_site_gave_and_took(
    record, site_a, site_b, alice, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 2
    build(record, site_a, site_b)
    response = as_client(alice).get(reverse("analytics:site", args=[site_a.code]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "what we gave, what we took" in body
    assert "Our practices adopted at other sites" in body


def test_a_site_lead_may_not_open_another_sites_dashboard(alice, site_b, as_client):
    response = as_client(alice).get(reverse("analytics:site", args=[site_b.code]))
    assert response.status_code == 403
    csv_response = as_client(alice).get(reverse("analytics:site_csv", args=[site_b.code, "flows"]))
    assert csv_response.status_code == 403


def test_a_member_may_not_open_their_own_sites_dashboard(bob, site_a, as_client):
    assert as_client(bob).get(reverse("analytics:site", args=[site_a.code])).status_code == 403


def test_an_administrator_opens_every_sites_dashboard(admin, site_b, as_client):
    assert as_client(admin).get(reverse("analytics:site", args=[site_b.code])).status_code == 200


def test_an_organisation_wide_site_lead_opens_every_sites_dashboard(charlie, site_a, as_client):
    RoleFactory(person=charlie, role=RoleName.SITE_LEAD, site=None)
    assert as_client(charlie).get(reverse("analytics:site", args=[site_a.code])).status_code == 200


def test_a_site_that_does_not_exist_is_a_404(admin, as_client):
    assert as_client(admin).get(reverse("analytics:site", args=["atlantis"])).status_code == 404


def test_a_small_site_shows_the_safety_message_instead_of_figures(alice, site_a, as_client):
    body = as_client(alice).get(reverse("analytics:site", args=[site_a.code])).content.decode()
    assert TOO_SMALL in body


def test_the_topic_view_shows_the_topics_figures(record, site_a, site_b, bob, as_client, settings):
    settings.PRIVACY_MIN_GROUP = 2
    s = build(record, site_a, site_b)
    response = as_client(bob).get(reverse("analytics:topic", args=[s.topic.pk]))
    assert response.status_code == 200
    assert "Welding: how it spreads" in response.content.decode()
    assert as_client(bob).get(reverse("analytics:topic", args=[999999])).status_code == 404


def test_my_figures_show_only_my_own_activity(record, site_a, site_b, as_client, settings):
    s = build(record, site_a, site_b)
    author, other = s.lyon_people[0], s.lyon_people[5]
    body = as_client(author).get(reverse("analytics:me")).content.decode()
    assert "Only you see this page" in body
    assert '<th scope="row">Practices I shared</th><td>1</td>' in body
    assert '<th scope="row">Answers I gave</th><td>0</td>' in body
    other_body = as_client(other).get(reverse("analytics:me")).content.decode()
    assert '<th scope="row">Answers I gave</th><td>2</td>' in other_body


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("analytics:org", []),
        ("analytics:me", []),
        ("analytics:topics", []),
        ("analytics:org_csv", ["flows"]),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


@pytest.mark.parametrize("name", ["analytics:org", "analytics:me", "analytics:topics"])
def test_dashboards_refuse_post(bob, as_client, name):
    assert as_client(bob).post(reverse(name)).status_code == 405


def test_the_organisation_dashboard_query_count_does_not_grow_with_data(
    record, site_a, site_b, bob, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 1
    client = as_client(bob)
    s = build(record, site_a, site_b)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("analytics:org"))
    build_more = [p for p in s.porto_people]
    for i, person in enumerate(build_more):
        record(
            "question.asked",
            actor=person,
            object_type="questions.question",
            object_id=50_000 + i,
            when=s.lyon_people[0].created_at,
        )
    with CaptureQueriesContext(connection) as larger:
        client.get(reverse("analytics:org"))
    assert len(larger) == len(small)
    assert len(small) <= 40


def test_the_dashboard_answer_is_cached_between_requests(
    record, site_a, site_b, bob, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 1
    settings.ANALYTICS_CACHE_SECONDS = 60
    build(record, site_a, site_b)
    client = as_client(bob)
    client.get(reverse("analytics:org"))
    with CaptureQueriesContext(connection) as cached:
        client.get(reverse("analytics:org"))
    assert not any("analytics_dailycount" in q["sql"] for q in cached.captured_queries)


def test_the_page_tables_escape_site_names_and_show_the_flows_the_csv_has(
    record, site_a, site_b, bob, as_client, settings
):
    settings.PRIVACY_MIN_GROUP = 1
    site_a.name = "<b>Lyon & co</b>"
    site_a.save()
    s = build(record, site_a, site_b)
    body = as_client(bob).get(reverse("analytics:org")).content.decode()
    assert "<b>Lyon" not in body
    assert (
        f'<tr><th scope="row">&lt;b&gt;Lyon &amp; co&lt;/b&gt;</th><td>{s.porto.name}</td>' in body
    )
    exported = _rows(as_client(bob).get(reverse("analytics:org_csv", args=["flows"])))
    assert ["<b>Lyon & co</b>", s.porto.name, "1"] in exported


def test_table_cells_are_localized_and_a_missing_figure_is_a_dash(settings):
    from django.utils import translation

    from pollinate.analytics.templatetags.analytics_tags import table_body

    with translation.override("fr"):
        html = table_body([["Lyon", 1234, 12.5, None]])
    assert html == '<tr><th scope="row">Lyon</th><td>1234</td><td>12,5</td><td>—</td></tr>'
    settings.USE_THOUSAND_SEPARATOR = True
    with translation.override("fr"):
        assert "<td>1\xa0234</td>" in table_body([["Lyon", 1234]])


cell_values = st.one_of(
    st.none(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.booleans(),
)


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.lists(cell_values, min_size=1, max_size=5), max_size=4),
    language=st.sampled_from(["en", "fr"]),
)
def test_table_rows_read_as_the_template_would_write_them(rows, language):
    from django.template import Context, Template
    from django.utils import translation

    from pollinate.analytics.templatetags.analytics_tags import table_body

    template = Template(
        "{% for row in rows %}<tr>{% for cell in row %}{% if forloop.first %}"
        '<th scope="row">{% if cell is None %}—{% else %}{{ cell }}{% endif %}</th>'
        "{% else %}<td>{% if cell is None %}—{% else %}{{ cell }}{% endif %}</td>{% endif %}"
        "{% endfor %}</tr>{% if not forloop.last %}\n{% endif %}{% endfor %}"
    )
    with translation.override(language):
        assert table_body(rows) == template.render(Context({"rows": rows}))


def test_a_page_cut_to_its_largest_rows_leaves_the_rest_to_the_csv(
    record, site_a, site_b, bob, as_client, settings, monkeypatch
):
    from pollinate.analytics import selectors

    settings.PRIVACY_MIN_GROUP = 1
    monkeypatch.setattr(selectors, "PAGE_ROWS", 1)
    s = build(record, site_a, site_b)
    client = as_client(bob)
    body = client.get(reverse("analytics:org")).content.decode()
    # Lyon asked two questions (first answers after 2 h and 10 h), Porto one.
    assert f'<tr><th scope="row">{s.lyon.name}</th><td>2</td><td>100.0</td><td>6.0</td>' in body
    assert f'<th scope="row">{s.porto.name}</th><td>1</td><td>0.0</td><td>—</td>' not in body
    assert "1 more row in the CSV." in body
    exported = _rows(client.get(reverse("analytics:org_csv", args=["responsiveness_sites"])))
    assert [row[:2] for row in exported[1:]] == [[s.lyon.name, "2"], [s.porto.name, "1"]]
    api = client.get("/api/analytics/org").json()
    sites = next(t for t in api["tables"] if t["key"] == "responsiveness_sites")
    assert [row[:2] for row in sites["rows"]] == [[s.lyon.name, 2], [s.porto.name, 1]]
