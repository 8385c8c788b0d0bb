from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pollinate.activity.selectors import activity_list_for_site
from pollinate.people.access import MemberRequest, member_required
from pollinate.people.selectors import person_list_for_site


@require_GET
@member_required
def home(request: MemberRequest) -> HttpResponse:
    person = request.person
    context = {
        "person": person,
        "site_people": person_list_for_site(site=person.site).exclude(pk=person.pk)[:8],
        "site_activity": activity_list_for_site(site=person.site)[:10],
    }
    return render(request, "activity/home.html", context)
