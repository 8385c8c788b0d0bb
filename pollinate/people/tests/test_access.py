from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from pollinate.people.access import access_person, access_site, access_topic
from pollinate.people.tests.factories import TopicFactory

pytestmark = pytest.mark.django_db


def test_a_member_may_see_but_not_change_another_person(bob, charlie) -> None:
    assert access_person(bob, charlie.pk) == charlie
    with pytest.raises(PermissionDenied):
        access_person(bob, charlie.pk, for_write=True)


def test_a_member_may_change_their_own_profile(bob) -> None:
    assert access_person(bob, bob.pk, for_write=True) == bob


def test_an_administrator_may_change_anyone(admin, charlie) -> None:
    assert access_person(admin, charlie.pk, for_write=True) == charlie


def test_an_unknown_person_is_a_404(bob) -> None:
    with pytest.raises(Http404):
        access_person(bob, 10**9)


def test_a_site_lead_may_change_only_their_own_site(alice, site_a, site_b) -> None:
    assert access_site(alice, "lyon", for_write=True) == site_a
    with pytest.raises(PermissionDenied):
        access_site(alice, "porto", for_write=True)


def test_a_member_may_not_change_their_site(bob, site_a) -> None:
    assert access_site(bob, "lyon") == site_a
    with pytest.raises(PermissionDenied):
        access_site(bob, "lyon", for_write=True)


def test_only_editors_may_change_topics(bob, editor) -> None:
    topic = TopicFactory()
    assert access_topic(bob, topic.pk) == topic
    with pytest.raises(PermissionDenied):
        access_topic(bob, topic.pk, for_write=True)
    assert access_topic(editor, topic.pk, for_write=True) == topic


def test_granting_the_administrator_role_opens_the_admin(bob, admin) -> None:
    from pollinate.people.services import role_grant

    role_grant(actor=admin, person=bob, role="administrator", site=None)
    bob.user.refresh_from_db()
    assert bob.user.is_staff
    assert bob.is_administrator
