"""Whose address a request comes from: one answer for lockouts, rate limits and the audit log."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory

from conftest import PASSWORD
from pollinate.core.ratelimit import client_address


def _request(xff: str | None = None, remote: str = "10.0.0.2") -> object:
    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **extra)


def test_without_a_proxy_a_forwarded_header_is_ignored(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(_request("198.51.100.7")) == "10.0.0.2"


@pytest.mark.parametrize(
    ("xff", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),  # what the proxy appended
        ("1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the client's own entry cannot be chosen
        ("  2001:db8::1 ", "2001:db8::1"),
        ("1.2.3.4, not-an-address", "10.0.0.2"),  # nonsense falls back to the socket
        ("", "10.0.0.2"),
    ],
)
def test_behind_one_proxy_the_address_it_appended_counts(settings, xff: str, expected) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(_request(xff)) == expected


def test_behind_two_proxies_the_second_address_from_the_right_counts(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(_request("1.2.3.4, 203.0.113.9, 10.0.0.5")) == "203.0.113.9"
    assert client_address(_request("10.0.0.5")) == "10.0.0.2"  # too few hops: the socket


@pytest.mark.django_db
def test_behind_a_proxy_a_lockout_is_per_real_client_and_cannot_be_dodged(bob, settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")

    def sign_in(forwarded: str, password: str) -> int:
        response = proxy.post(
            "/sign-in/",
            {"username": "bob@example.com", "password": password},
            HTTP_X_FORWARDED_FOR=forwarded,
        )
        return response.status_code

    # The attacker rewrites its own X-Forwarded-For entry each time; the proxy's entry stays.
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(f"192.0.2.{n}, 203.0.113.9", "guess")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    assert sign_in("192.0.2.99, 203.0.113.9", PASSWORD) == 429
    # Everyone else behind the same proxy still signs in.
    assert sign_in("198.51.100.7", PASSWORD) == 302
