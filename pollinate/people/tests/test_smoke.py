from __future__ import annotations

import pytest
from django.core.mail import send_mail

from conftest import sign_in


@pytest.mark.django_db
def test_it_shows_the_home_page_to_a_member(as_client, bob) -> None:
    response = as_client(bob).get("/")
    assert response.status_code == 200
    assert "Bob" in response.content.decode()


def test_mail_reaches_a_real_smtp_server(smtp) -> None:
    send_mail("Hello", "Body", None, ["x@example.com"])
    assert smtp.wait_for(1)[0]["Subject"] == "Hello"


@pytest.mark.browser
def test_a_member_signs_in_on_a_phone(phone, bob) -> None:
    sign_in(phone, bob)
    assert phone.get_by_role("heading", level=1).inner_text().startswith("Hello")
