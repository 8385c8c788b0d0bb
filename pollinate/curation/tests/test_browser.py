"""The acceptance scenario: an editor builds and publishes an episode; a follower sees it."""

from __future__ import annotations

import re
from typing import Any

import feedparser
import pytest

from conftest import sign_in
from pollinate.curation.models import Collection, CollectionFollow, Item
from pollinate.people.models import Person
from pollinate.practices.tests.factories import PracticeFactory


def _phone(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        base_url=live_server.url,
        locale="en-GB",
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    return context


@pytest.mark.browser
def test_an_editor_publishes_an_episode_with_a_link_and_a_practice_and_a_follower_sees_it(
    browser: Any, live_server: Any, editor: Person, charlie: Person
) -> None:
    practice = PracticeFactory(title="Die cart pre-staging", owner=charlie)
    editor_context, follower_context = _phone(browser, live_server), _phone(browser, live_server)
    try:
        page = editor_context.new_page()
        sign_in(page, editor)
        page.goto("/curation/")
        page.get_by_role("link", name="New collection").click()
        page.get_by_label("Title").fill("Quick changeover")
        page.get_by_label("Introduction").fill("What **really** shortened changeovers.")
        page.get_by_role("button", name="Save collection").click()
        page.get_by_role("heading", name="Quick changeover").wait_for()
        collection = Collection.objects.get(title="Quick changeover")
        CollectionFollow.objects.create(person=charlie, collection=collection)

        page.get_by_label("Episode title").fill("Getting started")
        page.get_by_role("button", name="Add episode").click()
        episode = page.locator("#episode-1")
        episode.get_by_text("Add an outside link").click()
        episode.get_by_label("Link (optional)", exact=True).fill("javascript:alert(1)")
        episode.get_by_role("button", name="Add link").click()
        page.get_by_role("alert").filter(has_text="https://").first.wait_for()
        assert not Item.objects.exists()

        link_form = page.locator("#episode-1 form.item-form")
        link_form.get_by_label("Link (optional)", exact=True).fill("https://example.org/smed")
        link_form.get_by_label("Link title").fill("SMED explained")
        link_form.get_by_label("Source").fill("Example Institute")
        link_form.get_by_label("Your commentary").fill("Start with the external steps.")
        link_form.get_by_role("button", name="Add link").click()
        page.get_by_role("link", name="SMED explained").wait_for()

        # The picker: type part of a title, results appear as you type, choose by keyboard.
        episode = page.locator("#episode-1")
        episode.get_by_text("Add a practice, question, chat or collection").click()
        episode.get_by_label("Title contains").fill("die cart")
        option = episode.get_by_role("radio", name=re.compile("Die cart pre-staging"))
        option.wait_for()
        option.focus()
        page.keyboard.press("Space")
        assert option.is_checked()
        episode.get_by_role("button", name="Add the chosen item").click()
        page.get_by_role("link", name="Die cart pre-staging").wait_for()
        assert Item.objects.filter(target_id=practice.pk).exists()

        page.get_by_role("button", name="Publish episode 1 now").click()
        page.get_by_text("Episode published").wait_for()

        follower = follower_context.new_page()
        sign_in(follower, charlie)
        follower.goto("/curation/")
        news = follower.get_by_role("complementary")
        news.get_by_role("link", name="Quick changeover: Getting started").click()
        follower.get_by_role("link", name="SMED explained").wait_for()
        follower.get_by_role("link", name="Die cart pre-staging").wait_for()

        for kind, version in (("rss", "rss20"), ("atom", "atom10")):
            href = follower.locator(f"a[href*='/{kind}/?key=']").first.get_attribute("href")
            body = follower.request.get(href).body()
            parsed = feedparser.parse(body)
            assert parsed.version == version
            assert parsed.entries[0].title == "1. Getting started"
    finally:
        editor_context.close()
        follower_context.close()
