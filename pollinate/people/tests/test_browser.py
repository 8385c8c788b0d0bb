"""Real-browser checks of the foundation on a 360-px phone screen."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_edits_their_profile_with_a_photo_and_switches_to_french(
    phone, bob, tmp_path
) -> None:
    photo = tmp_path / "me.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), (30, 120, 90)).save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())

    sign_in(phone, bob)
    # The navigation is collapsed behind a menu button on a phone and opens by keyboard.
    menu = phone.get_by_role("button", name="Menu")
    menu.focus()
    phone.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true"
    phone.get_by_role("link", name="Me", exact=True).click()

    phone.get_by_label("Job title").fill("Line technician")
    phone.get_by_label("Photo").set_input_files(str(photo))
    phone.get_by_role("button", name="Save my profile").click()
    expect(phone.get_by_text("Your profile is saved.")).to_be_visible()
    avatar = phone.locator(".avatar--lg img")
    assert avatar.get_attribute("src").startswith("/media/people/")
    # Nothing on the page is wider than the phone screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.get_by_label("Language", exact=True).select_option("fr")
    phone.wait_for_load_state()
    phone.wait_for_function("document.documentElement.lang === 'fr'")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Mon profil")

    bob.refresh_from_db()
    assert bob.job_title == "Line technician"
    assert bob.interface_language == "fr"
    assert bob.photo.name.endswith(".jpg")
