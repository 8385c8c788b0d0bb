from __future__ import annotations

import pytest
from django.core.cache import cache

from pollinate.notifications.models import Notification
from pollinate.questions.tests.factories import QuestionFactory
from pollinate.reflections.tests.factories import ReflectionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db: None) -> None:
    cache.clear()


def test_the_api_asks_answers_and_accepts(as_client, alice, charlie, welding) -> None:
    asker, helper = as_client(alice), as_client(charlie)
    created = asker.post(
        "/api/questions/",
        {"title": "How to stop spatter?", "topic_ids": [welding.pk]},
        content_type="application/json",
    )
    assert created.status_code == 201
    question_id = created.json()["id"]
    answer = helper.post(
        f"/api/questions/{question_id}/answers",
        {"body": "Anti-spatter spray."},
        content_type="application/json",
    )
    assert answer.status_code == 201
    assert answer.json()["is_cross_site"] is True
    refused = helper.post(f"/api/questions/answers/{answer.json()['id']}/accept")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    accepted = asker.post(f"/api/questions/answers/{answer.json()['id']}/accept")
    assert accepted.json()["is_accepted"] is True
    detail = helper.get(f"/api/questions/{question_id}").json()
    assert detail["status"] == "answered"


def test_the_api_refuses_anonymous_and_bad_input(client, as_client, alice) -> None:
    assert client.get("/api/questions/").status_code == 401
    bad = as_client(alice).post("/api/questions/", {"title": ""}, content_type="application/json")
    assert bad.status_code == 422
    assert as_client(alice).get("/api/questions/999999").status_code == 404
    assert as_client(alice).delete("/api/questions/").status_code == 405


def test_the_api_lists_questions_i_could_answer(as_client, alice, charlie_welds, welding) -> None:
    question = QuestionFactory(author=alice)
    question.topics.add(welding)
    rows = as_client(charlie_welds.person).get("/api/questions/?scope=could").json()["items"]
    assert [row["id"] for row in rows] == [question.pk]


def test_the_api_never_returns_someone_elses_private_reflection(as_client, alice, charlie) -> None:
    private = ReflectionFactory(author=alice, title="Private API lesson")
    client = as_client(charlie)
    assert client.get(f"/api/reflections/{private.pk}").status_code == 404
    assert client.get("/api/reflections/").json()["items"] == []
    assert client.delete(f"/api/reflections/{private.pk}").status_code == 404
    mine = as_client(alice).get(f"/api/reflections/{private.pk}")
    assert mine.json()["title"] == "Private API lesson"


def test_the_api_inbox_is_personal(as_client, alice, bob, charlie) -> None:
    from pollinate.questions.services import answer_post

    answer_post(actor=charlie, question=QuestionFactory(author=alice), body="Try this.")
    assert as_client(alice).get("/api/notifications/unread-count").json() == {"unread": 1}
    item = Notification.objects.get()
    assert as_client(bob).post(f"/api/notifications/{item.pk}/read").status_code == 404
    assert as_client(alice).post(f"/api/notifications/{item.pk}/read").json()["read"] is True
    prefs = as_client(alice).put(
        "/api/notifications/preferences",
        {"choices": {"mentioned": "off"}},
        content_type="application/json",
    )
    assert prefs.json()["mentioned"] == "off"
