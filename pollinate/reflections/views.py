from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pollinate.core.ratelimit import RateLimited, rate_limited_response
from pollinate.people.access import MemberRequest, member_required
from pollinate.reflections import services
from pollinate.reflections.access import access_reflection
from pollinate.reflections.forms import ReflectionForm
from pollinate.reflections.selectors import reflection_list


@require_GET
@member_required
def reflection_index(request: MemberRequest) -> HttpResponse:
    mine = request.GET.get("scope") == "mine"
    query = request.GET.get("q", "").strip()[:100]
    reflections = reflection_list(person=request.person, mine=mine, query=query)
    page = Paginator(reflections, 20).get_page(request.GET.get("page"))
    scope_query = f"scope={'mine' if mine else 'all'}&q={query}"
    context = {"page": page, "mine": mine, "q": query, "query": scope_query}
    return render(request, "reflections/list.html", context)


@require_http_methods(["GET", "POST"])
@member_required
def reflection_create(request: MemberRequest) -> HttpResponse:
    form = ReflectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            reflection = services.reflection_create(actor=request.person, **data)
        except RateLimited as limited:
            return rate_limited_response(request, limited.retry_after)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your reflection is saved."))
            return redirect(reflection)
    status = 400 if form.errors else 200
    return render(request, "reflections/form.html", {"form": form}, status=status)


@require_GET
@member_required
def reflection_detail(request: MemberRequest, reflection_id: int) -> HttpResponse:
    reflection = access_reflection(request.person, reflection_id)
    context = {"reflection": reflection, "is_mine": reflection.author_id == request.person.pk}
    return render(request, "reflections/detail.html", context)


@require_http_methods(["GET", "POST"])
@member_required
def reflection_edit(request: MemberRequest, reflection_id: int) -> HttpResponse:
    reflection = access_reflection(request.person, reflection_id, for_write=True)
    form = ReflectionForm(request.POST or None, instance=reflection)
    if request.method == "POST" and form.is_valid():
        try:
            services.reflection_update(
                actor=request.person, reflection=reflection, **dict(form.cleaned_data)
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your reflection is saved."))
            return redirect(reflection)
    status = 400 if form.errors else 200
    context = {"form": form, "reflection": reflection}
    return render(request, "reflections/form.html", context, status=status)


@require_POST
@member_required
def reflection_delete(request: MemberRequest, reflection_id: int) -> HttpResponse:
    reflection = access_reflection(request.person, reflection_id, for_write=True)
    services.reflection_delete(actor=request.person, reflection=reflection)
    messages.success(request, _("The reflection is deleted."))
    return redirect("reflections:list")


@require_POST
@member_required
def reflection_to_practice(request: MemberRequest, reflection_id: int) -> HttpResponse:
    reflection = access_reflection(request.person, reflection_id, for_write=True)
    try:
        services.reflection_to_practice(actor=request.person, reflection=reflection)
    except RateLimited as limited:
        return rate_limited_response(request, limited.retry_after)
    messages.success(request, _("A practice draft is ready. Finish it and share it when ready."))
    return redirect(reflection)
