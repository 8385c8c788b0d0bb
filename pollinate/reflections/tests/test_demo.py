from __future__ import annotations

import pytest

from pollinate.activity.models import Activity
from pollinate.people.demo import org_generate
from pollinate.people.models import Person
from pollinate.reflections.demo import populate
from pollinate.reflections.models import Reflection, Visibility
from pollinate.reflections.selectors import reflection_list


@pytest.mark.django_db
def test_demo_reflections_have_every_visibility_and_private_ones_stay_private() -> None:
    org = org_generate(sites=4, members=80, seed=2, populate=False, scale={"reflections": 120})
    populate(org=org, rng=org.rng_for("reflections"))
    assert Reflection.objects.count() == 120
    assert set(Reflection.objects.values_list("visibility", flat=True)) == set(Visibility.values)
    assert set(Reflection.objects.values_list("kind", flat=True)) == {"aar", "lesson"}
    hidden = Reflection.objects.filter(visibility__in=[Visibility.PRIVATE, Visibility.TEAM])
    leaked = Activity.objects.filter(
        verb="reflection.written", object_id__in=hidden.values("pk"), is_public=True
    )
    assert not leaked.exists()
    private = Reflection.objects.filter(visibility=Visibility.PRIVATE).select_related("author")
    secret = private.first()
    assert secret is not None
    stranger = Person.objects.exclude(pk=secret.author_id).first()
    assert stranger is not None
    found = reflection_list(person=stranger, query=secret.title)
    assert secret.pk not in {r.pk for r in found}
    assert secret.pk in {r.pk for r in reflection_list(person=secret.author, query=secret.title)}
