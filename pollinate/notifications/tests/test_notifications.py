from __future__ import annotations

import pytest
from django.core.cache import cache

from pollinate.activity.services import activity_record
from pollinate.notifications.models import Notification, NotificationKind
from pollinate.notifications.services import notifications_from_activity, preferences_save
from pollinate.questions import services as questions
from pollinate.questions.tests.factories import QuestionFactory

# Real commits: notifications are derived after commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db: None) -> None:
    cache.clear()


def _answer(alice, charlie):  # type: ignore[no-untyped-def]
    question = QuestionFactory(author=alice, title="Which glue for PET?")
    return questions.answer_post(actor=charlie, question=question, body="Cyanoacrylate.")


def test_an_answer_emails_the_asker_immediately_by_default(smtp, alice, charlie) -> None:
    _answer(alice, charlie)
    message = smtp.wait_for(1)[0]
    assert message["To"] == "alice@example.com"
    assert "Charlie answered your question" in message["Subject"]
    assert "/questions/" in message.get_content()
    notification = Notification.objects.get(recipient=alice)
    assert notification.emailed_at is not None


def test_digest_and_off_preferences_send_no_email_but_keep_the_inbox(smtp, alice, charlie) -> None:
    preferences_save(actor=alice, choices={"answer_received": "digest"})
    _answer(alice, charlie)
    notification = Notification.objects.get(recipient=alice)
    assert notification.delivery == "digest"
    assert notification.emailed_at is None
    assert smtp.messages == []


def test_the_inbox_shows_the_unread_count_in_the_navigation(as_client, alice, charlie) -> None:
    _answer(alice, charlie)
    page = as_client(alice).get("/notifications/").content.decode()
    assert "data-unread-count>1<" in page
    assert "Charlie answered your question" in page
    assert "data-unread-count" not in as_client(charlie).get("/").content.decode()


def test_opening_a_notification_marks_it_read_and_goes_to_the_answer(
    as_client, alice, charlie
) -> None:
    answer = _answer(alice, charlie)
    notification = Notification.objects.get(recipient=alice)
    response = as_client(alice).post(f"/notifications/{notification.pk}/open/")
    assert response["Location"] == answer.get_absolute_url()
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_nobody_else_can_open_or_see_my_notifications(as_client, alice, charlie, admin) -> None:
    _answer(alice, charlie)
    notification = Notification.objects.get(recipient=alice)
    # The whole title, not a word of it: every page carries a random 64-letter CSRF token, which
    # holds a given three letters ("PET") about once in 4 000 pages.
    title = "Which glue for PET?"
    for other in (charlie, admin):
        assert as_client(other).post(f"/notifications/{notification.pk}/open/").status_code == 404
        assert title not in as_client(other).get("/notifications/").content.decode()
    notification.refresh_from_db()
    assert notification.read_at is None
    assert title in as_client(alice).get("/notifications/").content.decode()  # what would leak


def test_mark_all_read_clears_the_count(as_client, alice, charlie) -> None:
    _answer(alice, charlie)
    _answer(alice, charlie)
    client = as_client(alice)
    assert client.get("/notifications/read-all/").status_code == 405
    client.post("/notifications/read-all/")
    assert not Notification.objects.filter(recipient=alice, read_at=None).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client) -> None:
    for url in ("/notifications/", "/notifications/settings/"):
        assert "/sign-in/" in client.get(url)["Location"]


def test_preferences_are_saved_per_kind(as_client, alice) -> None:
    client = as_client(alice)
    data = {kind: "digest" for kind in NotificationKind.values} | {"mentioned": "off"}
    assert client.post("/notifications/settings/", data).status_code == 302
    page = client.get("/notifications/settings/").content.decode()
    assert 'value="off" selected' in page
    assert client.post("/notifications/settings/", {"mentioned": "loud"}).status_code == 400


def test_a_subscriber_running_twice_creates_one_notification(alice, charlie) -> None:
    answer = _answer(alice, charlie)
    from pollinate.activity.models import Activity

    activity = Activity.objects.get(verb="question.answered", object_id=answer.pk)
    assert notifications_from_activity(activity) == []
    assert Notification.objects.filter(recipient=alice).count() == 1


def test_mentions_from_any_app_notify_but_private_activity_never_does(alice, bob, charlie) -> None:
    activity_record(
        actor=alice, verb="practice.commented", target=bob, payload={"mentions": [charlie.pk]}
    )
    activity_record(
        actor=alice,
        verb="practice.commented",
        target=bob,
        payload={"mentions": [bob.pk]},
        is_public=False,
    )
    assert list(Notification.objects.values_list("recipient_id", "kind")) == [
        (charlie.pk, NotificationKind.MENTIONED)
    ]


@pytest.mark.parametrize("url", ["//evil.example/x", "/\\evil.example", "https://evil.example/"])
def test_a_link_off_the_site_in_a_payload_is_replaced_by_the_objects_own_page(
    alice, bob, charlie, url: str
) -> None:
    activity_record(
        actor=alice,
        verb="practice.commented",
        target=bob,
        payload={"mentions": [charlie.pk], "url": url},
    )
    notification = Notification.objects.get(recipient=charlie)
    assert notification.url == bob.get_absolute_url()


def test_the_inbox_uses_a_fixed_number_of_queries(
    as_client, alice, charlie, django_assert_max_num_queries
) -> None:
    for _ in range(10):
        _answer(alice, charlie)
    client = as_client(alice)
    with django_assert_max_num_queries(10):
        response = client.get("/notifications/")
    assert response.content.decode().count("notification__open") == 10
