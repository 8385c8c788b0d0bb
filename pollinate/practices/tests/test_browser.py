"""The acceptance flow on a 360-px phone: capture with a photo, found at another site, adapted."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from conftest import sign_in
from pollinate.people.models import Person
from pollinate.practices.models import Adoption, Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_practice_captured_on_a_phone_is_found_and_adapted_at_another_site(
    browser: Any, live_server: Any, bob: Person, charlie: Person, tmp_path: Any
) -> None:
    photo = tmp_path / "press.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 120, 40)).save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())

    def phone_page() -> Any:
        context = browser.new_context(
            viewport={"width": 360, "height": 740},
            base_url=live_server.url,
            is_mobile=True,
            has_touch=True,
            locale="en-GB",
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    # Bob, at Lyon, captures a practice with a photo from the home page.
    lyon = phone_page()
    sign_in(lyon, bob)
    lyon.get_by_role("link", name="Capture a practice").first.click()
    lyon.get_by_label("What is it called?").fill("Shadow board for press tools")
    lyon.get_by_label("What do you do?").fill("Every tool has a painted outline on the board.")
    lyon.get_by_label("Photo").set_input_files(str(photo))
    lyon.get_by_role("button", name="Save practice").click()
    lyon.wait_for_url("**/practices/*/")
    assert lyon.get_by_role("heading", level=1).inner_text() == "Shadow board for press tools"
    assert lyon.locator(".gallery img").first.get_attribute("src").startswith("/media/practices/")
    assert lyon.evaluate("document.documentElement.scrollWidth") <= 360
    original = Practice.objects.get(title="Shadow board for press tools")

    # Charlie, at Porto, searches from his home page (accents and case do not matter).
    porto = phone_page()
    sign_in(porto, charlie)
    porto.get_by_label("Search practices and people").fill("SHADOW board")
    porto.keyboard.press("Enter")
    porto.get_by_role("link", name="Shadow board for press tools").click()
    porto.get_by_role("link", name="Adapt it for my site").click()
    porto.get_by_label("Title of your version").fill("Shadow board, Porto")
    porto.get_by_label("What did you change, and why?").fill("We added QR codes to each tool.")
    porto.get_by_label("Was the outcome positive?").select_option("yes")
    porto.get_by_role("button", name="Share our version").click()
    porto.wait_for_url("**/practices/*/")

    # Both pages show the provenance chain.
    provenance = porto.locator("#provenance").inner_text()
    assert "Shadow board for press tools" in provenance and "Lyon Plant" in provenance
    lyon.reload()
    provenance = lyon.locator("#provenance").inner_text()
    assert "Porto Plant" in provenance and "Shadow board, Porto" in provenance
    assert lyon.evaluate("document.documentElement.scrollWidth") <= 360

    adoption = Adoption.objects.get(practice=original)
    assert adoption.site == charlie.site and adoption.status == "adapted"
    assert adoption.adaptation is not None and adoption.adaptation.adapted_from == original
