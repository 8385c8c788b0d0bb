"""The audit page and its CSV export: administrators only, filtered, paginated, safe to open."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pollinate.audit.models import AuditAction, AuditRecord
from pollinate.audit.services import audit_record
from pollinate.audit.triggers import triggers_create, triggers_drop
from pollinate.audit.views import PAGE_SIZE, csv_cell

pytestmark = pytest.mark.django_db


def _age(record: AuditRecord | None, days: int) -> None:
    """Moves a record back in time (tests only: the triggers forbid it otherwise)."""
    assert record is not None
    with transaction.atomic():
        triggers_drop(connection)
        AuditRecord._base_manager.filter(pk=record.pk).update(
            created_at=timezone.now() - timedelta(days=days)
        )
        triggers_create(connection)


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db) -> None:
    for path in ("/audit/", "/audit/export.csv"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/")


@pytest.mark.parametrize("persona", ["bob", "alice", "mod", "editor"])
def test_members_site_leads_and_moderators_are_refused(as_client, persona, request) -> None:
    client = as_client(request.getfixturevalue(persona))
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert not AuditRecord.objects.filter(action=AuditAction.AUDIT_EXPORTED).exists()


def test_the_page_takes_no_post(as_client, admin) -> None:
    client = as_client(admin)
    assert client.post("/audit/").status_code == 405
    assert client.post("/audit/export.csv").status_code == 405


def test_an_administrator_sees_the_log_newest_first(as_client, admin, bob) -> None:
    client = as_client(admin)  # signing in is itself recorded: do it first
    audit_record(action=AuditAction.ROLE_GRANTED, actor_person=admin, target_label="Bob")
    audit_record(action=AuditAction.SIGNOUT, actor_person=bob)
    response = client.get("/audit/")
    assert response.status_code == 200
    page = response.context["page"]
    assert page.object_list[0].action == AuditAction.SIGNOUT
    html = response.content.decode()
    assert "Audit log" in html and "Bob &lt;bob@example.com&gt;" in html


def test_filters_narrow_by_action_actor_site_and_dates(
    as_client, admin, bob, charlie, site_b
) -> None:
    audit_record(action=AuditAction.SIGNOUT, actor_person=bob)
    audit_record(action=AuditAction.SIGNOUT, actor_person=charlie)
    old = audit_record(action=AuditAction.SIGNOUT, actor_person=charlie)
    _age(old, 10)
    client = as_client(admin)

    def listed(**query: str) -> list[AuditRecord]:
        response = client.get("/audit/", query)
        assert response.status_code == 200
        return list(response.context["page"].object_list)

    assert {r.actor_person for r in listed(action="signout", actor="CHARLIE")} == {charlie}
    assert len(listed(action="signout", actor="charlie")) == 2
    assert all(r.site_id == site_b.pk for r in listed(site="porto"))
    today = timezone.localdate()
    recent = listed(action="signout", since=str(today - timedelta(days=1)), until=str(today))
    assert old is not None and old.pk not in {r.pk for r in recent} and len(recent) == 2
    ten_days_ago = str(timezone.localdate(timezone.now() - timedelta(days=10)))
    assert [r.pk for r in listed(since=ten_days_ago, until=ten_days_ago)] == [old.pk]


def test_a_backwards_date_range_is_a_400_with_a_message(as_client, admin) -> None:
    response = as_client(admin).get("/audit/", {"since": "2026-05-02", "until": "2026-05-01"})
    assert response.status_code == 400
    assert "start date is after the end date" in response.content.decode()


def test_the_list_is_paginated_and_keeps_filters_across_pages(as_client, admin) -> None:
    AuditRecord.objects.bulk_create(
        AuditRecord(action=AuditAction.SIGNOUT, actor_label=f"n{i}") for i in range(PAGE_SIZE + 5)
    )
    client = as_client(admin)
    first = client.get("/audit/", {"action": "signout"})
    assert len(first.context["page"].object_list) == PAGE_SIZE
    assert "action=signout&amp;page=2" in first.content.decode()
    second = client.get("/audit/", {"action": "signout", "page": 2})
    assert len(second.context["page"].object_list) == 5


def test_htmx_requests_get_only_the_results(as_client, admin) -> None:
    response = as_client(admin).get("/audit/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert response.templates[0].name == "audit/_partials/results.html"


def test_the_page_runs_a_bounded_number_of_queries(as_client, admin, bob, charlie) -> None:
    client = as_client(admin)
    client.get("/audit/")  # warm the session and the content-type cache

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/audit/").status_code == 200
        return len(queries)

    for person in (bob, charlie):
        audit_record(action=AuditAction.SIGNOUT, actor_person=person)
    few = count()
    for index in range(30):
        audit_record(action=AuditAction.SIGNOUT, actor_person=bob if index % 2 else charlie)
    assert count() == few
    assert few <= 12


def test_the_csv_export_streams_the_filtered_list_and_records_that_it_happened(
    as_client, admin, bob, charlie
) -> None:
    audit_record(action=AuditAction.SIGNOUT, actor_person=bob)
    audit_record(action=AuditAction.SIGNIN_SUCCEEDED, actor_person=charlie)
    response = as_client(admin).get("/audit/export.csv", {"action": "signout"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:3] == ["Time (UTC)", "Action", "Actor"]
    assert [row[1] for row in rows[1:]] == ["signout"]
    assert rows[1][2] == "Bob <bob@example.com>"
    exported = AuditRecord.objects.get(action=AuditAction.AUDIT_EXPORTED)
    assert exported.actor_person == admin and exported.details["filters"] == {"action": "signout"}


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_the_csv_export_neutralises_spreadsheet_formulas(as_client, admin, payload) -> None:
    audit_record(action=AuditAction.SIGNIN_FAILED, label=payload, target_label=payload, details={})
    rows = _csv(as_client(admin).get("/audit/export.csv", {"action": "signin.failed"}))
    assert rows[1][2] == "'" + payload and rows[1][6] == "'" + payload
    assert csv_cell("plain") == "plain" and csv_cell(None) == ""


def test_the_django_admin_shows_records_read_only(as_client, admin, bob) -> None:
    record = audit_record(action=AuditAction.SIGNOUT, actor_person=bob)
    assert record is not None
    client = as_client(admin)
    assert client.get("/admin/audit/auditrecord/").status_code == 200
    assert client.get(f"/admin/audit/auditrecord/{record.pk}/change/").status_code == 200
    assert client.get("/admin/audit/auditrecord/add/").status_code == 403
    assert (
        client.post(f"/admin/audit/auditrecord/{record.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    response = client.post(
        f"/admin/audit/auditrecord/{record.pk}/change/", {"action": "signin.succeeded"}
    )
    assert response.status_code == 403
    assert AuditRecord.objects.get(pk=record.pk).action == AuditAction.SIGNOUT


def test_staff_who_are_not_administrators_do_not_see_it_in_the_admin(as_client, bob) -> None:
    bob.user.is_staff = True
    bob.user.save()
    assert as_client(bob).get("/admin/audit/auditrecord/").status_code == 403
