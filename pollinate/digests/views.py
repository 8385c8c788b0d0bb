from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pollinate.digests.forms import PreferenceForm
from pollinate.digests.models import DigestKind, DigestSend
from pollinate.digests.services import (
    digest_next_at,
    digest_preview,
    preference_get,
    preference_update,
    unsubscribe,
    unsubscribe_token_read,
)
from pollinate.people.access import MemberRequest, member_required


def _local_label(when: datetime | None) -> str:
    # Formatted as the member's wall-clock time: the date filter would convert it to UTC.
    return date_format(when.replace(tzinfo=None), "l j F, H:i") if when else ""


def _preference_form(request: MemberRequest) -> PreferenceForm:
    pref = preference_get(request.person)
    wanted = [k for k in DigestKind.values if k not in pref.muted_kinds]
    return PreferenceForm(initial={"frequency": pref.frequency, "kinds": wanted})


@require_GET
@member_required
def home(request: MemberRequest) -> HttpResponse:
    """My digest as a web page (what is being gathered now), my preferences and past sends."""
    return render(
        request,
        "digests/home.html",
        {
            "digest": digest_preview(person=request.person),
            "next_at": _local_label(digest_next_at(person=request.person)),
            "time_zone": request.person.time_zone or "UTC",
            "form": _preference_form(request),
            "sends": DigestSend.objects.filter(person=request.person)[:10],
        },
    )


@require_POST
@member_required
def preferences(request: MemberRequest) -> HttpResponse:
    form = PreferenceForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "digests/home.html",
            {"digest": None, "form": form, "sends": []},
            status=400,
        )
    preference_update(
        actor=request.person,
        frequency=form.cleaned_data["frequency"],
        muted_kinds=form.muted_kinds(),
    )
    messages.success(request, _("Your digest preferences are saved."))
    return redirect("digests:home")


# The signed token is the authority here, not a session: mail clients send the RFC 8058 one-click
# POST without cookies, so CSRF protection cannot apply; the token only ever unsubscribes.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        _person_id, kind = unsubscribe_token_read(token)
    except signing.BadSignature:
        return render(request, "digests/unsubscribe_invalid.html", status=400)
    label = _("all digests") if kind == "all" else str(DigestKind(kind).label)
    if request.method == "GET":
        return render(request, "digests/unsubscribe.html", {"label": label, "done": False})
    try:
        unsubscribe(token=token)
    except signing.BadSignature:
        return render(request, "digests/unsubscribe_invalid.html", status=400)
    return render(request, "digests/unsubscribe.html", {"label": label, "done": True})
