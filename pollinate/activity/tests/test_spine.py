from __future__ import annotations

import pytest
from django.db import transaction

from pollinate.activity.models import Activity
from pollinate.activity.services import activity_record
from pollinate.activity.spine import _subscribers, spine_subscribe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def received() -> list[Activity]:
    seen: list[Activity] = []

    def subscriber(activity: Activity) -> None:
        seen.append(activity)

    spine_subscribe("test.", subscriber)
    yield seen
    _subscribers.remove(("test.", subscriber))


def test_subscribers_hear_an_activity_only_after_its_transaction_commits(bob, received) -> None:
    with transaction.atomic():
        activity_record(actor=bob, verb="test.happened", target=bob)
        assert received == []
    assert [a.verb for a in received] == ["test.happened"]
    assert received[0].object_type == "people.person" and received[0].site == bob.site


def test_a_rolled_back_write_leaves_no_activity_and_notifies_nobody(bob, received) -> None:
    def failing_write() -> None:
        with transaction.atomic():
            activity_record(actor=bob, verb="test.happened", target=bob)
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        failing_write()
    assert received == []
    assert not Activity.objects.filter(verb="test.happened").exists()


def test_a_failing_subscriber_does_not_stop_the_others(bob, received) -> None:
    def broken(activity: Activity) -> None:
        raise ValueError("boom")

    spine_subscribe("test.", broken)
    try:
        with transaction.atomic():
            activity_record(actor=bob, verb="test.again", target=bob)
    finally:
        _subscribers.remove(("test.", broken))
    assert [a.verb for a in received] == ["test.again"]


def test_activities_are_append_only(bob) -> None:
    activity = activity_record(actor=bob, verb="test.kept", target=bob)
    activity.verb = "test.rewritten"
    with pytest.raises(TypeError):
        activity.save()
    with pytest.raises(TypeError):
        Activity.objects.filter(pk=activity.pk).update(verb="test.rewritten")
    assert Activity.objects.get(pk=activity.pk).verb == "test.kept"


def test_private_activity_stays_out_of_the_site_feed(bob) -> None:
    from pollinate.activity.selectors import activity_list_for_site

    activity_record(actor=bob, verb="test.public", target=bob)
    activity_record(actor=bob, verb="test.private", target=bob, is_public=False)
    assert [a.verb for a in activity_list_for_site(site=bob.site)] == ["test.public"]
