from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD
from pollinate.people.models import Invitation, Person
from pollinate.people.services import invitation_create

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, email: str, password: str) -> object:
    return client.post("/sign-in/", {"username": email, "password": password})


def test_a_member_signs_in_with_email_and_password_and_out_again(client: Client, bob) -> None:
    response = _sign_in(client, "BOB@example.com", PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/sign-out/").status_code == 302
    assert client.get("/").status_code == 302


def test_a_wrong_password_shows_an_error_people_can_act_on(client: Client, bob) -> None:
    response = _sign_in(client, "bob@example.com", "wrong-password")
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()


def test_passwords_are_stored_with_argon2(settings, db) -> None:
    from pollinate.people.models import User

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = User.objects.create_user("hash@example.com", "a-long-enough-password")
    assert user.password.startswith("argon2")


def test_lockout_engages_after_repeated_failures_and_releases_after_its_window(
    client: Client, bob, settings
) -> None:
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "bob@example.com", "wrong-password")
    locked = _sign_in(client, "bob@example.com", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()

    # The window passes: move the recorded failures back beyond the cool-off time.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    released = _sign_in(client, "bob@example.com", PASSWORD)
    assert released.status_code == 302


def test_a_lockout_for_one_address_does_not_lock_the_owner_out_elsewhere(bob, settings) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 2):
        _sign_in(attacker, "bob@example.com", "guess")
    assert _sign_in(attacker, "bob@example.com", PASSWORD).status_code == 429
    owner = Client(REMOTE_ADDR="198.51.100.7")
    assert _sign_in(owner, "bob@example.com", PASSWORD).status_code == 302


