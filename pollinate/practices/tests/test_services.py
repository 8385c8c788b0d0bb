from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from pollinate.activity.models import Activity
from pollinate.people.models import Person
from pollinate.people.tests.factories import PersonFactory, SiteFactory
from pollinate.practices import services
from pollinate.practices.models import (
    Adoption,
    AdoptionStatus,
    Practice,
    PracticeRevision,
    PracticeStatus,
)
from pollinate.practices.services import Outcome


def _adopt(
    practice: Practice, *, positive: bool | None = True, status: str = "adopted"
) -> Adoption:
    person = PersonFactory(site=SiteFactory())
    return services.adoption_record(
        actor=person,
        practice=practice,
        status=status,
        outcome=Outcome(text="Worked", positive=positive, reason="too slow"),
    )


def test_creating_a_practice_keeps_a_first_revision_and_records_it_on_the_spine(
    practice: Practice, alice: Person
) -> None:
    assert practice.status == PracticeStatus.SHARED
    assert practice.site == alice.site
    assert list(practice.revisions.values_list("number", flat=True)) == [1]
    activity = Activity.objects.get(verb="practice.shared", object_id=practice.pk)
    assert activity.is_public is True
    assert practice.follows.filter(person=alice).exists()


def test_a_practice_becomes_verified_exactly_when_the_second_other_site_reports_success(
    practice: Practice,
) -> None:
    _adopt(practice, positive=None, status="trying")
    _adopt(practice, positive=False)
    _adopt(practice, positive=True)
    practice.refresh_from_db()
    assert practice.status == PracticeStatus.SHARED
    assert practice.verified_site_count == 1
    _adopt(practice, positive=True)
    practice.refresh_from_db()
    assert practice.status == PracticeStatus.VERIFIED
    assert Activity.objects.filter(verb="practice.verified", object_id=practice.pk).count() == 1


def test_the_verification_threshold_follows_the_setting(
    practice: Practice, settings: object
) -> None:
    settings.PRACTICE_VERIFIED_MIN_SITES = 1  # type: ignore[attr-defined]
    _adopt(practice)
    practice.refresh_from_db()
    assert practice.status == PracticeStatus.VERIFIED


def test_a_verified_practice_goes_back_to_shared_when_an_adopting_site_drops_it(
    practice: Practice,
) -> None:
    first = _adopt(practice)
    _adopt(practice)
    practice.refresh_from_db()
    assert practice.status == PracticeStatus.VERIFIED
    person = PersonFactory(site=first.site)
    services.adoption_record(
        actor=person,
        practice=practice,
        status=AdoptionStatus.DROPPED,
        outcome=Outcome(reason="The wrench broke too often."),
    )
    practice.refresh_from_db()
    assert practice.status == PracticeStatus.SHARED
    assert Adoption.objects.get(pk=first.pk).status == AdoptionStatus.DROPPED


def test_adoptions_at_the_origin_site_are_refused(practice: Practice, bob: Person) -> None:
    with pytest.raises(ValidationError):
        services.adoption_record(
            actor=bob, practice=practice, status="adopted", outcome=Outcome(positive=True)
        )


def test_dropping_without_a_reason_is_refused(practice: Practice, charlie: Person) -> None:
    with pytest.raises(ValidationError):
        services.adoption_record(
            actor=charlie, practice=practice, status="dropped", outcome=Outcome()
        )


def test_an_edit_from_a_stale_version_is_a_conflict_and_writes_nothing(
    practice: Practice, alice: Person, bob: Person
) -> None:
    services.practice_update(
        actor=bob, practice=practice, data={"steps": "Bob's steps"}, base_version=1
    )
    stale = Practice.objects.get(pk=practice.pk)
    with pytest.raises(services.PracticeConflict):
        services.practice_update(
            actor=alice, practice=stale, data={"steps": "Alice's steps"}, base_version=1
        )
    practice.refresh_from_db()
    assert practice.steps == "Bob's steps"
    assert practice.version == 2
    assert PracticeRevision.objects.filter(practice=practice).count() == 2


def test_restoring_an_old_revision_adds_a_new_revision_with_the_old_text(
    practice: Practice, alice: Person
) -> None:
    original = practice.steps
    services.practice_update(
        actor=alice, practice=practice, data={"steps": "Changed"}, base_version=1
    )
    first = practice.revisions.get(number=1)
    services.practice_restore(actor=alice, practice=practice, revision=first, base_version=2)
    practice.refresh_from_db()
    assert practice.steps == original
    assert practice.version == 3
    assert practice.revisions.get(number=3).data["steps"] == original


