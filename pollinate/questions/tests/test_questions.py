from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from pollinate.activity.models import Activity
from pollinate.notifications.models import Notification, NotificationKind
from pollinate.people.tests.factories import PersonFactory, SkillFactory
from pollinate.practices.tests.factories import PracticeFactory
from pollinate.questions import services
from pollinate.questions.models import Answer, Question, QuestionOffer, QuestionStatus
from pollinate.questions.tests.factories import AnswerFactory, QuestionFactory

# Real commits: notifications and emails are derived after commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, format="PNG")
    return SimpleUploadedFile("machine.png", out.getvalue(), content_type="image/png")


def _ask(client, welding, **extra):  # type: ignore[no-untyped-def]
    data = {
        "title": "Why does the weld crack on cold mornings?",
        "body": "It cracks *only* before 8am.",
        "topics": [welding.pk],
        "equipment": "Fronius TPS 400, jig 3",
        "language": "en",
        **extra,
    }
    return client.post("/questions/ask/", data)


def test_a_member_asks_with_a_photo_and_it_is_offered_to_an_expert_at_another_site(
    as_client, alice, charlie_welds, welding
) -> None:
    response = _ask(as_client(alice), welding, photo=_png())
    question = Question.objects.get()
    assert response.status_code == 302
    assert response["Location"] == question.get_absolute_url()
    assert question.photo.name.startswith("questions/")
    assert question.equipment == ["Fronius TPS 400", "jig 3"]
    offer = QuestionOffer.objects.get(question=question)
    assert offer.person_id == charlie_welds.person_id
    assert "cross_site" in offer.explanation
    notification = Notification.objects.get(recipient=charlie_welds.person)
    assert notification.kind == NotificationKind.QUESTION_OFFERED
    assert notification.url == question.get_absolute_url()


def test_an_empty_question_gets_form_errors_and_nothing_is_saved(as_client, alice, welding) -> None:
    response = _ask(as_client(alice), welding, title="")
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Question.objects.exists()


def test_an_oversized_body_gets_a_form_error(as_client, alice, welding) -> None:
    response = _ask(as_client(alice), welding, body="x" * 10_001)
    assert response.status_code == 400
    assert not Question.objects.exists()


def test_a_file_that_is_not_an_image_is_refused(as_client, alice, welding) -> None:
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = _ask(as_client(alice), welding, photo=fake)
    assert response.status_code == 400
    assert not Question.objects.exists()


def test_posting_is_rate_limited_per_person(as_client, alice, welding) -> None:
    client = as_client(alice)
    for n in range(services.POST_LIMIT):
        assert _ask(client, welding, title=f"Question number {n} about welds").status_code == 302
    response = _ask(client, welding, title="One question too many today")
    assert response.status_code == 429