def test_password_reset_sends_a_working_one_time_link(client: Client, bob, smtp) -> None:
    response = client.post("/password/reset/", {"email": "bob@example.com"})
    assert response.status_code == 302
    message = smtp.wait_for(1)[0]
    link = re.search(r"https?://[^\s]+/password/reset/[^\s]+/", message.get_content()).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    assert form_page.status_code == 200
    post_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else "/" + path
    done = client.post(
        post_url,
        {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"},
    )
    assert done.status_code == 302
    assert _sign_in(Client(), "bob@example.com", "a-brand-new-passphrase").status_code == 302
    # The same link does not work twice.
    again = client.get("/" + path, follow=True)
    assert "no longer works" in again.content.decode()


def test_an_invitation_arrives_by_real_smtp_and_lets_the_person_set_a_password(
    as_client, admin, site_b, smtp, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = as_client(admin).post(
            "/people/invite/",
            {"display_name": "Inês Costa", "email": "ines@example.com", "site": site_b.pk},
        )
    assert response.status_code == 302
    message = smtp.wait_for(1)[0]
    assert message["To"] == "ines@example.com"
    link = re.search(r"https?://\S+/invitations/\S+/", message.get_content()).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]

    visitor = Client()
    assert "Inês Costa" in visitor.get(path).content.decode()
    weak = visitor.post(path, {"password1": "123", "password2": "123"})
    assert weak.status_code == 400
    accepted = visitor.post(
        path, {"password1": "lens-edging-2026", "password2": "lens-edging-2026"}
    )
    assert accepted.status_code == 302
    person = Person.objects.get(user__email="ines@example.com")
    assert person.site == site_b and person.display_name == "Inês Costa"

    # The link is one-time, and the new password signs in.
    assert Client().get(path).status_code == 404
    assert _sign_in(Client(), "ines@example.com", "lens-edging-2026").status_code == 302


def test_an_expired_invitation_is_refused(admin, site_a, smtp) -> None:
    issued = invitation_create(
        actor=admin, email="late@example.com", display_name="Late", site=site_a
    )
    Invitation.objects.filter(pk=issued.invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    path = "/" + issued.url.split("://", 1)[1].split("/", 1)[1]
    assert Client().get(path).status_code == 404


def test_a_member_cannot_invite(as_client, bob, site_a) -> None:
    response = as_client(bob).post(
        "/people/invite/", {"display_name": "X", "email": "x@example.com", "site": site_a.pk}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_inviting_an_existing_member_shows_a_field_error(as_client, admin, bob, site_a) -> None:
    response = as_client(admin).post(
        "/people/invite/", {"display_name": "Bob", "email": "bob@example.com", "site": site_a.pk}
    )
    assert response.status_code == 400
    assert "already has an account" in response.content.decode()


def test_forms_refuse_posts_without_a_csrf_token(bob) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob.user)
    response = client.post("/me/skills/", {"topic": 1, "level": 2})
    assert response.status_code == 403
    assert "expired" in response.content.decode()


def test_failures_from_many_addresses_are_capped_per_account_per_hour(bob, settings) -> None:
    settings.ACCOUNT_SIGNIN_FAILURES_PER_HOUR = 6
    # Each address stays under the per-address lockout; together they reach the account cap.
    for attempt in range(6):
        Client(REMOTE_ADDR=f"203.0.113.{attempt}").post(
            "/sign-in/", {"username": "bob@example.com", "password": "guess"}
        )
    refused = Client(REMOTE_ADDR="198.51.100.7").post(
        "/sign-in/", {"username": "bob@example.com", "password": PASSWORD}
    )
    assert refused.status_code == 200
    assert "too many failed sign-ins in the last hour" in refused.content.decode()
    # The refusal is in the audit log, with the address it came from.
    from pollinate.audit.models import AuditAction, AuditRecord

    record = AuditRecord.objects.filter(action=AuditAction.SIGNIN_LOCKED_OUT).get()
    assert record.ip_address == "198.51.100.7" and record.details["account_hourly_cap"] is True
    # Another account is not affected.
    from pollinate.people.tests.factories import PersonFactory, UserFactory

    other = PersonFactory(user=UserFactory(email="other@example.com"), site=bob.site)
    ok = Client(REMOTE_ADDR="198.51.100.7").post(
        "/sign-in/", {"username": other.user.email, "password": PASSWORD}
    )
    assert ok.status_code == 302


def _queries_on(table: str, queries: list[dict[str, str]]) -> list[str]:
    return [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"]]


def test_a_signed_in_request_loads_the_user_with_the_member_and_site_in_one_query(
    client: Client, bob
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert _sign_in(client, "bob@example.com", PASSWORD).status_code == 302
    assert client.session["_auth_user_backend"] == "pollinate.people.backends.MemberBackend"
    client.get("/ping")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/ping")  # every page's share: session, user, member
    assert response.status_code == 200
    users = _queries_on("people_user", queries.captured_queries)
    assert len(users) == 1
    assert '"people_person"' in users[0] and '"people_site"' in users[0]
    assert _queries_on("people_person", queries.captured_queries) == []


def test_a_deactivated_member_is_signed_out_on_the_next_request(client: Client, bob) -> None:
    assert _sign_in(client, "bob@example.com", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
    bob.user.is_active = False
    bob.user.save(update_fields=["is_active"])
    response = client.get("/")
    assert response.status_code == 302 and "/sign-in/" in response["Location"]


def test_a_session_signed_in_before_the_member_backend_stays_signed_in(client: Client, bob) -> None:
    client.force_login(bob.user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/me/")
    assert response.status_code == 200 and "Bob" in response.content.decode()
    assert client.session["_auth_user_backend"] == "pollinate.people.backends.MemberBackend"
    assert client.get("/").status_code == 200


def test_an_account_without_a_member_profile_is_signed_in_without_one(client: Client, db) -> None:
    from pollinate.people.models import User

    User.objects.create_user("operator@example.com", PASSWORD)
    assert _sign_in(client, "operator@example.com", PASSWORD).status_code == 302
    response = client.get("/")
    assert response.status_code == 403  # the "no profile" page, not an error
