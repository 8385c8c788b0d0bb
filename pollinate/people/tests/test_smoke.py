from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_it_shows_the_home_page_to_a_member(as_client, bob) -> None:
    response = as_client(bob).get("/")
    assert response.status_code == 200
    assert "Bob" in response.content.decode()
