"""Question search through the shared index, editing and deleting one's own posts, the practice
picker, @mentions and the scheduled escalation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from pollinate.core import tasks
from pollinate.core.models import TaskRun, TaskStatus
from pollinate.notifications.models import Notification, NotificationKind
from pollinate.people.tests.factories import SkillFactory
from pollinate.practices.search import practice_reindex
from pollinate.practices.tests.factories import PracticeFactory
from pollinate.questions import services
from pollinate.questions.models import Answer, Question, QuestionOffer, QuestionStatus
from pollinate.questions.tests.factories import QuestionFactory


def _ask(person, title: str, body: str = "", **extra):  # type: ignore[no-untyped-def]
    return services.question_ask(actor=person, title=title, body=body, **extra)


def _titles(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


# --- Search -------------------------------------------------------------------------------------


def test_the_question_search_finds_words_in_the_body_and_equipment_whatever_the_accents(
    as_client, alice, bob, welding
) -> None:
    _ask(alice, "Pourquoi la soudure casse le matin ?", "Sur la qualité des électrodes.")
    _ask(bob, "How do we torque the press guard?", equipment=["Schuler press"])
    _ask(bob, "Which gloves for the paint shop?")
    page = _titles(as_client(bob).get("/questions/", {"q": "qualite electrode"}))
    assert "Pourquoi la soudure casse le matin" in page
    assert "press guard" not in page
    page = _titles(as_client(bob).get("/questions/", {"q": "schuler"}))
    assert "press guard" in page
    assert "gloves" not in page


def test_the_question_search_ranks_title_matches_first_and_finds_unfinished_words(
    as_client, alice, bob
) -> None:
    _ask(alice, "Which gloves for the paint shop?", "Also asked about calibration last year.")
    _ask(bob, "Calibration of the torque wrenches every week?")
    response = as_client(bob).get("/questions/", {"q": "calibra"})
    titles = [question.title for question in response.context["page"].object_list]
    assert titles == [
        "Calibration of the torque wrenches every week?",
        "Which gloves for the paint shop?",
    ]


def test_a_search_without_matches_shows_the_empty_state(as_client, bob) -> None:
    _ask(bob, "Which gloves for the paint shop?")
    response = as_client(bob).get("/questions/", {"q": "hydraulics"})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []


def test_the_api_search_uses_the_index_too(as_client, alice, bob) -> None:
    _ask(alice, "Why does the weld crack on cold mornings?")
    _ask(alice, "Which gloves for the paint shop?")
    items = as_client(bob).get("/api/questions/", {"q": "cold weld"}).json()["items"]
    assert [item["title"] for item in items] == ["Why does the weld crack on cold mornings?"]


# --- Editing and deleting -----------------------------------------------------------------------


def test_the_author_edits_their_question_and_search_finds_the_new_words(
    as_client, alice, bob, welding
) -> None:
    question = _ask(alice, "Why does the weld crack in winter?")
    response = as_client(alice).post(
        f"/questions/{question.pk}/edit/",
        {
            "title": "Why does the MIG weld crack in winter?",
            "body": "Only on the Fronius.",
            "topics": [welding.pk],
            "equipment": "Fronius TPS 400",
            "language": "en",
        },
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.title == "Why does the MIG weld crack in winter?"
    assert list(question.topic_links.values_list("topic_id", flat=True)) == [welding.pk]
    assert question.equipment == ["Fronius TPS 400"]
    found = as_client(bob).get("/questions/", {"q": "fronius"}).context["page"].object_list
    assert [q.pk for q in found] == [question.pk]


def test_another_member_may_not_edit_or_delete_a_question(as_client, alice, bob) -> None:
    question = QuestionFactory(author=alice, title="Why does the weld crack in winter?")
    client = as_client(bob)
    assert client.get(f"/questions/{question.pk}/edit/").status_code == 403
    data = {"title": "Hijacked title here", "language": "en"}
    assert client.post(f"/questions/{question.pk}/edit/", data).status_code == 403
    assert client.post(f"/questions/{question.pk}/delete/").status_code == 403
    question.refresh_from_db()
    assert question.title == "Why does the weld crack in winter?"


def test_editing_needs_a_signed_in_member_and_the_right_method(client, alice) -> None:
    question = QuestionFactory(author=alice)
    response = client.get(f"/questions/{question.pk}/edit/")
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]
    from conftest import client_for

    assert client_for(alice).put(f"/questions/{question.pk}/delete/").status_code == 405
    assert client_for(alice).get("/questions/999999/edit/").status_code == 404


def test_an_empty_edit_gets_form_errors_and_changes_nothing(as_client, alice) -> None:
    question = QuestionFactory(author=alice, title="Why does the weld crack in winter?")
    response = as_client(alice).post(
        f"/questions/{question.pk}/edit/", {"title": "", "language": "en"}
    )
    assert response.status_code == 400
    question.refresh_from_db()
    assert question.title == "Why does the weld crack in winter?"


def test_the_author_deletes_an_unanswered_question_and_it_leaves_the_search(
    as_client, alice, bob
) -> None:
    question = _ask(alice, "Why does the weld crack in winter?")
    assert as_client(alice).get(f"/questions/{question.pk}/delete/").status_code == 200
    response = as_client(alice).post(f"/questions/{question.pk}/delete/")
    assert response.status_code == 302
    assert not Question.objects.filter(pk=question.pk).exists()
    assert list(as_client(bob).get("/questions/", {"q": "weld"}).context["page"].object_list) == []


def test_a_question_others_answered_stays_unless_a_moderator_deletes_it(
    as_client, alice, charlie, mod
) -> None:
    question = _ask(alice, "Why does the weld crack in winter?")
    services.answer_post(actor=charlie, question=question, body="Preheat the plate.")
    as_client(alice).post(f"/questions/{question.pk}/delete/")
    assert Question.objects.filter(pk=question.pk).exists()
    page = as_client(alice).get(question.get_absolute_url()).content.decode()
    assert f"/questions/{question.pk}/delete/" not in page
    as_client(mod).post(f"/questions/{question.pk}/delete/")
    assert not Question.objects.filter(pk=question.pk).exists()


def test_the_answerer_edits_their_answer_and_others_may_not(as_client, alice, charlie) -> None:
    question = _ask(alice, "Why does the weld crack in winter?")
    answer = services.answer_post(actor=charlie, question=question, body="Preheat the plate.")
    assert (
        as_client(alice).post(f"/questions/answers/{answer.pk}/edit/", {"body": "x"}).status_code
        == 403
    )
    response = as_client(charlie).post(
        f"/questions/answers/{answer.pk}/edit/", {"body": "Preheat the plate to 80 °C."}
    )
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.body == "Preheat the plate to 80 °C."
    empty = as_client(charlie).post(f"/questions/answers/{answer.pk}/edit/", {"body": "  "})
    assert empty.status_code == 400


def test_deleting_the_accepted_answer_reopens_the_question(as_client, alice, charlie) -> None:
    question = _ask(alice, "Why does the weld crack in winter?")
    answer = services.answer_post(actor=charlie, question=question, body="Preheat the plate.")
    services.answer_accept(actor=alice, answer=answer)
    response = as_client(charlie).post(f"/questions/answers/{answer.pk}/delete/")
    assert response.status_code == 302
    question.refresh_from_db()
    assert not Answer.objects.filter(pk=answer.pk).exists()
    assert question.status == QuestionStatus.OPEN
    assert question.answer_count == 0
    assert question.accepted_answer is None
    assert set(question.topic_links.values_list("is_open", flat=True)) <= {True}


# --- Practice picker ----------------------------------------------------------------------------


def test_the_closer_finds_a_practice_by_words_and_closes_the_question_with_it(
    as_client, alice, charlie
) -> None:
    question = _ask(alice, "Why does the weld crack in winter?")
    practice = PracticeFactory(owner=charlie, title="Preheat plates before winter welding")
    practice_reindex(practice)
    PracticeFactory(owner=charlie, title="Shadow board for changeover tools")
    client = as_client(alice)
    picker = client.get(f"/questions/{question.pk}/close/practices/", {"practice_q": "preheat"})
    assert picker.status_code == 200
    assert "Preheat plates before winter welding" in picker.content.decode()
    assert "Shadow board" not in picker.content.decode()
    no_js = client.get(
        f"/questions/{question.pk}/close/", {"practice_q": "preheat", "reason": "practice"}
    )
    assert f'value="{practice.pk}"' in no_js.content.decode()
    response = client.post(
        f"/questions/{question.pk}/close/", {"reason": "practice", "practice_id": practice.pk}
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.practice_id == practice.pk
    page = client.get(question.get_absolute_url()).content.decode()
    assert practice.get_absolute_url() in page


def test_closing_with_a_practice_nobody_can_see_is_refused(as_client, alice, charlie) -> None:
    question = _ask(alice, "Why does the weld crack in winter?")
    draft = PracticeFactory(owner=charlie, status="draft", title="Charlie's unshared draft")
    response = as_client(alice).post(
        f"/questions/{question.pk}/close/", {"reason": "practice", "practice_id": draft.pk}
    )
    assert response.status_code == 400
    question.refresh_from_db()
    assert question.status == QuestionStatus.OPEN


def test_only_the_asker_or_a_moderator_opens_the_practice_picker(as_client, alice, bob) -> None:
    question = QuestionFactory(author=alice)
    assert as_client(bob).get(f"/questions/{question.pk}/close/practices/").status_code == 403


# --- Mentions -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_mention_in_an_answer_notifies_the_mentioned_person(alice, bob, charlie) -> None:
    question = _ask(alice, "Why does the weld crack in winter?")
    services.answer_post(actor=charlie, question=question, body="@Bob fixed this on line 2.")
    mentioned = Notification.objects.get(recipient=bob)
    assert mentioned.kind == NotificationKind.MENTIONED
    assert Notification.objects.get(recipient=alice).kind == NotificationKind.ANSWER_RECEIVED


@pytest.mark.django_db(transaction=True)
def test_a_mention_in_a_question_notifies_and_an_edit_does_not_notify_twice(
    alice, bob, charlie
) -> None:
    question = _ask(alice, "Why does the weld crack in winter?", "@Bob saw it too.")
    assert Notification.objects.filter(recipient=bob, kind=NotificationKind.MENTIONED).count() == 1
    services.question_update(
        actor=alice,
        question=question,
        title=question.title,
        body="@Bob saw it too, and @Charlie knows the machine.",
    )
    assert Notification.objects.filter(recipient=bob, kind=NotificationKind.MENTIONED).count() == 1
    assert (
        Notification.objects.filter(recipient=charlie, kind=NotificationKind.MENTIONED).count() == 1
    )


# --- Scheduled escalation -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_escalation_is_scheduled_hourly_and_runs_through_the_task_door(
    alice, bob, dana, welding, settings
) -> None:
    SkillFactory(person=dana, topic=welding, level=2)
    question = QuestionFactory(author=bob, created_at=timezone.now() - timedelta(hours=72))
    question.topic_links.create(topic=welding, created_at=question.created_at)
    import pollinate.questions.tasks  # noqa: F401 -- the worker imports every app's tasks module

    huey = tasks.task_queue_build(immediate=True)
    previous = tasks.task_queue_use(huey)
    name = "periodic:pollinate.questions.tasks.questions_escalate"
    try:
        at = timezone.now().replace(minute=23, second=0, microsecond=0, tzinfo=None)
        due = {task.name: task for task in huey.read_periodic(at)}
        assert name in due
        assert name not in {task.name for task in huey.read_periodic(at.replace(minute=24))}
        huey.execute(due[name])
    finally:
        tasks.task_queue_use(previous)
    run = TaskRun.objects.get(path="pollinate.questions.tasks.questions_escalate")
    assert run.status == TaskStatus.SUCCEEDED
    question.refresh_from_db()
    assert question.escalated_at is not None
    offered = set(
        QuestionOffer.objects.filter(question=question).values_list("person_id", flat=True)
    )
    assert offered == {alice.pk, dana.pk}


def test_the_api_refuses_to_close_with_a_practice_the_closer_cannot_see(
    as_client, alice, charlie
) -> None:
    question = QuestionFactory(author=alice)
    draft = PracticeFactory(owner=charlie, status="draft")
    response = as_client(alice).post(
        f"/api/questions/{question.pk}/close",
        {"reason": "practice", "practice_id": draft.pk},
        content_type="application/json",
    )
    assert response.status_code == 422
    question.refresh_from_db()
    assert question.status == QuestionStatus.OPEN


def test_paging_through_search_results_keeps_the_search(as_client, bob) -> None:
    for n in range(23):
        cache.clear()  # the posting limit is not what this test is about
        _ask(bob, f"Coolant question number {n} for the lathes")
    first = as_client(bob).get("/questions/", {"q": "coolant"})
    page = first.content.decode()
    assert "q=coolant" in page and "page=2" in page
    second = as_client(bob).get("/questions/", {"q": "coolant", "page": "2"})
    assert len(second.context["page"].object_list) == 3


def test_the_topic_filter_keeps_the_chosen_topic_selected(as_client, bob, welding) -> None:
    page = as_client(bob).get("/questions/", {"topic": welding.pk}).content.decode()
    assert f'<option value="{welding.pk}" selected>Welding</option>' in page


def test_the_api_edits_and_deletes_only_ones_own_posts(as_client, alice, charlie) -> None:
    question = _ask(alice, "Why does the weld crack in winter?")
    answer = services.answer_post(actor=charlie, question=question, body="Preheat the plate.")
    edit = {"title": "Why does the MIG weld crack in winter?", "body": "Fronius."}
    refused = as_client(charlie).put(
        f"/api/questions/{question.pk}", edit, content_type="application/json"
    )
    assert refused.status_code == 403
    edited = as_client(alice).put(
        f"/api/questions/{question.pk}", edit, content_type="application/json"
    )
    assert edited.status_code == 200
    assert edited.json()["title"] == "Why does the MIG weld crack in winter?"
    blocked = as_client(alice).delete(f"/api/questions/{question.pk}")
    assert blocked.status_code == 422  # charlie's answer keeps the question
    assert as_client(alice).delete(f"/api/questions/answers/{answer.pk}").status_code == 403
    changed = as_client(charlie).put(
        f"/api/questions/answers/{answer.pk}", {"body": "Preheat to 80 °C."}, "application/json"
    )
    assert changed.json()["body"] == "Preheat to 80 °C."
    assert as_client(charlie).delete(f"/api/questions/answers/{answer.pk}").status_code == 204
    assert as_client(alice).delete(f"/api/questions/{question.pk}").status_code == 204
    assert not Question.objects.filter(pk=question.pk).exists()
    assert as_client(alice).get(f"/api/questions/{question.pk}").status_code == 404


def test_the_newest_questions_on_several_topics_are_merged_newest_first(alice, welding) -> None:
    from pollinate.people.tests.factories import TopicFactory
    from pollinate.questions.selectors import question_ids_newest_on_topics

    painting = TopicFactory(name="Painting")
    now = timezone.now()
    made = []
    for hours, topic, is_open in [(5, welding, True), (1, painting, True), (3, welding, False)]:
        question = QuestionFactory(author=alice, created_at=now - timedelta(hours=hours))
        question.topic_links.create(topic=topic, created_at=question.created_at, is_open=is_open)
        made.append(question.pk)
    topics = [welding.pk, painting.pk]
    assert question_ids_newest_on_topics(topics, limit=10) == [made[1], made[2], made[0]]
    assert question_ids_newest_on_topics(topics, limit=2) == [made[1], made[2]]
    assert question_ids_newest_on_topics(topics, limit=10, open_only=True) == [made[1], made[0]]
    assert question_ids_newest_on_topics(topics, limit=10, exclude=made[2]) == [made[1], made[0]]


@pytest.mark.django_db
def test_deleting_an_answer_never_drives_the_answer_count_below_zero(charlie) -> None:
    from pollinate.questions.models import Question
    from pollinate.questions.services import answer_delete
    from pollinate.questions.tests.factories import AnswerFactory

    # Factory-made answers leave the question's counter at 0, as inconsistent data would.
    answer = AnswerFactory(author=charlie)
    answer_delete(actor=charlie, answer=answer)
    assert Question.objects.get(pk=answer.question_id).answer_count == 0
