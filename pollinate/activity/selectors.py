from __future__ import annotations

from django.db.models import QuerySet

from pollinate.activity.models import Activity
from pollinate.people.models import Person, Site


def activity_list_for_person(*, person: Person) -> QuerySet[Activity]:
    return Activity.objects.filter(actor=person).select_related("site")


def activity_list_for_site(*, site: Site) -> QuerySet[Activity]:
    """Public activity at a site, newest first."""
    return Activity.objects.filter(site=site, is_public=True).select_related("actor", "actor__site")
