from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pollinate.notifications import rules, services
from pollinate.notifications.access import access_notification
from pollinate.notifications.forms import PreferencesForm
from pollinate.notifications.selectors import notification_list, preference_map
from pollinate.people.access import MemberRequest, member_required

PAGE_SIZE = 30


@require_GET
@member_required
def inbox(request: MemberRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    notifications = notification_list(person=request.person, unread_only=unread_only)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        (item, rules.phrase(item.kind, item.actor.display_name if item.actor else ""))
        for item in page
    ]
    context = {
        "page": page,
        "rows": rows,
        "unread_only": unread_only,
        "query": "show=unread" if unread_only else "",
    }
    return render(request, "notifications/inbox.html", context)


@require_POST
@member_required
def notification_open(request: MemberRequest, notification_id: int) -> HttpResponse:
    notification = access_notification(request.person, notification_id, for_write=True)
    services.notification_mark_read(actor=request.person, notification=notification)
    if request.htmx:
        return HttpResponse(status=204)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:inbox")


@require_POST
@member_required
def mark_all_read(request: MemberRequest) -> HttpResponse:
    count = services.notification_mark_all_read(actor=request.person)
    messages.success(request, _("%(count)s notifications marked as read.") % {"count": count})
    return redirect("notifications:inbox")


@require_http_methods(["GET", "POST"])
@member_required
def preferences(request: MemberRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, current=preference_map(person=request.person))
    if request.method == "POST" and form.is_valid():
        services.preferences_save(actor=request.person, choices=form.cleaned_data)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    status = 400 if form.errors else 200
    return render(request, "notifications/preferences.html", {"form": form}, status=status)
