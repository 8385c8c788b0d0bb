from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from conftest import sign_in
from pollinate.people.tests.factories import SkillFactory, TopicFactory
from pollinate.reflections.tests.factories import ReflectionFactory


def _png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "blue").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_question_with_a_photo_is_answered_across_sites_and_accepted(
    browser, live_server, alice, charlie
) -> None:
    welding = TopicFactory(name="Welding")
    SkillFactory(person=charlie, topic=welding, level=4)
    secret = ReflectionFactory(author=alice, title="Alice private lesson", visibility="private")

    def page_for(person):  # type: ignore[no-untyped-def]
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, base_url=live_server.url, is_mobile=True
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, person)
        return page

    asker = page_for(alice)
    asker.goto("/questions/ask/")
    asker.get_by_label("Your question").fill("Why do our welds crack on cold mornings?")
    asker.get_by_label("Details").fill("Only before 8am, on the **jig 3** line.")
    asker.get_by_label("Topics").select_option(label="Welding")
    asker.locator("#id_language").select_option("en")
    asker.get_by_label("Photo").set_input_files(
        {"name": "crack.png", "mimeType": "image/png", "buffer": _png_bytes()}
    )
    asker.get_by_role("button", name="Post my question").click()
    asker.wait_for_url("**/questions/*/")
    assert asker.locator("img.question-photo").count() == 1
    question_url = asker.url

    helper = page_for(charlie)
    assert helper.locator("[data-unread-count]").inner_text() == "1"
    helper.goto("/questions/?scope=could")
    helper.get_by_role("link", name="Why do our welds crack on cold mornings?").click()
    answer_box = helper.get_by_role("textbox", name="Your answer")
    answer_box.fill("Preheat the parts to 80 °C before the first weld.")
    helper.get_by_role("button", name="Post my answer").click()
    helper.wait_for_url("**/questions/*/#answer-*")

    asker.goto(question_url)
    asker.get_by_role("button", name="Accept this answer").click()
    expect(asker.get_by_text("Accepted answer")).to_be_visible()

    helper.goto(charlie.get_absolute_url())
    help_section = helper.locator(".help-given")
    assert "1 accepted answer" in help_section.inner_text()
    assert "Why do our welds crack on cold mornings?" in help_section.inner_text()

    helper.goto("/reflections/")
    assert "Alice private lesson" not in helper.content()
    response = helper.goto(secret.get_absolute_url())
    assert response is not None
    assert response.status == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_asker_finds_the_practice_that_answers_and_closes_with_it_on_a_phone(
    phone, live_server, alice, charlie
) -> None:
    from pollinate.practices.search import practice_reindex
    from pollinate.practices.tests.factories import PracticeFactory
    from pollinate.questions.tests.factories import QuestionFactory

    question = QuestionFactory(author=alice, title="Why do our welds crack on cold mornings?")
    practice = PracticeFactory(owner=charlie, title="Preheat plates before winter welding")
    practice_reindex(practice)
    phone.set_default_timeout(10_000)
    sign_in(phone, alice)
    phone.goto(f"/questions/{question.pk}/close/")
    phone.get_by_label("Answered by a practice").check()
    # htmx swaps the results in while typing; the choice is a plain radio button.
    phone.get_by_label("Find the practice that answers it").press_sequentially("preheat")
    choice = phone.get_by_label("Preheat plates before winter welding")
    choice.check()
    phone.get_by_role("button", name="Close the question").click()
    phone.wait_for_url(f"**/questions/{question.pk}/")
    link = phone.get_by_role("link", name="Preheat plates before winter welding")
    assert link.get_attribute("href") == practice.get_absolute_url()
