from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pollinate.activity.models import Activity
from pollinate.core.testing import FUTURE_YEAR
from pollinate.people.models import Person
from pollinate.people.tests.factories import PersonFactory, SiteFactory, TopicFactory
from pollinate.practices import services
from pollinate.practices.models import (
    Adoption,
    Comment,
    Follow,
    Practice,
    PracticeImage,
    PracticeStatus,
    Reaction,
)
from pollinate.practices.search import person_reindex, practice_reindex
from pollinate.practices.selectors import practice_counts_changed
from pollinate.practices.tests.conftest import png_upload
from pollinate.practices.tests.factories import PracticeFactory

# -- anonymous and wrong method ---------------------------------------------------------------

GET_PAGES = [
    ("practices:list", {}),
    ("practices:capture", {}),
    ("practices:create", {}),
    ("practices:mine", {}),
    ("practices:feed_more", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), GET_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(
    client: Any, db: None, name: str, kwargs: dict
) -> None:
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


def test_anonymous_visitors_cannot_see_a_practice_or_its_qr_code(
    client: Any, practice: Practice
) -> None:
    for url in (practice.get_absolute_url(), reverse("practices:qr", args=[practice.pk])):
        assert client.get(url).status_code == 302


def test_read_only_pages_refuse_post(as_client: Any, bob: Person, practice: Practice) -> None:
    client = as_client(bob)
    assert client.post(reverse("practices:list")).status_code == 405
    assert client.post(practice.get_absolute_url()).status_code == 405
    assert client.post(reverse("practices:history", args=[practice.pk])).status_code == 405


def test_write_endpoints_refuse_get(as_client: Any, charlie: Person, practice: Practice) -> None:
    client = as_client(charlie)
    for url in (
        reverse("practices:comment_create", args=[practice.pk]),
        reverse("practices:react", args=[practice.pk, "helpful"]),
        reverse("practices:lifecycle", args=[practice.pk, "retire"]),
        reverse("practices:follow", args=["practice", practice.pk]),
    ):
        assert client.get(url).status_code == 405, url


# -- capture, create, uploads ----------------------------------------------------------------


def test_quick_capture_with_a_photo_shares_a_practice_with_a_re_encoded_image(
    as_client: Any, bob: Person
) -> None:
    response = as_client(bob).post(
        reverse("practices:capture"),
        {
            "title": "Colour-coded spanners",
            "steps": "Hang them by size.",
            "photo": png_upload(),
            "share": "on",
        },
    )
    practice = Practice.objects.get(title="Colour-coded spanners")
    assert response.status_code == 302
    assert response["Location"] == practice.get_absolute_url()
    assert practice.status == PracticeStatus.SHARED
    image = PracticeImage.objects.get(practice=practice)
    assert image.image.name.startswith(f"practices/{practice.pk}/")
    assert "photo" not in image.image.name  # stored under a random name


def test_a_non_image_upload_is_refused_with_a_message_and_nothing_is_saved(
    as_client: Any, bob: Person
) -> None:
    fake = SimpleUploadedFile("evil.png", b"<script>alert(1)</script>", content_type="image/png")
    response = as_client(bob).post(
        reverse("practices:capture"), {"title": "X", "steps": "Y", "photo": fake, "share": "on"}
    )
    assert response.status_code == 400
    assert "not an image we can read" in response.content.decode()
    assert not Practice.objects.filter(title="X").exists()


def test_an_oversized_upload_is_refused_with_its_size(
    as_client: Any, bob: Person, settings: Any
) -> None:
    settings.UPLOAD_MAX_BYTES = 1024
    response = as_client(bob).post(
        reverse("practices:capture"),
        {"title": "Big", "steps": "Y", "photo": png_upload(size=(400, 400)), "share": "on"},
    )
    assert response.status_code == 400
    assert "the limit is" in response.content.decode()
    assert not Practice.objects.filter(title="Big").exists()


def test_the_full_form_can_keep_a_practice_as_a_draft_with_topics_and_tags(
    as_client: Any, bob: Person
) -> None:
    topic = TopicFactory(name="Pressing")
    response = as_client(bob).post(
        reverse("practices:create"),
        {
            "title": "Draft idea",
            "steps": "Steps",
            "language": "fr",
            "topics": [topic.pk],
            "tags": "Press 12, Line B",
            "action": "draft",
        },
    )
    practice = Practice.objects.get(title="Draft idea")
    assert response.status_code == 302
    assert practice.status == PracticeStatus.DRAFT
    assert sorted(practice.tags.values_list("name", flat=True)) == ["Line B", "Press 12"]
    assert list(practice.topics.all()) == [topic]


def test_numbers_without_a_unit_are_refused(as_client: Any, bob: Person) -> None:
    response = as_client(bob).post(
        reverse("practices:create"),
        {"title": "T", "steps": "S", "language": "en", "metric_before": "5"},
    )
    assert response.status_code == 400
    assert "Say what the numbers measure" in response.content.decode()


# -- who sees and changes what ---------------------------------------------------------------


def test_someone_elses_draft_is_not_found(
    as_client: Any, bob: Person, charlie: Person, draft: Practice
) -> None:
    for person in (bob, charlie):
        client = as_client(person)
        assert client.get(draft.get_absolute_url()).status_code == 404
        assert client.get(reverse("practices:edit", args=[draft.pk])).status_code == 404
        assert client.get(reverse("practices:qr", args=[draft.pk])).status_code == 404


def test_the_author_sees_her_draft(as_client: Any, alice: Person, draft: Practice) -> None:
    response = as_client(alice).get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "only its authors can see it" in response.content.decode()


def test_a_member_at_another_site_may_read_but_not_edit(
    as_client: Any, charlie: Person, practice: Practice
) -> None:
    client = as_client(charlie)
    assert client.get(practice.get_absolute_url()).status_code == 200
    assert client.get(reverse("practices:edit", args=[practice.pk])).status_code == 403
    response = client.post(
        reverse("practices:edit", args=[practice.pk]),
        {"title": "Hijacked", "steps": "x", "language": "en", "version": 1},
    )
    assert response.status_code == 403
    practice.refresh_from_db()
    assert practice.title != "Hijacked"
    assert (
        client.post(reverse("practices:lifecycle", args=[practice.pk, "retire"])).status_code == 403
    )


def test_a_colleague_at_the_origin_site_may_improve_the_text(
    as_client: Any, bob: Person, practice: Practice
) -> None:
    response = as_client(bob).post(
        reverse("practices:edit", args=[practice.pk]),
        {
            "title": practice.title,
            "steps": "Better steps",
            "language": "en",
            "version": 1,
            "summary": "clearer",
        },
    )
    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.steps == "Better steps"
    assert practice.revisions.get(number=2).summary == "clearer"


def test_a_conflicting_edit_is_shown_with_a_diff_and_the_text_is_kept(
    as_client: Any, alice: Person, bob: Person, practice: Practice
) -> None:
    services.practice_update(
        actor=bob, practice=practice, data={"steps": "Bob was here"}, base_version=1
    )
    response = as_client(alice).post(
        reverse("practices:edit", args=[practice.pk]),
        {
            "title": practice.title,
            "steps": "Alice's careful rewrite",
            "language": "en",
            "version": 1,
        },
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "Someone else saved this practice" in body
    assert "Alice&#x27;s careful rewrite" in body  # still in the form
    assert "Bob was here" in body  # shown in the diff
    assert 'name="version" value="2"' in body  # the next save is against the current version
    practice.refresh_from_db()
    assert practice.steps == "Bob was here"


def test_history_lists_revisions_and_restore_brings_back_old_text(
    as_client: Any, alice: Person, practice: Practice
) -> None:
    original = practice.steps
    services.practice_update(actor=alice, practice=practice, data={"steps": "New"}, base_version=1)
    client = as_client(alice)
    history = client.get(reverse("practices:history", args=[practice.pk]))
    assert "Version 2" in history.content.decode()
    diff = client.get(reverse("practices:revision", args=[practice.pk, 2]))
    assert "diff__line--add" in diff.content.decode()
    response = client.post(
        reverse("practices:revision_restore", args=[practice.pk, 1]), {"version": 2}
    )
    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.steps == original


def test_restore_by_someone_at_another_site_is_forbidden(
    as_client: Any, charlie: Person, practice: Practice
) -> None:
    response = as_client(charlie).post(
        reverse("practices:revision_restore", args=[practice.pk, 1]), {"version": 1}
    )
    assert response.status_code == 403


# -- adopt, adapt, provenance ----------------------------------------------------------------


def test_recording_an_adoption_from_another_site_shows_on_the_page(
    as_client: Any, charlie: Person, practice: Practice
) -> None:
    client = as_client(charlie)
    response = client.post(
        reverse("practices:adopt", args=[practice.pk]),
        {"status": "adopted", "outcome": "Fewer stops", "outcome_positive": "yes"},
    )
    assert response.status_code == 302
    adoption = Adoption.objects.get(practice=practice)
    assert adoption.site == charlie.site and adoption.outcome_positive is True
    page = client.get(practice.get_absolute_url()).content.decode()
    assert "Porto Plant" in page and "Fewer stops" in page


def test_dropping_without_a_reason_re_shows_the_form(
    as_client: Any, charlie: Person, practice: Practice
) -> None:
    response = as_client(charlie).post(
        reverse("practices:adopt", args=[practice.pk]), {"status": "dropped"}
    )
    assert response.status_code == 400
    assert not Adoption.objects.exists()


def test_the_origin_site_cannot_adopt_its_own_practice(
    as_client: Any, bob: Person, practice: Practice
) -> None:
    response = as_client(bob).post(
        reverse("practices:adopt", args=[practice.pk]),
        {"status": "adopted", "outcome_positive": "yes"},
    )
    assert response.status_code == 400
    assert not Adoption.objects.exists()


def test_an_adaptation_shows_the_provenance_chain_on_both_pages(
    as_client: Any, charlie: Person, bob: Person, practice: Practice
) -> None:
    response = as_client(charlie).post(
        reverse("practices:adapt", args=[practice.pk]),
        {
            "title": "Torque check, Porto",
            "adaptation_note": "Eight bolts here",
            "steps": "Check eight bolts.",
        },
    )
    adapted = Practice.objects.get(title="Torque check, Porto")
    assert response["Location"] == adapted.get_absolute_url()
    # Third hop: a site in Spain adopts the adaptation.
    madrid = PersonFactory(site=SiteFactory(name="Madrid Plant", code="madrid", country="ES"))
    services.adoption_record(
        actor=madrid, practice=adapted, status="adopted", outcome=services.Outcome(positive=True)
    )
    original_page = as_client(bob).get(practice.get_absolute_url()).content.decode()
    adapted_page = as_client(bob).get(adapted.get_absolute_url()).content.decode()
    assert "Torque check, Porto" in original_page and "Portugal" in original_page
    assert practice.title in adapted_page and "Eight bolts here" in adapted_page
    assert "Madrid Plant" in adapted_page


# -- conversation ----------------------------------------------------------------------------


def test_commenting_and_replying_records_mentions(
    as_client: Any, charlie: Person, bob: Person, practice: Practice
) -> None:
    client = as_client(charlie)
    client.post(
        reverse("practices:comment_create", args=[practice.pk]), {"body": "Hi @Bob, which wrench?"}
    )
    top = Comment.objects.get()
    response = client.post(
        reverse("practices:comment_create", args=[practice.pk]),
        {"body": "Also this", "parent": top.pk},
    )
    assert response.status_code == 302
    assert Comment.objects.filter(parent=top).count() == 1
    activity = Activity.objects.filter(verb="practice.commented").order_by("id").first()
    assert activity is not None and activity.payload["mentions"] == [bob.pk]


def test_only_the_author_may_delete_a_comment(
    as_client: Any, charlie: Person, bob: Person, practice: Practice
) -> None:
    comment = services.comment_create(actor=charlie, practice=practice, body="mine")
    url = reverse("practices:comment_delete", args=[comment.pk])
    assert as_client(bob).post(url).status_code == 403
    assert as_client(charlie).post(url).status_code == 302
    assert not Comment.objects.exists()


def test_comments_on_a_draft_are_not_found(
    as_client: Any, charlie: Person, draft: Practice
) -> None:
    response = as_client(charlie).post(
        reverse("practices:comment_create", args=[draft.pk]), {"body": "x"}
    )
    assert response.status_code == 404


def test_reacting_with_htmx_returns_the_updated_counter(
    as_client: Any, charlie: Person, practice: Practice
) -> None:
    response = as_client(charlie).post(
        reverse("practices:react", args=[practice.pk, "helpful"]),
        {"on": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert Reaction.objects.filter(person=charlie, kind="helpful").count() == 1


def test_following_a_topic_a_site_and_a_practice(
    as_client: Any, charlie: Person, practice: Practice, site_a: Any
) -> None:
    topic = TopicFactory()
    client = as_client(charlie)
    for kind, object_id in (("topic", topic.pk), ("site", site_a.code), ("practice", practice.pk)):
        response = client.post(reverse("practices:follow", args=[kind, object_id]), {"on": "1"})
        assert response.status_code == 302
    assert Follow.objects.filter(person=charlie).count() == 3
    assert (
        client.post(reverse("practices:follow", args=["nonsense", 1]), {"on": "1"}).status_code
        == 404
    )


# -- lists, feed and query counts ------------------------------------------------------------


def _many_practices(count: int) -> None:
    site = SiteFactory(name="Busan Plant", code="busan", country="KR")
    owner = PersonFactory(site=site)
    for index in range(count):
        practice = PracticeFactory(owner=owner, site=site, title=f"Lean practice {index}")
        practice.topics.add(TopicFactory())
        practice_reindex(practice)


def test_the_list_query_count_does_not_grow_with_the_list(as_client: Any, bob: Person) -> None:
    _many_practices(3)
    client = as_client(bob)
    client.get(reverse("practices:list"))

    def queries_of_the_list() -> tuple[int, str]:
        practice_counts_changed()  # measure with the total counted, not cached
        with CaptureQueriesContext(connection) as context:
            response = client.get(reverse("practices:list"))
        return len(context.captured_queries), response.content.decode()

    small, _body = queries_of_the_list()
    _many_practices(15)
    # A new topic: the filter choices are rebuilt once; the new cards are built and cached once.
    queries_of_the_list()
    large, body = queries_of_the_list()
    assert small == large <= 14
    assert body.count('<article class="practice-card"') == 18
    assert "18 practices" in body


def test_the_list_total_is_cached_until_a_practice_is_shared(
    as_client: Any,
    bob: Person,
    charlie: Person,
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _many_practices(3)
    client = as_client(bob)
    assert "3 practices" in client.get(reverse("practices:list")).content.decode()
    with django_assert_max_num_queries(12) as warm:
        client.get(reverse("practices:list"))
    counts = [q["sql"] for q in warm.captured_queries if q["sql"].startswith("SELECT COUNT(")]
    assert not [sql for sql in counts if "practices_practice" in sql]
    with django_capture_on_commit_callbacks(execute=True):
        services.practice_create(actor=charlie, title="Counted at once", steps="Do it.")
    assert "4 practices" in client.get(reverse("practices:list")).content.decode()


def test_search_finds_practices_and_people_and_its_query_count_is_bounded(
    as_client: Any, bob: Person, charlie: Person, django_assert_max_num_queries: Any
) -> None:
    _many_practices(12)
    client = as_client(bob)
    with django_assert_max_num_queries(18):
        response = client.get(reverse("practices:list"), {"q": "lean"})
    body = response.content.decode()
    assert "12 practices match" in body
    person_reindex(charlie)
    people = client.get(reverse("practices:list"), {"q": "charlie"}).content.decode()
    assert f'href="{charlie.get_absolute_url()}"' in people


def test_the_home_feed_shows_practices_from_other_sites_and_loads_more(
    as_client: Any, charlie: Person, django_assert_max_num_queries: Any
) -> None:
    _many_practices(15)
    client = as_client(charlie)
    with django_assert_max_num_queries(22):
        home = client.get(reverse("home"))
    body = home.content.decode()
    assert body.count('<article class="practice-card"') == 12
    assert "Load more" in body
    cursor = home.context["feed"].cursor
    more = client.get(reverse("practices:feed_more"), {"cursor": cursor}, HTTP_HX_REQUEST="true")
    assert more.content.decode().count('<article class="practice-card"') == 3
    assert "Load more" not in more.content.decode()


def test_the_feed_prefers_followed_topics(as_client: Any, charlie: Person) -> None:
    topic = TopicFactory(name="Welding")
    followed = PracticeFactory(
        title="Followed welding tip", owner=PersonFactory(site=SiteFactory(country="JP"))
    )
    followed.topics.add(topic)
    PracticeFactory(title="Unrelated far away", owner=PersonFactory(site=SiteFactory(country="JP")))
    services.follow_set(actor=charlie, on=True, topic=topic)
    body = as_client(charlie).get(reverse("home")).content.decode()
    assert "Followed welding tip" in body
    assert "Unrelated far away" not in body


# -- QR codes --------------------------------------------------------------------------------


def test_qr_codes_are_svg_for_practices_topics_and_tags(
    as_client: Any, charlie: Person, practice: Practice
) -> None:
    tag = services.tag_get_or_create(name="Press 12", kind="equipment")
    practice.tags.add(tag)
    client = as_client(charlie)
    for url in (
        reverse("practices:qr", args=[practice.pk]),
        reverse("practices:topic_qr", args=[TopicFactory().pk]),
        reverse("practices:tag_qr", args=[tag.slug]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        assert response.content.lstrip().startswith(b"<?xml") and b"<svg" in response.content
    sheet = client.get(reverse("practices:site_qr_sheet", args=["lyon"])).content.decode()
    assert practice.title in sheet and "Press 12" in sheet
    assert client.get(reverse("practices:site_qr_sheet", args=["nowhere"])).status_code == 404
    assert client.get(reverse("practices:tag_qr", args=["nowhere"])).status_code == 404


def test_people_are_indexed_when_they_join_through_the_service(
    as_client: Any, bob: Person, site_b: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from pollinate.people.services import person_create

    with django_capture_on_commit_callbacks(execute=True):
        newcomer = person_create(
            email="ines@example.com", password=None, display_name="Inês Sousa", site=site_b
        )
    body = as_client(bob).get(reverse("practices:list"), {"q": "ines"}).content.decode()
    assert f'href="{newcomer.get_absolute_url()}"' in body


def test_the_practice_page_query_count_does_not_grow_with_comments_and_adoptions(
    as_client: Any, bob: Person, practice: Practice, django_assert_max_num_queries: Any
) -> None:
    def grow(n: int) -> None:
        for _ in range(n):
            person = PersonFactory(site=SiteFactory())
            services.adoption_record(
                actor=person,
                practice=practice,
                status="adopted",
                outcome=services.Outcome(positive=True),
            )
            top = services.comment_create(actor=person, practice=practice, body="How?")
            services.comment_create(actor=bob, practice=practice, body="Like this", parent=top)

    client = as_client(bob)
    grow(2)
    client.get(practice.get_absolute_url())
    with django_assert_max_num_queries(40) as few:
        client.get(practice.get_absolute_url())
    grow(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(practice.get_absolute_url())
    assert response.content.decode().count('class="comment"') == 20


def test_lifecycle_actions_share_review_supersede_and_retire(
    as_client: Any, alice: Person, draft: Practice, practice: Practice
) -> None:
    client = as_client(alice)
    client.post(reverse("practices:lifecycle", args=[draft.pk, "share"]))
    draft.refresh_from_db()
    assert draft.status == PracticeStatus.SHARED
    client.post(
        reverse("practices:lifecycle", args=[practice.pk, "review"]), {"review_by": "2020-01-01"}
    )
    practice.refresh_from_db()
    assert str(practice.review_by) == "2020-01-01"
    assert "due for review" in client.get(practice.get_absolute_url()).content.decode()
    client.post(
        reverse("practices:lifecycle", args=[practice.pk, "supersede"]), {"successor": draft.pk}
    )
    practice.refresh_from_db()
    assert practice.status == PracticeStatus.SUPERSEDED and practice.superseded_by == draft
    assert draft.title in client.get(practice.get_absolute_url()).content.decode()
    client.post(reverse("practices:lifecycle", args=[draft.pk, "retire"]))
    draft.refresh_from_db()
    assert draft.status == PracticeStatus.RETIRED
    assert (
        client.post(reverse("practices:lifecycle", args=[draft.pk, "explode"])).status_code == 404
    )


def test_superseding_with_someone_elses_draft_is_not_found(
    as_client: Any, alice: Person, charlie: Person, practice: Practice
) -> None:
    hidden = services.practice_create(actor=charlie, title="Hidden", steps="x", share=False)
    response = as_client(alice).post(
        reverse("practices:lifecycle", args=[practice.pk, "supersede"]), {"successor": hidden.pk}
    )
    assert response.status_code == 404
    practice.refresh_from_db()
    assert practice.status == PracticeStatus.SHARED


def test_filtering_by_topic_offers_to_follow_it_and_its_qr_code(
    as_client: Any, charlie: Person, practice: Practice
) -> None:
    topic = TopicFactory(name="Presses")
    practice.topics.add(topic)
    body = as_client(charlie).get(reverse("practices:list"), {"topic": topic.pk}).content.decode()
    assert reverse("practices:follow", args=["topic", topic.pk]) in body
    assert reverse("practices:topic_qr", args=[topic.pk]) in body
    assert practice.title in body


def test_a_broad_topic_finds_practices_filed_under_narrower_ones(
    as_client: Any, charlie: Person, practice: Practice
) -> None:
    welding = TopicFactory(name="Welding")
    practice.topics.add(TopicFactory(name="MIG welding", parent=welding))
    body = as_client(charlie).get(reverse("practices:list"), {"topic": welding.pk}).content.decode()
    assert practice.title in body


def test_my_practices_and_the_tag_page_query_counts_do_not_grow(
    as_client: Any, alice: Person, charlie: Person, django_assert_max_num_queries: Any
) -> None:
    tag = services.tag_get_or_create(name="Press 12", kind="equipment")

    def grow(n: int) -> None:
        for index in range(n):
            practice = services.practice_create(actor=alice, title=f"P{index}", steps="s")
            practice.tags.add(tag)
            services.adoption_record(
                actor=charlie, practice=practice, status="trying", outcome=services.Outcome()
            )

    grow(2)
    for client, url in (
        (as_client(alice), reverse("practices:mine")),
        (as_client(charlie), reverse("practices:mine")),
        (as_client(charlie), tag.get_absolute_url()),
    ):
        client.get(url)
        with django_assert_max_num_queries(25) as few:
            client.get(url)
        limit = len(few.captured_queries)  # read now: the next request resets the query log
        grow(3)
        client.get(url)  # the new practices' cards are built (and cached) by the first view
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200


def test_the_feed_finds_followed_topics_beyond_the_window_of_newest_practices(
    charlie: Person, monkeypatch: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from pollinate.practices import selectors

    topic = TopicFactory(name="Painting")
    far = SiteFactory(country="JP")
    old = PracticeFactory(title="Old painting tip", owner=PersonFactory(site=far))
    old.topics.add(topic)
    Practice.objects.filter(pk=old.pk).update(last_activity_at=timezone.now() - timedelta(days=400))
    for index in range(4):
        PracticeFactory(title=f"Newer {index}", owner=PersonFactory(site=SiteFactory()))
    services.follow_set(actor=charlie, on=True, topic=topic)
    monkeypatch.setattr(selectors, "FEED_TOPIC_WINDOW", 2)  # the old practice is outside it

    feed = selectors.practice_feed(actor=charlie)

    assert [p.title for p in feed.practices] == ["Old painting tip"]


def test_feed_pages_merge_every_source_in_activity_order_without_repeats(
    charlie: Person,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from pollinate.practices import selectors

    topic = TopicFactory()
    followed_site = SiteFactory(country="JP")
    now = timezone.now()
    expected = []
    for index in range(30):
        source = index % 3
        if source == 0:
            practice = PracticeFactory(owner=PersonFactory(site=followed_site))
        else:
            practice = PracticeFactory(owner=PersonFactory(site=SiteFactory(country="JP")))
            if source == 1:
                practice.topics.add(topic)
            else:
                services.follow_set(actor=charlie, on=True, practice=practice)
        Practice.objects.filter(pk=practice.pk).update(
            last_activity_at=now - timedelta(minutes=index)
        )
        expected.append(practice.pk)
    PracticeFactory(owner=PersonFactory(site=SiteFactory(country="JP")))  # followed by no one
    services.follow_set(actor=charlie, on=True, topic=topic)
    services.follow_set(actor=charlie, on=True, site=followed_site)

    seen: list[int] = []
    cursor = None
    for _page in range(4):
        feed = selectors.practice_feed(actor=charlie, cursor=cursor, size=12)
        seen += [p.pk for p in feed.practices]
        cursor = feed.cursor
        if cursor is None:
            break
    assert seen == expected


def test_search_shows_a_draft_only_to_its_owner_and_authors(
    alice: Person, bob: Person, charlie: Person
) -> None:
    from pollinate.practices import selectors
    from pollinate.practices.models import PracticeAuthor

    draft = services.practice_create(
        actor=alice, title="Zebra crossing draft", steps="Paint it.", share=False
    )
    shared = services.practice_create(actor=alice, title="Zebra crossing shared", steps="Do it.")
    PracticeAuthor.objects.create(practice=draft, person=bob)

    def found(person: Person, **filters: Any) -> set[int]:
        chosen = selectors.PracticeFilters(query="zebra", **filters)
        return {p.pk for p in selectors.practice_search(actor=person, filters=chosen)}

    assert found(alice) == {draft.pk, shared.pk}
    assert found(bob) == {draft.pk, shared.pk}
    assert found(charlie) == {shared.pk}
    assert found(alice, status="draft") == {draft.pk}
    assert found(charlie, status="draft") == set()
    assert found(charlie, status="shared") == {shared.pk}


def test_the_filters_offer_a_topic_as_soon_as_it_is_created(as_client: Any, bob: Person) -> None:
    client = as_client(bob)
    assert "Hydraulics" not in client.get(reverse("practices:list")).content.decode()
    topic = TopicFactory(name="Hydraulics")
    body = client.get(reverse("practices:list")).content.decode()
    assert f'<option value="{topic.pk}">Hydraulics</option>' in body
    filtered = client.get(reverse("practices:list"), {"topic": topic.pk})
    assert filtered.status_code == 200
    assert filtered.context["filters"].topic == topic
    unknown = client.get(reverse("practices:list"), {"topic": "999999"})
    assert unknown.context["filters"].topic is None


def test_a_widely_adopted_practice_shows_its_latest_sites_and_all_on_request(
    as_client: Any, bob: Person, practice: Practice
) -> None:
    from datetime import date, timedelta

    from pollinate.practices.tests.factories import AdoptionFactory

    first = date(2025, 1, 1)
    for index in range(22):
        AdoptionFactory(
            practice=practice,
            site=SiteFactory(name=f"Plant {index:02d}"),
            happened_on=first + timedelta(days=index),
        )
    client = as_client(bob)
    body = client.get(reverse("practices:detail", args=[practice.pk])).content.decode()
    assert "Taken up by 22 sites" in body
    assert ">Plant 21</a>" in body and ">Plant 02</a>" in body  # the provenance list links sites
    assert ">Plant 01</a>" not in body and ">Plant 00</a>" not in body
    assert "?adoptions=all#provenance" in body
    everything = client.get(reverse("practices:detail", args=[practice.pk]), {"adoptions": "all"})
    assert ">Plant 00</a>" in everything.content.decode()
    assert "?adoptions=all#provenance" not in everything.content.decode()


def test_my_sites_adoption_is_known_even_when_the_list_leaves_it_out(
    as_client: Any, bob: Person, practice: Practice
) -> None:
    from datetime import date, timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pollinate.practices.tests.factories import AdoptionFactory

    first = date(2025, 1, 1)
    AdoptionFactory(practice=practice, site=bob.site, status="adopted", happened_on=first)
    client = as_client(bob)
    url = reverse("practices:detail", args=[practice.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(25):
        AdoptionFactory(
            practice=practice,
            site=SiteFactory(name=f"Plant {index:02d}", country="JP" if index % 2 else "BR"),
            happened_on=first + timedelta(days=index + 1),
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    body = response.content.decode()
    assert "Your site: adopted." in body  # the oldest, so not among the 20 listed
    assert f">{bob.site.name}</a>" not in body
    assert "Taken up by 26 sites" in body
    assert "Brazil" in body and "Japan" in body  # countries of the sites not listed, too
    assert len(many.captured_queries) == len(few.captured_queries)


def test_ownership_passes_to_another_author_but_not_to_anyone_else(
    as_client: Any, alice: Person, bob: Person, charlie: Person, practice: Practice
) -> None:
    from pollinate.practices.models import PracticeAuthor

    PracticeAuthor.objects.create(practice=practice, person=bob)
    client = as_client(alice)
    page = client.get(practice.get_absolute_url()).content.decode()
    assert f'<option value="{bob.pk}">' in page and f'<option value="{charlie.pk}">' not in page
    url = reverse("practices:lifecycle", args=[practice.pk, "review"])
    client.post(url, {"review_by": f"{FUTURE_YEAR}-01-01", "owner": charlie.pk})
    practice.refresh_from_db()
    assert practice.owner == alice and practice.review_by is None
    client.post(url, {"review_by": f"{FUTURE_YEAR}-01-01", "owner": bob.pk})
    practice.refresh_from_db()
    assert practice.owner == bob and str(practice.review_by) == f"{FUTURE_YEAR}-01-01"
    assert Activity.objects.filter(verb="practice.review_set", payload__owner=bob.pk).exists()


def test_search_ranks_practices_adopted_and_found_helpful_elsewhere_first(
    alice: Person, charlie: Person
) -> None:
    from pollinate.practices import selectors

    plain = services.practice_create(actor=alice, title="Kanban board", steps="Cards on a wall.")
    proven = services.practice_create(actor=alice, title="Kanban board", steps="Cards on a wall.")
    retired = services.practice_create(actor=alice, title="Kanban board", steps="Cards on a wall.")
    services.practice_retire(actor=alice, practice=retired)
    for _index in range(3):
        visitor = PersonFactory(site=SiteFactory())
        services.adoption_record(
            actor=visitor,
            practice=proven,
            status="adopted",
            outcome=services.Outcome(text="Works", positive=True),
        )
    services.reaction_set(actor=charlie, practice=proven, kind="helpful", on=True)

    ranked = selectors.practice_search(
        actor=charlie, filters=selectors.PracticeFilters(query="kanban")
    )

    assert [p.pk for p in ranked] == [proven.pk, plain.pk, retired.pk]
