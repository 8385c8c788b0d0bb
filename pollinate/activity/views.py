from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pollinate.activity.selectors import activity_list_for_site
from pollinate.people.access import MemberRequest, member_required
from pollinate.practices import selectors as practice_selectors


@require_GET
@member_required
def home(request: MemberRequest) -> HttpResponse:
    """The practices feed, with my site's adoptions, my practices and site activity alongside."""
    person = request.person
    context = {
        "person": person,
        "feed": practice_selectors.practice_feed(actor=person),
        "site_adoptions": practice_selectors.adoptions_by_site(site=person.site),
        "my_practices": practice_selectors.my_practices(actor=person),
        "review_due": practice_selectors.practices_needing_review(actor=person)[:5],
        "site_activity": activity_list_for_site(site=person.site)[:10],
    }
    return render(request, "activity/home.html", context)
