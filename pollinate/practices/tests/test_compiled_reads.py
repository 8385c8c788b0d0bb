"""Reads compiled once per process serve each request its own rows.

The practice page, the home page and search run SQL compiled on first use with marker values
(``selectors.compiled_rows``); these tests show that one viewer's or one practice's values never
stand in for another's, that the home page's lists stay per member and per site, and that the
one-pass markup (cards, relative times, filter fields) follows the viewer's language.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from pollinate.activity.services import activity_record
from pollinate.people.models import Person
from pollinate.people.tests.factories import PersonFactory, SiteFactory
from pollinate.practices import services
from pollinate.practices.models import Practice
from pollinate.practices.search import person_reindex
from pollinate.practices.tests.factories import PracticeFactory

pytestmark = pytest.mark.django_db


def _page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, heading: str) -> str:
    """The home page section labelled by the heading with this id."""
    start = page.index(f'id="{heading}"')
    return page[start : page.index("</section>", start)]


def _pressed(page: str, label: str) -> bool:
    match = re.search(rf'aria-pressed="(true|false)">[^<]*{label}', page)
    assert match is not None, label
    return match.group(1) == "true"


def test_each_practice_page_shows_its_own_thread_and_each_viewer_their_own_state(
    as_client: Any, alice: Person, charlie: Person, dana: Person, practice: Practice
) -> None:
    other = services.practice_create(actor=alice, title="Second practice", steps="s")
    services.comment_create(actor=charlie, practice=practice, body="About the torque check")
    services.comment_create(actor=dana, practice=other, body="About the second one")
    services.reaction_set(actor=charlie, practice=practice, kind="helpful", on=True)
    services.follow_set(actor=dana, on=True, practice=other)

    charlies, danas = as_client(charlie), as_client(dana)
    first = _page(charlies, practice.get_absolute_url())
    second = _page(danas, other.get_absolute_url())
    assert "About the torque check" in first and "About the second one" not in first
    assert "About the second one" in second and "About the torque check" not in second
    assert _pressed(first, "👍") and not _pressed(_page(danas, practice.get_absolute_url()), "👍")
    assert _pressed(second, "Following")
    assert not _pressed(_page(charlies, other.get_absolute_url()), "Follow")
    # The author may edit; a reader at another site may not, whoever came first.
    assert reverse("practices:edit", args=[practice.pk]) not in first
    assert reverse("practices:edit", args=[practice.pk]) in _page(
        as_client(alice), practice.get_absolute_url()
    )


def test_replies_sit_under_their_comment_and_the_whole_conversation_is_on_request(
    as_client: Any, charlie: Person, dana: Person, practice: Practice
) -> None:
    first = services.comment_create(actor=charlie, practice=practice, body="Oldest question")
    for index in range(30):
        services.comment_create(actor=dana, practice=practice, body=f"Remark {index}")
    services.comment_create(actor=charlie, practice=practice, body="A late reply", parent=first)
    client = as_client(charlie)

    latest = _page(client, practice.get_absolute_url())
    assert "Oldest question" not in latest and "A late reply" not in latest
    assert "Remark 29" in latest and "Show the whole conversation" in latest
    everything = _page(client, practice.get_absolute_url() + "?comments=all")
    assert everything.index("Oldest question") < everything.index("A late reply")
    assert everything.index("A late reply") < everything.index("Remark 0")


def test_a_practice_address_beyond_any_id_is_not_found(as_client: Any, bob: Person) -> None:
    response = as_client(bob).get(f"/practices/{10**30}/")
    assert response.status_code == 404


def test_the_home_lists_are_this_members_and_their_sites_and_cost_the_same_queries_when_longer(
    as_client: Any,
    alice: Person,
    charlie: Person,
    dana: Person,
    django_assert_max_num_queries: Any,
) -> None:
    elsewhere = PersonFactory(site=SiteFactory(name="Osaka Plant", country="JP"))

    def grow(start: int, count: int) -> None:
        for index in range(start, start + count):
            practice = services.practice_create(actor=alice, title=f"Lyon tip {index}", steps="s")
            services.adoption_record(
                actor=charlie, practice=practice, status="trying", outcome=services.Outcome()
            )
            mine = services.practice_create(actor=charlie, title=f"Porto tip {index}", steps="s")
            services.practice_set_review(
                actor=charlie, practice=mine, review_by=timezone.localdate() - timedelta(days=1)
            )
            activity_record(
                actor=dana, verb="practice.shared", target=mine, site=charlie.site, payload={}
            )

    grow(0, 1)
    services.adoption_record(
        actor=elsewhere,
        practice=services.practice_create(actor=alice, title="Adopted in Osaka", steps="s"),
        status="adopted",
        outcome=services.Outcome(),
    )
    services.practice_create(actor=dana, title="Dana's own tip", steps="s")
    client = as_client(charlie)
    client.get(reverse("home"))
    with django_assert_max_num_queries(30) as few:
        page = _page(client, reverse("home"))
    limit = len(few.captured_queries)
    taken_up, mine = _section(page, "adoptions-heading"), _section(page, "mine-heading")
    assert "Lyon tip 0" in taken_up and "Adopted in Osaka" not in taken_up  # Porto's only
    assert "Porto tip 0" in mine and "own tip" not in mine
    assert "Your practices due for review:" in page
    recent = _section(page, "recent-heading")
    assert 'class="avatar avatar--sm"' in recent and ">Dana</a>" in recent

    grow(1, 6)
    client.get(reverse("home"))
    with django_assert_max_num_queries(limit):
        page = _page(client, reverse("home"))
    assert _section(page, "adoptions-heading").count("Lyon tip") == 6  # the latest six
    assert _section(page, "mine-heading").count("Porto tip") == 6
    assert _section(page, "recent-heading").count('<li class="person-card">') == 10
    # Another member sees their own practices, not Charlie's.
    alices = _section(_page(as_client(alice), reverse("home")), "mine-heading")
    assert "Lyon tip 6" in alices and "Porto tip" not in alices


def test_cards_and_comments_give_their_time_in_the_viewers_language(
    as_client: Any, alice: Person, bob: Person, charlie: Person, practice: Practice
) -> None:
    services.comment_create(actor=charlie, practice=practice, body="Done at Porto")
    bob.interface_language = "fr"
    bob.save(update_fields=["interface_language"])
    english, french = as_client(charlie), as_client(bob)
    for url in (practice.get_absolute_url(), reverse("practices:list")):
        assert " ago</time>" in _page(english, url)
        page = _page(french, url)
        assert ">il y a " in page and " ago</time>" not in page
        assert " ago</time>" in _page(english, url)


def test_the_search_filters_show_an_error_as_the_field_template_does(
    as_client: Any, bob: Person
) -> None:
    page = _page(as_client(bob), reverse("practices:list") + "?q=" + "x" * 201)
    assert '<div class="field field--error"><label for="id_q">' in page
    assert '<ul class="errorlist" id="id_q_errors" role="alert"><li>' in page
    assert 'name="q" value="' + "x" * 201 + '" maxlength="200"' in page


def test_each_member_feed_follows_their_own_sites(
    as_client: Any, charlie: Person, bob: Person
) -> None:
    tokyo, osaka = SiteFactory(name="Tokyo", country="JP"), SiteFactory(name="Osaka", country="JP")
    PracticeFactory(title="From Tokyo", owner=PersonFactory(site=tokyo))
    PracticeFactory(title="From Osaka", owner=PersonFactory(site=osaka))
    services.follow_set(actor=charlie, on=True, site=tokyo)
    services.follow_set(actor=bob, on=True, site=osaka)
    charlies = _page(as_client(charlie), reverse("home"))
    bobs = _page(as_client(bob), reverse("home"))
    assert "From Tokyo" in charlies and "From Osaka" not in charlies
    assert "From Osaka" in bobs and "From Tokyo" not in bobs


def test_the_language_and_status_filters_narrow_the_list_and_keep_the_choice(
    as_client: Any, bob: Person, alice: Person
) -> None:
    PracticeFactory(title="Contrôle du couple", language="fr", owner=alice)
    PracticeFactory(title="Torque audit", language="en", owner=alice, status="verified")
    client = as_client(bob)
    french = _page(client, reverse("practices:list") + "?language=fr")
    assert "Contrôle du couple" in french and "Torque audit" not in french
    assert '<option value="fr" selected>' in french
    verified = _page(client, reverse("practices:list") + "?status=verified")
    assert "Torque audit" in verified and "Contrôle du couple" not in verified
    assert '<option value="verified" selected>' in verified
    refused = client.get(reverse("practices:list") + "?status=nonsense")
    assert refused.status_code == 200 and 'id="id_status_errors"' in refused.content.decode()


def test_the_language_and_status_options_follow_the_viewers_language(
    as_client: Any, bob: Person, charlie: Person
) -> None:
    bob.interface_language = "fr"
    bob.save(update_fields=["interface_language"])
    english, french = as_client(charlie), as_client(bob)
    for _round in range(2):  # each language after the other, from the per-language lists
        page = _page(french, reverse("practices:list"))
        assert ">Toutes les langues</option>" in page and ">Any language</option>" not in page
        page = _page(english, reverse("practices:list"))
        assert ">Any language</option>" in page and ">Toutes les langues</option>" not in page


def test_the_people_row_shows_each_match_as_a_person_card(
    as_client: Any, bob: Person, charlie: Person, dana: Person
) -> None:
    charlie.job_title = "Shift <lead>"
    charlie.save(update_fields=["job_title"])
    type(dana.user).objects.filter(pk=dana.user_id).update(is_active=False)
    for person in (charlie, dana):
        person_reindex(person)
    client = as_client(bob)
    row = _page(client, reverse("practices:list") + "?q=charlie")
    assert (
        f'<li><div class="person-card"><span class="avatar" aria-hidden="true">C</span><div>'
        f'<a href="{charlie.get_absolute_url()}">Charlie</a>'
        '<div class="muted small">Shift &lt;lead&gt; · Porto Plant</div></div></div></li>'
    ) in row
    assert "people-heading" not in _page(client, reverse("practices:list") + "?q=dana")
