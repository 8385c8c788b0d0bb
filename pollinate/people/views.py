from __future__ import annotations

import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from pollinate.activity.selectors import activity_list_for_person
from pollinate.activity.verbs import verb_phrase
from pollinate.core.ratelimit import rate_limit
from pollinate.people import services
from pollinate.people.access import (
    MemberRequest,
    access_person,
    access_site,
    access_topic,
    can_invite,
    member_required,
)
from pollinate.people.backends import MEMBER_BACKEND
from pollinate.people.forms import (
    DirectoryForm,
    InvitationForm,
    ProfileForm,
    SetPasswordForm,
    SkillForm,
)
from pollinate.people.models import LANGUAGE_NAMES, Person, Skill
from pollinate.people.selectors import (
    DirectoryFilters,
    person_list,
    site_summary,
    skill_rows,
    topic_descendant_ids,
)

PAGE_SIZE = 24


@require_GET
@member_required
def directory(request: MemberRequest) -> HttpResponse:
    form = DirectoryForm(request.GET or None)
    filters = DirectoryFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = DirectoryFilters(
            query=data["q"],
            site=data["site"],
            country=data["country"],
            topic=data["topic"],
            language=data["language"],
        )
    page = Paginator(person_list(filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    # The filters carried over to the other pages' links, without the current page number.
    query = request.GET.copy()
    query.pop("page", None)
    template = (
        "people/_partials/directory_results.html" if request.htmx else "people/directory.html"
    )
    return render(
        request,
        template,
        {"form": form, "page": page, "filters": filters, "query": query.urlencode()},
    )


@require_GET
@member_required
def person_detail(request: MemberRequest, person_id: int) -> HttpResponse:
    person = access_person(request.person, person_id)
    return render(
        request,
        "people/person_detail.html",
        {
            "profile": person,
            "skills": skill_rows(person=person),
            "languages": [LANGUAGE_NAMES.get(code, code) for code in person.languages],
            "is_me": person.pk == request.person.pk,
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def profile_edit(request: MemberRequest) -> HttpResponse:
    person = access_person(request.person, request.person.pk, for_write=True)
    # The form validates a copy: the service compares against the stored profile to know what
    # changed, and a rejected photo must leave the person untouched.
    form = ProfileForm(request.POST or None, request.FILES or None, instance=copy.copy(person))
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(
                actor=request.person,
                person=person,
                data=form.cleaned_data,
                photo=form.cleaned_data.get("photo"),
                clear_photo=form.cleaned_data["clear_photo"],
            )
        except ValidationError as error:
            form.add_error("photo", error)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("people:profile_edit")
    person.refresh_from_db()
    skills = Skill.objects.filter(person=person).select_related("topic")
    return render(
        request,
        "people/profile_edit.html",
        {"form": form, "skill_form": SkillForm(), "skills": skills, "profile": person},
        status=400 if form.errors else 200,
    )


@require_POST
@member_required
def skill_save(request: MemberRequest) -> HttpResponse:
    form = SkillForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a topic and a level."))
        return redirect("people:profile_edit")
    services.skill_set(
        actor=request.person,
        person=request.person,
        topic=form.cleaned_data["topic"],
        level=form.cleaned_data["level"],
    )
    messages.success(request, _("Skill saved."))
    return redirect("people:profile_edit")


@require_POST
@member_required
def skill_remove(request: MemberRequest, topic_id: int) -> HttpResponse:
    topic = access_topic(request.person, topic_id)
    services.skill_set(actor=request.person, person=request.person, topic=topic, level=None)
    messages.success(request, _("Skill removed."))
    return redirect("people:profile_edit")


@require_GET
@member_required
def site_detail(request: MemberRequest, code: str) -> HttpResponse:
    site = access_site(request.person, code)
    # The directory filtered by the site: its total and what they know in one cache read, then
    # one page of cards.
    total, knowledge = site_summary(site=site)
    people = Paginator(person_list(filters=DirectoryFilters(site=site), total=total), PAGE_SIZE)
    return render(
        request,
        "people/site_detail.html",
        {
            "site": site,
            "page": people.get_page(request.GET.get("page")),
            "knowledge": knowledge,
            "languages": [LANGUAGE_NAMES.get(code, code) for code in site.languages],
            "can_edit": request.person.has_role("site_lead", site),
        },
    )


@require_GET
@member_required
def topic_detail(request: MemberRequest, topic_id: int, slug: str = "") -> HttpResponse:
    topic = access_topic(request.person, topic_id)
    # Merged or renamed topics keep their old links working by redirecting to the current one.
    if topic.merged_into is not None:
        return redirect(topic.merged_into.get_absolute_url(), permanent=True)
    if slug != topic.slug:
        return redirect(topic.get_absolute_url(), permanent=True)
    ids = topic_descendant_ids(topic=topic)
    experts = (
        Person.objects.filter(skills__topic_id__in=ids, skills__level__gte=3, user__is_active=True)
        .select_related("site")
        .distinct()
        .order_by("display_name")[:24]
    )
    return render(
        request,
        "people/topic_detail.html",
        {"topic": topic, "experts": experts, "children": topic.children.filter(merged_into=None)},
    )


@require_GET
@member_required
def my_activity(request: MemberRequest) -> HttpResponse:
    page = Paginator(activity_list_for_person(person=request.person), 30).get_page(
        request.GET.get("page")
    )
    rows = [(activity, verb_phrase(activity.verb)) for activity in page]
    return render(request, "people/my_activity.html", {"page": page, "rows": rows})


@require_http_methods(["GET", "POST"])
@member_required
@rate_limit("invitation", limit=50, window=3600)
def invitation_create(request: MemberRequest) -> HttpResponse:
    if not can_invite(request.person):
        raise PermissionDenied
    form = InvitationForm(request.POST or None, initial={"site": request.person.site})
    if request.method == "POST" and form.is_valid():
        services.invitation_create(actor=request.person, **form.cleaned_data)
        messages.success(
            request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
        )
        return redirect("people:invitation_create")
    return render(
        request, "people/invitation_create.html", {"form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_get_usable(token=token)
    if invitation is None:
        return render(request, "people/invitation_invalid.html", status=404)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.invitation_accept(
                invitation=invitation, password=form.cleaned_data["password1"]
            )
        except ValueError:
            return render(request, "people/invitation_invalid.html", status=409)
        login(request, person.user, backend=MEMBER_BACKEND)
        messages.success(request, _("Welcome to Pollinate! Tell others what you know."))
        return redirect("people:profile_edit")
    return render(
        request,
        "people/invitation_accept.html",
        {"form": form, "invitation": invitation},
        status=400 if form.errors else 200,
    )


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switches the interface language; for a member it is remembered on their profile."""
    response = set_language(request)
    person = getattr(request, "person", None)
    code = request.POST.get("language", "")
    if person is not None and code in dict(settings.LANGUAGES):
        services.person_update(actor=person, person=person, data={"interface_language": code})
    return response