def test_anonymous_visitors_are_sent_to_sign_in(client, alice) -> None:
    question = QuestionFactory(author=alice)
    for url in ("/questions/", "/questions/ask/", question.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302
        assert "/sign-in/" in response["Location"]


def test_wrong_methods_are_refused(as_client, alice) -> None:
    question = QuestionFactory(author=alice)
    answer = AnswerFactory(question=question)
    client = as_client(alice)
    assert client.post("/questions/").status_code == 405
    assert client.get(f"/questions/answers/{answer.pk}/accept/").status_code == 405
    assert client.get(f"/questions/answers/{answer.pk}/helpful/").status_code == 405
    assert client.get(f"/questions/{question.pk}/answer/").status_code == 405


def test_members_at_another_site_see_and_answer_a_question(as_client, alice, charlie) -> None:
    question = QuestionFactory(author=alice)
    client = as_client(charlie)
    assert question.title in client.get(question.get_absolute_url()).content.decode()
    response = client.post(f"/questions/{question.pk}/answer/", {"body": "Preheat to 80°C."})
    answer = Answer.objects.get()
    assert response.status_code == 302
    assert answer.is_cross_site
    question.refresh_from_db()
    assert question.answer_count == 1
    assert Notification.objects.get(recipient=alice).kind == NotificationKind.ANSWER_RECEIVED


def test_an_empty_answer_is_refused_with_a_form_error(as_client, alice, charlie) -> None:
    question = QuestionFactory(author=alice)
    response = as_client(charlie).post(f"/questions/{question.pk}/answer/", {"body": "   "})
    assert response.status_code == 400
    assert not Answer.objects.exists()


def test_a_missing_question_is_a_404(as_client, alice) -> None:
    assert as_client(alice).get("/questions/999999/").status_code == 404


def test_the_asker_accepts_an_answer_and_the_answerer_is_told(as_client, alice, charlie) -> None:
    answer = AnswerFactory(question=QuestionFactory(author=alice), author=charlie)
    response = as_client(alice).post(f"/questions/answers/{answer.pk}/accept/")
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.is_accepted
    assert answer.question.status == QuestionStatus.ANSWERED
    assert Notification.objects.get(recipient=charlie).kind == NotificationKind.ANSWER_ACCEPTED


def test_someone_else_cannot_accept_an_answer(as_client, alice, bob, charlie) -> None:
    answer = AnswerFactory(question=QuestionFactory(author=alice), author=charlie)
    response = as_client(bob).post(f"/questions/answers/{answer.pk}/accept/")
    assert response.status_code == 403
    answer.refresh_from_db()
    assert not answer.is_accepted


def test_a_moderator_may_accept_for_the_asker(as_client, alice, charlie, mod) -> None:
    answer = AnswerFactory(question=QuestionFactory(author=alice), author=charlie)
    as_client(mod).post(f"/questions/answers/{answer.pk}/accept/")
    answer.refresh_from_db()
    assert answer.is_accepted


def test_accepting_another_answer_replaces_the_first(alice, bob, charlie) -> None:
    question = QuestionFactory(author=alice)
    first = AnswerFactory(question=question, author=bob)
    second = AnswerFactory(question=question, author=charlie)
    services.answer_accept(actor=alice, answer=first)
    services.answer_accept(actor=alice, answer=second)
    assert list(Answer.objects.filter(is_accepted=True)) == [second]


def test_helpful_marks_count_once_per_person_and_not_for_oneself(
    as_client, alice, bob, charlie
) -> None:
    answer = AnswerFactory(question=QuestionFactory(author=alice), author=charlie)
    for _ in range(2):
        as_client(bob).post(f"/questions/answers/{answer.pk}/helpful/", {"helpful": "1"})
    assert as_client(charlie).post(f"/questions/answers/{answer.pk}/helpful/").status_code == 403
    answer.refresh_from_db()
    assert answer.helpful_count == 1
    as_client(bob).post(f"/questions/answers/{answer.pk}/helpful/", {"helpful": "0"})
    answer.refresh_from_db()
    assert answer.helpful_count == 0


def test_comments_notify_the_answerer_and_mentions_notify_the_mentioned(
    alice, bob, charlie
) -> None:
    answer = AnswerFactory(question=QuestionFactory(author=alice), author=charlie)
    services.comment_post(actor=alice, answer=answer, body="Which rod, @Bob?")
    kinds = dict(Notification.objects.values_list("recipient__display_name", "kind"))
    assert kinds == {
        "Charlie": NotificationKind.COMMENT_RECEIVED,
        "Bob": NotificationKind.MENTIONED,
    }


def test_the_asker_closes_a_question_as_a_duplicate(as_client, alice, bob) -> None:
    question = QuestionFactory(author=alice)
    original = QuestionFactory(author=bob)
    response = as_client(alice).post(
        f"/questions/{question.pk}/close/", {"reason": "duplicate", "duplicate_of": original.pk}
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == QuestionStatus.CLOSED
    assert question.duplicate_of == original
    page = as_client(bob).get(question.get_absolute_url()).content.decode()
    assert original.title in page
    closed = as_client(bob).post(f"/questions/{question.pk}/answer/", {"body": "late"})
    assert closed.status_code == 400


def test_closing_as_answered_by_a_practice_needs_the_practice(as_client, alice) -> None:
    question = QuestionFactory(author=alice)
    response = as_client(alice).post(f"/questions/{question.pk}/close/", {"reason": "practice"})
    assert response.status_code == 400
    practice = PracticeFactory()
    ok = as_client(alice).post(
        f"/questions/{question.pk}/close/", {"reason": "practice", "practice_id": practice.pk}
    )
    assert ok.status_code == 302
    question.refresh_from_db()
    assert question.practice_id == practice.pk


def test_another_member_cannot_close_someone_elses_question(as_client, alice, charlie) -> None:
    question = QuestionFactory(author=alice)
    response = as_client(charlie).post(
        f"/questions/{question.pk}/close/", {"reason": "practice", "practice_id": 1}
    )
    assert response.status_code == 403
    question.refresh_from_db()
    assert question.status == QuestionStatus.OPEN


def test_unanswered_at_my_site_shows_only_my_sites_open_unanswered_questions(
    as_client, alice, bob, charlie
) -> None:
    mine = QuestionFactory(author=bob, title="Lyon question without answers")
    answered = QuestionFactory(author=bob, title="Lyon question with an answer")
    AnswerFactory(question=answered)
    answered.answer_count = 1
    answered.save()
    QuestionFactory(author=charlie, title="Porto question without answers")
    page = as_client(alice).get("/questions/?scope=site").content.decode()
    assert mine.title in page
    assert answered.title not in page
    assert "Porto question" not in page


def test_questions_i_could_answer_lists_open_questions_on_my_skills(
    as_client, alice, charlie_welds, welding
) -> None:
    services.question_ask(actor=alice, title="Cracked welds at dawn", topics=[welding])
    services.question_ask(actor=alice, title="Unrelated painting question")
    page = as_client(charlie_welds.person).get("/questions/?scope=could").content.decode()
    assert "Cracked welds at dawn" in page
    assert "Unrelated painting question" not in page
    empty = as_client(alice).get("/questions/?scope=could").content.decode()
    assert "No questions for you right now" in empty


def test_the_question_list_uses_a_fixed_number_of_queries(
    as_client, alice, welding, django_assert_max_num_queries
) -> None:
    for n in range(15):
        question = QuestionFactory(author=PersonFactory(site=alice.site), title=f"Q number {n}")
        question.topics.add(welding)
    client = as_client(alice)
    with django_assert_max_num_queries(12):
        response = client.get("/questions/")
    assert response.content.decode().count("question-card__title") == 15


def test_the_question_page_uses_a_fixed_number_of_queries(
    as_client, alice, django_assert_max_num_queries
) -> None:
    question = QuestionFactory(author=alice)
    for _ in range(8):
        answer = AnswerFactory(question=question)
        services.comment_post(actor=alice, answer=answer, body="thanks")
    client = as_client(alice)
    with django_assert_max_num_queries(14):
        response = client.get(question.get_absolute_url())
    assert response.status_code == 200


def test_markdown_in_questions_is_sanitised(as_client, alice) -> None:
    question = QuestionFactory(author=alice, body="<script>alert(1)</script> **bold**")
    page = as_client(alice).get(question.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page
    assert "<strong>bold</strong>" in page


def test_routing_skips_people_who_switched_offers_off_and_the_asker(
    alice, charlie_welds, welding
) -> None:
    from pollinate.notifications.services import preferences_save

    SkillFactory(person=alice, topic=welding, level=4)
    preferences_save(actor=charlie_welds.person, choices={"question_offered": "off"})
    question = services.question_ask(actor=alice, title="Who knows welding?", topics=[welding])
    assert not QuestionOffer.objects.filter(question=question).exists()


def test_routing_prefers_another_site_and_respects_recent_load(
    settings, alice, bob, charlie, welding
) -> None:
    SkillFactory(person=bob, topic=welding, level=4)
    SkillFactory(person=charlie, topic=welding, level=4)
    bob.languages = ["en"]
    bob.save()
    first = services.question_ask(actor=alice, title="Welding question one", topics=[welding])
    ranked = list(first.offers.order_by("-score").values_list("person_id", flat=True))
    assert ranked == [charlie.pk, bob.pk]
    settings.QUESTIONS_MAX_OFFERS_PER_WEEK = 1
    second = services.question_ask(actor=alice, title="Welding question two", topics=[welding])
    assert not second.offers.exists()


def test_unanswered_questions_escalate_to_site_leads_and_coaches_once(
    settings, bob, alice, dana, welding
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    SkillFactory(person=dana, topic=welding, level=2)
    question = QuestionFactory(author=bob, created_at=timezone.now() - timedelta(hours=49))
    question.topics.add(welding)
    assert services.questions_escalate_due() == 1
    assert services.questions_escalate_due() == 0
    escalated = set(
        Notification.objects.filter(kind=NotificationKind.QUESTION_ESCALATED).values_list(
            "recipient_id", flat=True
        )
    )
    assert escalated == {alice.pk, dana.pk}
    assert Activity.objects.filter(verb="question.escalated").count() == 1


def test_help_given_shows_on_the_persons_page(as_client, alice, charlie) -> None:
    question = QuestionFactory(author=alice, title="Accepted across sites")
    answer = services.answer_post(actor=charlie, question=question, body="Do this.")
    services.answer_accept(actor=alice, answer=answer)
    page = as_client(alice).get(charlie.get_absolute_url()).content.decode()
    assert "Help given" in page
    assert "Accepted across sites" in page