def test_adapting_creates_a_linked_practice_at_the_adopting_site(
    practice: Practice, charlie: Person
) -> None:
    adapted = services.practice_adapt(
        actor=charlie,
        source=practice,
        title="Torque check, Porto version",
        adaptation_note="We check eight bolts.",
        outcome=Outcome(text="Fewer stops", positive=True),
    )
    assert adapted.adapted_from == practice
    assert adapted.site == charlie.site
    adoption = Adoption.objects.get(practice=practice, site=charlie.site)
    assert adoption.status == AdoptionStatus.ADAPTED
    assert adoption.adaptation == adapted
    assert Activity.objects.filter(verb="practice.adapted", object_id=practice.pk).exists()


def test_mentions_are_resolved_by_display_name_and_put_in_the_payload(
    practice: Practice, charlie: Person, bob: Person
) -> None:
    services.comment_create(actor=charlie, practice=practice, body="Ask @Bob about it, thanks")
    activity = Activity.objects.get(verb="practice.commented")
    assert activity.payload["mentions"] == [bob.pk]


def test_a_reply_to_a_reply_attaches_to_the_top_level_comment(
    practice: Practice, charlie: Person, bob: Person
) -> None:
    top = services.comment_create(actor=charlie, practice=practice, body="How long?")
    reply = services.comment_create(actor=bob, practice=practice, body="Two minutes", parent=top)
    nested = services.comment_create(actor=charlie, practice=practice, body="Ok", parent=reply)
    assert nested.parent == top
    practice.refresh_from_db()
    assert practice.comment_count == 3


def test_deleting_a_comment_with_replies_lowers_the_count_and_never_below_zero(
    practice: Practice, charlie: Person, bob: Person
) -> None:
    top = services.comment_create(actor=charlie, practice=practice, body="How long?")
    services.comment_create(actor=bob, practice=practice, body="Two minutes", parent=top)
    other = services.comment_create(actor=bob, practice=practice, body="Nice")
    services.comment_delete(actor=charlie, comment=top)
    practice.refresh_from_db()
    assert practice.comment_count == 1
    # A count already wrong (rows written around the services) stays at zero, no error.
    Practice.objects.filter(pk=practice.pk).update(comment_count=0)
    services.comment_delete(actor=bob, comment=other)
    practice.refresh_from_db()
    assert practice.comment_count == 0


def test_reactions_are_idempotent_and_counted_once(practice: Practice, charlie: Person) -> None:
    for _ in range(2):
        services.reaction_set(actor=charlie, practice=practice, kind="helpful", on=True)
    practice.refresh_from_db()
    assert practice.helpful_count == 1
    services.reaction_set(actor=charlie, practice=practice, kind="helpful", on=False)
    practice.refresh_from_db()
    assert practice.helpful_count == 0


def test_stale_practices_are_flagged_to_their_owner_once(practice: Practice, alice: Person) -> None:
    import datetime

    services.practice_set_review(
        actor=alice, practice=practice, review_by=datetime.date(2020, 1, 1)
    )
    assert services.practices_flag_stale() == 1
    assert services.practices_flag_stale() == 0
    activity = Activity.objects.get(verb="practice.review_due")
    assert activity.payload["mentions"] == [alice.pk]


def test_superseding_points_readers_to_the_successor(practice: Practice, alice: Person) -> None:
    newer = services.practice_create(actor=alice, title="Torque check v2", steps="Use the app.")
    services.practice_supersede(actor=alice, practice=practice, successor=newer)
    practice.refresh_from_db()
    assert practice.status == PracticeStatus.SUPERSEDED
    assert practice.superseded_by == newer
    with pytest.raises(ValidationError):
        services.practice_supersede(actor=alice, practice=newer, successor=newer)


def test_sites_like_mine_are_those_that_adopted_the_same_practices(
    practice: Practice, charlie: Person
) -> None:
    from pollinate.practices.selectors import similar_sites

    twin = PersonFactory(site=SiteFactory(name="Twin", code="twin", country="JP"))
    stranger = SiteFactory(name="Stranger", code="stranger", country="BR")
    for person in (charlie, twin):
        services.adoption_record(
            actor=person, practice=practice, status="adopted", outcome=Outcome(positive=True)
        )
    assert twin.site.pk in similar_sites(site=charlie.site)
    assert stranger.pk not in similar_sites(site=charlie.site)
