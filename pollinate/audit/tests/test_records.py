"""Each audited action writes exactly one record, with the right actor, site and address."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from conftest import PASSWORD
from pollinate.audit.models import AuditAction, AuditRecord
from pollinate.audit.services import audit_record
from pollinate.chats import services as chat_services
from pollinate.chats.tests.factories import ChatFactory
from pollinate.people.models import ApiToken, Person, Role, RoleName
from pollinate.people.services import api_token_create, role_grant
from pollinate.practices import services as practice_services
from pollinate.practices.tests.factories import PracticeFactory
from pollinate.questions import services as question_services
from pollinate.questions.models import CloseReason
from pollinate.questions.tests.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"


def only(action: str) -> AuditRecord:
    """The one record of this action; fails if there is none or more than one."""
    records = list(AuditRecord.objects.filter(action=action))
    assert len(records) == 1, f"{len(records)} records of {action}: {records}"
    return records[0]


def client_at(ip: str = IP) -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT="Mozilla/5.0 (audit test) " + "x" * 400)


def signed_in(person: Person, ip: str = IP) -> Client:
    client = client_at(ip)
    client.force_login(person.user, backend="pollinate.people.backends.MemberBackend")
    return client


def sign_in(client: Client, email: str, password: str) -> Any:
    return client.post("/sign-in/", {"username": email, "password": password})


# --- sign-in and sign-out ----------------------------------------------------------------------


def test_a_successful_sign_in_records_who_where_and_from_which_address(bob) -> None:
    assert sign_in(client_at(), "bob@example.com", PASSWORD).status_code == 302
    record = only(AuditAction.SIGNIN_SUCCEEDED)
    assert record.actor_person == bob and record.actor_user == bob.user
    assert record.site_id == bob.site_id
    assert record.ip_address == IP
    assert record.actor_label == "Bob <bob@example.com>"
    assert record.user_agent.startswith("Mozilla/5.0 (audit test)")
    assert len(record.user_agent) == 255


def test_a_failed_sign_in_records_the_attempted_account_as_target_not_actor(bob) -> None:
    assert sign_in(client_at(), "bob@example.com", "wrong").status_code == 200
    record = only(AuditAction.SIGNIN_FAILED)
    assert record.actor_user is None and record.actor_person is None
    assert record.actor_label == ""
    assert record.target_type == "people.user" and record.target_id == str(bob.user_id)
    assert record.site_id == bob.site_id and record.ip_address == IP
    assert record.details["account_exists"] is True


def test_a_failed_sign_in_for_an_unknown_address_is_recorded_too(db) -> None:
    sign_in(client_at(), "nobody@example.com", "whatever")
    record = only(AuditAction.SIGNIN_FAILED)
    assert record.target_label == "nobody@example.com"
    assert record.details["account_exists"] is False and record.site is None


def test_a_lockout_is_recorded_once_per_refused_attempt(bob, settings) -> None:
    client = client_at()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "bob@example.com", "wrong")
    assert AuditRecord.objects.filter(action=AuditAction.SIGNIN_FAILED).count() == (
        settings.AXES_FAILURE_LIMIT - 1
    )
    # The failure that reaches the limit locks the pair; the right password is then refused.
    sign_in(client, "bob@example.com", "wrong")
    assert sign_in(client, "bob@example.com", PASSWORD).status_code == 429
    locked = AuditRecord.objects.filter(action=AuditAction.SIGNIN_LOCKED_OUT)
    assert locked.count() == 2
    assert {r.ip_address for r in locked} == {IP}
    assert AuditRecord.objects.filter(action=AuditAction.SIGNIN_FAILED).count() == (
        settings.AXES_FAILURE_LIMIT - 1
    )
    assert not AuditRecord.objects.filter(action=AuditAction.SIGNIN_SUCCEEDED).exists()


def test_signing_out_is_recorded(bob) -> None:
    client = signed_in(bob)
    assert client.post("/sign-out/").status_code == 302
    record = only(AuditAction.SIGNOUT)
    assert record.actor_person == bob and record.ip_address == IP


def test_the_address_follows_the_axes_client_ip_setting(bob, settings) -> None:
    settings.AXES_CLIENT_IP_CALLABLE = lambda request: "198.51.100.23"
    sign_in(client_at(), "bob@example.com", PASSWORD)
    assert only(AuditAction.SIGNIN_SUCCEEDED).ip_address == "198.51.100.23"


# --- password reset ----------------------------------------------------------------------------


def test_a_password_reset_records_the_request_and_the_completion(bob, smtp) -> None:
    client = client_at()
    assert client.post("/password/reset/", {"email": "bob@example.com"}).status_code == 302
    requested = only(AuditAction.PASSWORD_RESET_REQUESTED)
    assert requested.actor_user is None and requested.target_id == str(bob.user_id)
    assert requested.site_id == bob.site_id and requested.ip_address == IP

    link = re.search(r"https?://\S+/password/reset/\S+/", smtp.wait_for(1)[0].get_content())
    path = "/" + link.group(0).split("://", 1)[1].split("/", 1)[1]
    form_page = client.get(path, follow=True)
    post_url = form_page.redirect_chain[-1][0]
    assert not AuditRecord.objects.filter(action=AuditAction.PASSWORD_RESET_COMPLETED).exists()
    new = "a-brand-new-passphrase"
    assert client.post(post_url, {"new_password1": new, "new_password2": new}).status_code == 302
    completed = only(AuditAction.PASSWORD_RESET_COMPLETED)
    assert completed.actor_person == bob and completed.ip_address == IP


def test_a_refused_password_reset_form_records_nothing(bob) -> None:
    assert client_at().post("/password/reset/", {"email": "not-an-email"}).status_code == 200
    assert not AuditRecord.objects.filter(action=AuditAction.PASSWORD_RESET_REQUESTED).exists()


# --- invitations, roles, tokens ----------------------------------------------------------------


def test_an_invitation_sent_and_accepted_writes_one_record_each(
    admin, site_b, smtp, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(admin).post(
            "/people/invite/",
            {"display_name": "Inês Costa", "email": "ines@example.com", "site": site_b.pk},
        )
    assert response.status_code == 302
    sent = only(AuditAction.INVITATION_SENT)
    assert sent.actor_person == admin and sent.site_id == site_b.pk and sent.ip_address == IP
    assert sent.target_label == "ines@example.com"

    link = re.search(r"https?://\S+/invitations/\S+/", smtp.wait_for(1)[0].get_content())
    path = "/" + link.group(0).split("://", 1)[1].split("/", 1)[1]
    visitor = client_at("198.51.100.9")
    password = "lens-edging-2026"
    assert visitor.post(path, {"password1": password, "password2": password}).status_code == 302
    accepted = only(AuditAction.INVITATION_ACCEPTED)
    ines = Person.objects.get(user__email="ines@example.com")
    assert accepted.actor_person == ines and accepted.site_id == site_b.pk
    assert accepted.ip_address == "198.51.100.9"


def test_granting_a_role_through_the_service_records_it_once(admin, bob) -> None:
    before = AuditRecord.objects.filter(action=AuditAction.ROLE_GRANTED).count()
    role_grant(actor=admin, person=bob, role=RoleName.MODERATOR, site=None)
    role_grant(actor=admin, person=bob, role=RoleName.MODERATOR, site=None)  # already held
    granted = AuditRecord.objects.filter(action=AuditAction.ROLE_GRANTED)
    assert granted.count() == before + 1
    record = granted.first()
    assert record is not None
    assert record.target_id == str(bob.pk) and record.details["role"] == "moderator"


def test_role_changes_in_the_django_admin_are_recorded_with_the_admin_as_actor(
    admin, bob, django_user_model
) -> None:
    admin.user.is_superuser = True  # the persona is staff; model permissions come with superuser
    admin.user.save()
    client = signed_in(admin)
    granted_before = AuditRecord.objects.filter(action=AuditAction.ROLE_GRANTED).count()
    response = client.post(
        "/admin/people/role/add/",
        {"person": bob.pk, "role": RoleName.SITE_LEAD, "site": bob.site_id},
    )
    assert response.status_code == 302
    granted = AuditRecord.objects.filter(action=AuditAction.ROLE_GRANTED).order_by("-id")
    assert granted.count() == granted_before + 1
    record = granted.first()
    assert record is not None
    assert record.actor_person == admin and record.ip_address == IP
    assert record.site_id == bob.site_id and record.details["site"] == bob.site.code
    added = only(AuditAction.ADMIN_ADDED)
    assert added.target_type == "people.role" and added.actor_person == admin

    role = Role.objects.get(person=bob, role=RoleName.SITE_LEAD)
    response = client.post(f"/admin/people/role/{role.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    revoked = only(AuditAction.ROLE_REVOKED)
    assert revoked.actor_person == admin and revoked.target_id == str(bob.pk)
    assert only(AuditAction.ADMIN_DELETED).target_id == str(role.pk)


def test_api_tokens_created_and_revoked_are_recorded(bob) -> None:
    api_token_create(person=bob, name="laptop")
    created = only(AuditAction.API_TOKEN_CREATED)
    assert created.actor_person == bob and created.site_id == bob.site_id
    assert created.target_label == "laptop (Bob)"
    ApiToken.objects.get(person=bob).delete()
    assert only(AuditAction.API_TOKEN_REVOKED).target_id == created.target_id


# --- moderation --------------------------------------------------------------------------------


def test_a_moderator_removing_someone_elses_practice_comment_is_recorded(mod, bob) -> None:
    comment = practice_services.comment_create(
        actor=bob, practice=PracticeFactory(owner=bob), body="Looks unsafe"
    )
    response = signed_in(mod).post(f"/practices/comments/{comment.pk}/delete/")
    assert response.status_code in (200, 302)
    record = only(AuditAction.PRACTICE_COMMENT_REMOVED)
    assert record.actor_person == mod and record.ip_address == IP
    assert record.target_type == "practices.practice"


def test_a_member_removing_their_own_comment_is_not_moderation(bob) -> None:
    comment = practice_services.comment_create(
        actor=bob, practice=PracticeFactory(owner=bob), body="Typo"
    )
    practice_services.comment_delete(actor=bob, comment=comment)
    assert not AuditRecord.objects.filter(action=AuditAction.PRACTICE_COMMENT_REMOVED).exists()


def test_retiring_a_practice_is_recorded(alice, bob) -> None:
    practice = PracticeFactory(owner=bob)
    practice_services.practice_retire(actor=alice, practice=practice, reason="=cmd")
    record = only(AuditAction.PRACTICE_RETIRED)
    assert record.actor_person == alice and record.target_id == str(practice.pk)
    assert record.target_label == practice.title and record.details["reason"] == "=cmd"


def test_closing_and_accepting_for_someone_else_are_recorded_but_not_for_oneself(
    mod, bob, charlie
) -> None:
    own = QuestionFactory(author=bob)
    question_services.answer_accept(actor=bob, answer=AnswerFactory(question=own, author=charlie))
    assert not AuditRecord.objects.filter(action=AuditAction.ANSWER_ACCEPTED).exists()

    other = QuestionFactory(author=bob)
    answer = AnswerFactory(question=other, author=charlie)
    question_services.answer_accept(actor=mod, answer=answer)
    accepted = only(AuditAction.ANSWER_ACCEPTED)
    assert accepted.actor_person == mod and accepted.site_id == other.site_id

    question_services.question_close(
        actor=mod,
        question=QuestionFactory(author=bob),
        reason=CloseReason.DUPLICATE,
        duplicate_of=own,
    )
    assert only(AuditAction.QUESTION_CLOSED).actor_person == mod


def test_deleting_someone_elses_question_or_answer_is_recorded(mod, bob, charlie) -> None:
    question = QuestionFactory(author=bob)
    answer = AnswerFactory(question=question, author=charlie)
    question_services.answer_delete(
        actor=charlie, answer=AnswerFactory(question=question, author=charlie)
    )
    assert not AuditRecord.objects.filter(action=AuditAction.ANSWER_DELETED).exists()
    answer_id = answer.pk
    question_services.answer_delete(actor=mod, answer=answer)
    assert only(AuditAction.ANSWER_DELETED).target_id == str(answer_id)
    question_services.question_delete(actor=mod, question=question)
    record = only(AuditAction.QUESTION_DELETED)
    assert record.target_label == question.title and record.actor_person == mod


def test_chat_moderation_hide_mute_and_lock_are_recorded(mod, bob, dana) -> None:
    chat = ChatFactory(created_by=dana)
    message, _created = chat_services.message_post(actor=dana, chat=chat, body="Hello")
    chat_services.message_hide(actor=dana, message=message)
    assert only(AuditAction.CHAT_MESSAGE_HIDDEN).actor_person == dana
    chat_services.participant_mute(actor=mod, chat=chat, person=bob)
    muted = only(AuditAction.CHAT_PARTICIPANT_MUTED)
    assert muted.details["person_id"] == bob.pk and muted.site_id == chat.site_id
    chat_services.participant_mute(actor=mod, chat=chat, person=bob, muted=False)
    only(AuditAction.CHAT_PARTICIPANT_UNMUTED)
    chat_services.chat_lock(actor=dana, chat=chat, locked=True)
    locked = only(AuditAction.CHAT_LOCKED)
    assert locked.actor_person == dana and locked.target_label == chat.title
    chat_services.chat_lock(actor=dana, chat=chat, locked=False)
    only(AuditAction.CHAT_UNLOCKED)


def test_ordinary_activity_writes_no_audit_record(bob) -> None:
    before = AuditRecord.objects.count()
    chat = ChatFactory(created_by=bob)
    chat_services.message_post(actor=bob, chat=chat, body="Hello")
    chat_services.chat_rsvp(actor=bob, chat=chat, rsvp="going")
    assert AuditRecord.objects.count() == before


# --- the Django admin --------------------------------------------------------------------------


def test_every_django_admin_change_is_recorded(admin, bob) -> None:
    admin.user.is_superuser = True
    admin.user.save()
    response = signed_in(admin).post(
        f"/admin/people/site/{bob.site_id}/change/",
        {
            "name": "Lyon Plant North",
            "code": bob.site.code,
            "country": "FR",
            "time_zone": "Europe/Paris",
            "languages": '["fr"]',
            "region": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = only(AuditAction.ADMIN_CHANGED)
    assert record.actor_person == admin and record.ip_address == IP
    assert record.target_type == "people.site" and record.target_label == "Lyon Plant North"
    assert "Changed" in str(record.details["change"])


def test_a_bulk_delete_in_the_django_admin_is_recorded_once_per_object(admin, bob) -> None:
    admin.user.is_superuser = True
    admin.user.save()
    api_token_create(person=bob, name="one")
    api_token_create(person=bob, name="two")
    ids = [str(pk) for pk in ApiToken.objects.values_list("pk", flat=True)]
    response = signed_in(admin).post(
        "/admin/people/apitoken/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    deleted = AuditRecord.objects.filter(action=AuditAction.ADMIN_DELETED)
    assert sorted(r.target_id for r in deleted) == sorted(ids)
    assert {(r.actor_person, r.ip_address) for r in deleted} == {(admin, IP)}
    revoked = AuditRecord.objects.filter(action=AuditAction.API_TOKEN_REVOKED)
    assert sorted(r.target_id for r in revoked) == sorted(ids)


# --- never breaks, same transaction ------------------------------------------------------------


def test_a_failing_audit_write_never_breaks_the_action(bob, monkeypatch) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(AuditRecord.objects, "create", broken)
    assert sign_in(client_at(), "bob@example.com", PASSWORD).status_code == 302
    assert audit_record(action=AuditAction.SIGNOUT, actor_person=bob) is None
    api_token_create(person=bob, name="still works")
    assert ApiToken.objects.filter(person=bob).exists()
    assert not AuditRecord.objects.filter(action=AuditAction.SIGNIN_SUCCEEDED).exists()


def test_a_rolled_back_action_takes_its_record_with_it(admin, bob) -> None:
    before = AuditRecord.objects.count()
    inside: list[int] = []

    def grant_then_fail() -> None:
        with transaction.atomic():
            role_grant(actor=admin, person=bob, role=RoleName.EDITOR, site=None)
            inside.append(AuditRecord.objects.count())
            raise RuntimeError("the action failed after the grant")

    with pytest.raises(RuntimeError):
        grant_then_fail()
    assert inside == [before + 1]
    assert AuditRecord.objects.count() == before
