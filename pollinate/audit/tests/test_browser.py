"""The audit page on a 360-px phone: readable, filterable, nothing wider than the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import sign_in
from pollinate.audit.models import AuditAction
from pollinate.audit.services import audit_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_filters_the_log_on_a_phone(phone, admin, bob) -> None:
    long_agent = "Mozilla/5.0 " + "VeryLongUnbrokenUserAgentToken" * 8
    audit_record(action=AuditAction.ROLE_GRANTED, actor_person=admin, target_label="Bob")
    audit_record(
        action=AuditAction.SIGNIN_FAILED,
        label="",
        target_label="someone-with-a-very-long-address@example.com",
        details={"user_agent_seen": long_agent},
    )
    sign_in(phone, admin)  # through the real form: recorded with the browser's address
    phone.goto("/audit/")
    assert phone.get_by_role("heading", name="Audit log").is_visible()
    assert phone.locator("#audit-results").get_by_text("Signed in", exact=True).is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.get_by_label("Action").select_option("signin.failed")
    phone.get_by_role("button", name="Filter").click()
    phone.wait_for_url("**/audit/?*action=signin.failed*")
    results = phone.locator("#audit-results")
    expect(results).to_contain_text("1 record ·")
    expect(results).not_to_contain_text("Signed in")
    assert results.get_by_text("Failed sign-in", exact=True).is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    export = phone.get_by_role("link", name="Download these as CSV")
    assert "action=signin.failed" in (export.get_attribute("href") or "")
