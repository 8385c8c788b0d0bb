"""Two real browsers in one live room: the acceptance scenario of the live chats issue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from conftest import sign_in
from pollinate.chats.models import Chat
from pollinate.chats.tests.conftest import RealtimeServer
from pollinate.people.models import Person


def _context(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        base_url=live_server.url,
        locale="en-GB",
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    return context


@pytest.mark.browser
def test_host_releases_q1_participant_answers_both_see_it_live_and_it_survives_a_reload(
    browser: Any,
    live_server: Any,
    realtime: RealtimeServer,
    settings: Any,
    live_chat: Chat,
    alice: Person,
    charlie: Person,
) -> None:
    # The page and the socket must share a host name so the session cookie goes to both.
    host_name = urlparse(live_server.url).hostname
    settings.REALTIME_URL = f"ws://{host_name}:{realtime.port}"
    host_context, guest_context = _context(browser, live_server), _context(browser, live_server)
    try:
        host, guest = host_context.new_page(), guest_context.new_page()
        sign_in(host, alice)
        sign_in(guest, charlie)
        room = f"/chats/{live_chat.pk}/room/"
        host.goto(room)
        guest.goto(room)
        for page in (host, guest):
            page.locator("[data-status]").filter(has_text="Live").wait_for()

        host.get_by_role("button", name="Release Q1").click()
        for page in (host, guest):
            page.locator(".msg--prompt").filter(has_text="Q one?").wait_for()

        guest.get_by_label("Your message").fill("We pre-stage the dies on a cart.")
        guest.get_by_role("button", name="Send").click()
        for page in (host, guest):
            page.locator(".msg--message").filter(
                has_text="We pre-stage the dies on a cart."
            ).wait_for()
        guest.locator(".msg__state").filter(has_text="Delivered").wait_for()
        assert guest.locator(".msg--message .msg__label").first.inner_text() == "A1"

        # The participant reloads mid-chat: everything is still there, and live again.
        guest.reload()
        guest.locator("[data-status]").filter(has_text="Live").wait_for()
        assert guest.locator(".msg--prompt").filter(has_text="Q one?").count() == 1
        assert guest.locator(".msg--message").filter(has_text="pre-stage the dies").count() == 1
        host.get_by_label("Your message").fill("Great — who else does this?")
        host.get_by_role("button", name="Send").click()
        guest.locator(".msg--message").filter(has_text="who else does this?").wait_for()
        assert guest.locator(".msg--message").filter(has_text="pre-stage the dies").count() == 1

        # After the chat, the transcript shows the answer under Q1.
        Chat.objects.filter(pk=live_chat.pk).update(
            starts_at=timezone.now() - timedelta(hours=2),
            ends_at=timezone.now() - timedelta(hours=1),
        )
        guest.goto(f"/chats/{live_chat.pk}/transcript/")
        section = guest.locator("#q1")
        assert "Q1. Q one?" in section.locator("h2").inner_text()
        assert "We pre-stage the dies on a cart." in section.inner_text()
    finally:
        host_context.close()
        guest_context.close()
