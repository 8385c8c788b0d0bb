from __future__ import annotations

import difflib
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pollinate.activity.selectors import activity_list_for_site
from pollinate.core.compiled import compiled_models
from pollinate.core.process_caches import process_cache
from pollinate.core.ratelimit import RateLimited, rate_limited_response
from pollinate.people.access import MemberRequest, access_site, access_topic, member_required
from pollinate.people.models import Person, RoleName, Site
from pollinate.practices import selectors, services
from pollinate.practices.access import (
    access_comment,
    access_practice,
    access_practice_manage,
    access_revision,
    access_tag,
    can_edit,
    can_manage,
)
from pollinate.practices.forms import (
    AdaptForm,
    AdoptionForm,
    CommentForm,
    PhotoForm,
    PracticeForm,
    QuickCaptureForm,
    ReviewForm,
    SearchForm,
    SupersedeForm,
)
from pollinate.practices.models import (
    REVISION_FIELDS,
    Adoption,
    Follow,
    Practice,
    PracticeImage,
    PracticeRevision,
    ReactionKind,
    TagKind,
)
from pollinate.practices.qr import qr_absolute_url, qr_svg

PAGE_SIZE = 20
PROVENANCE_SHOWN = 20


class CountedPaginator(Paginator):
    """A paginator over ``practice_list`` whose total is ``practice_count`` (cached per filters)."""

    def __init__(
        self, object_list: Any, per_page: int, *, actor: Person, filters: selectors.PracticeFilters
    ) -> None:
        super().__init__(object_list, per_page)
        self.actor, self.filters = actor, filters

    @cached_property
    def count(self) -> int:
        return selectors.practice_count(actor=self.actor, filters=self.filters)


# ---------------------------------------------------------------------------------------------
# Lists, search, feed


@require_GET
@member_required
def home(request: MemberRequest) -> HttpResponse:
    """The home page: the practices feed, my site's adoptions, my practices, site activity."""
    person = request.person
    context = {
        "person": person,
        "feed": selectors.practice_feed(actor=person),
        "site_adoptions": selectors.adoptions_by_site(site=person.site),
        "my_practices": selectors.my_practices(actor=person),
        "review_due": selectors.review_due_links(actor=person),
        # What the rows show (activity_items): the actor's name and photo, not the whole profile.
        "site_activity": compiled_models(
            "practices:home-site-activity",
            lambda site_id: (
                activity_list_for_site(site=Site(pk=site_id))
                .select_related(None)
                .select_related("actor")
                .only("verb", "created_at", "actor__display_name", "actor__photo")[:10]
            ),
            site_id=person.site_id,
        ),
    }
    return render(request, "practices/home.html", context)


@require_GET
@member_required
def practice_list(request: MemberRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    filters = selectors.PracticeFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.PracticeFilters(
            query=data["q"].strip(),
            topic=data["topic"],
            tag=data["tag"],
            site=data["site"],
            country=data["country"],
            language=data["language"],
            status=data["status"],
        )
    people: list[Person] = []
    if filters.query:
        # Pages of ids: the cards come from the card cache (the practice_cards tag).
        results = selectors.practice_search_ids(actor=request.person, filters=filters)
        people = selectors.person_search(query=filters.query)
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        qs = selectors.practice_list_ids(actor=request.person, filters=filters)
        page = CountedPaginator(qs, PAGE_SIZE, actor=request.person, filters=filters).get_page(
            request.GET.get("page")
        )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "people": people,
        "query": query.urlencode(),
        "following_topic": filters.topic is not None
        and selectors.follow_state(actor=request.person, topic=filters.topic),
        "following_site": filters.site is not None
        and selectors.follow_state(actor=request.person, site=filters.site),
    }
    template = "practices/_partials/results.html" if request.htmx else "practices/list.html"
    return render(request, template, context)


@require_GET
@member_required
def feed_more(request: MemberRequest) -> HttpResponse:
    feed = selectors.practice_feed(actor=request.person, cursor=request.GET.get("cursor"))
    template = "practices/_partials/feed_page.html" if request.htmx else "practices/feed.html"
    return render(request, template, {"feed": feed})


@require_GET
@member_required
def mine(request: MemberRequest) -> HttpResponse:
    person = request.person
    authored = (
        Practice.objects.filter(authorships__person=person)
        .select_related("site")
        .order_by("-updated_at")
    )
    page = Paginator(authored, PAGE_SIZE).get_page(request.GET.get("page"))
    adoptions = Adoption.objects.filter(site=person.site).select_related(
        "practice", "practice__site", "recorded_by", "adaptation"
    )[:50]
    return render(
        request,
        "practices/mine.html",
        {
            "page": page,
            "adoptions": adoptions,
            "follows": Follow.objects.filter(person=person).select_related(
                "practice", "topic", "site"
            ),
            "review_due": selectors.practices_needing_review(actor=person),
        },
    )


# ---------------------------------------------------------------------------------------------
# Capture and edit


def _tags(form: PracticeForm) -> list[Any]:
    return [
        services.tag_get_or_create(name=name, kind=TagKind.EQUIPMENT) for name in form.tag_names()
    ]


@require_http_methods(["GET", "POST"])
@member_required
def practice_capture(request: MemberRequest) -> HttpResponse:
    """Quick capture for phones: a title, what we do and a photo; the rest can come later."""
    form = QuickCaptureForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        photo = data.get("photo")
        try:
            practice = services.practice_create(
                actor=request.person,
                title=data["title"],
                steps=data["steps"],
                images=[photo] if photo else [],
                share=data["share"],
            )
        except ValidationError as error:
            form.add_error("photo" if photo else None, error)
        except RateLimited as limited:
            return rate_limited_response(request, limited.retry_after)
        else:
            messages.success(request, _("Captured. Add the problem and results when you can."))
            return redirect(practice)
    return render(
        request, "practices/capture.html", {"form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@member_required
def practice_create(request: MemberRequest) -> HttpResponse:
    person = request.person
    initial = {"language": person.languages[0] if person.languages else "en"}
    form = PracticeForm(request.POST or None, initial=initial)
    photo_form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        photo = request.FILES.get("photo")
        try:
            practice = services.practice_create(
                actor=person,
                **{field: data[field] for field in REVISION_FIELDS},
                topics=data["topics"],
                tags=_tags(form),
                images=[photo] if photo else [],
                share=request.POST.get("action") != "draft",
            )
        except ValidationError as error:
            form.add_error(None, error)
        except RateLimited as limited:
            return rate_limited_response(request, limited.retry_after)
        else:
            messages.success(request, _("Your practice is saved."))
            return redirect(practice)
    return render(
        request,
        "practices/form.html",
        {"form": form, "photo_form": photo_form, "creating": True},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@member_required
def practice_edit(request: MemberRequest, practice_id: int) -> HttpResponse:
    practice = access_practice(request.person, practice_id, for_write=True)
    initial = {field: getattr(practice, field) for field in REVISION_FIELDS}
    initial.update(
        topics=list(practice.topics.all()),
        tags=", ".join(practice.tags.values_list("name", flat=True)),
        version=practice.version,
    )
    form = PracticeForm(request.POST or None, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.practice_update(
                actor=request.person,
                practice=practice,
                data=data,
                base_version=data["version"] or 0,
                summary=data["summary"],
                topics=data["topics"],
                tags=_tags(form),
            )
        except services.PracticeConflict as error:
            conflict = _conflict_context(practice, data, error.latest)
            # The next save is made against what is now stored; their text stays in the form.
            fresh = request.POST.copy()
            fresh["version"] = str(Practice.objects.get(pk=practice.pk).version)
            form.data = fresh
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved. The previous version is kept in the history."))
            return redirect(practice)
    return render(
        request,
        "practices/form.html",
        {"form": form, "practice": practice, "conflict": conflict},
        status=409 if conflict else 400 if form.errors else 200,
    )


def _diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """(kind, line) pairs with kind in {"same", "add", "del"}; for templates, no inline styles."""
    lines = []
    for line in difflib.ndiff(str(old or "").splitlines(), str(new or "").splitlines()):
        code, text = line[:2], line[2:]
        if code == "? ":
            continue
        lines.append(({"+ ": "add", "- ": "del"}.get(code, "same"), text))
    return lines


def _field_diffs(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    labels = {name: str(field.label) for name, field in PracticeForm.base_fields.items()}
    return [
        (labels.get(field, field), _diff_lines(old.get(field, ""), new.get(field, "")))
        for field in REVISION_FIELDS
        if (old.get(field) or "") != (new.get(field) or "")
    ]


def _conflict_context(
    practice: Practice, mine: dict[str, Any], latest: PracticeRevision | None
) -> dict[str, Any]:
    stored = latest.data if latest else {}
    return {"latest": latest, "diffs": _field_diffs(stored, mine)}


# ---------------------------------------------------------------------------------------------
# The practice page


# The body of a practice page (text, photos, topics, tags) is the same for every viewer of a
# language: rendered once per process and version, it costs a cache read instead of three queries
# and the template. Editors get it rendered live: theirs carries photo removal forms (CSRF tokens).
# Keyed by version and updated_at (edits, topics, tags and photos move it); the TTL bounds what no
# stamp sees (a topic or tag renamed). Per process, so a page view never writes to the cache.
BODY_TTL = 600
body_cache = process_cache("pollinate-practice-bodies", timeout=BODY_TTL, max_entries=500)


def _practice_body(
    request: MemberRequest, practice: Practice, *, editor: bool
) -> tuple[SafeString, SafeString]:
    key = (
        f"practices:body:{get_language()}:{practice.pk}:{practice.version}:"
        f"{practice.updated_at.timestamp()}"
    )
    cached = None if editor else body_cache.get(key)
    if cached is not None:
        return cached
    context = {
        "practice": practice,
        "can_edit": editor,
        "images": list(practice.images.all()),
        "topics": list(practice.topics.all()),
        "tags": list(practice.tags.all()),
    }
    fragments = (
        mark_safe(render_to_string("practices/_partials/body.html", context, request=request)),  # noqa: S308 -- a template's output
        mark_safe(render_to_string("practices/_partials/chips.html", context)),  # noqa: S308 -- a template's output
    )
    if not editor:
        body_cache.set(key, fragments, BODY_TTL)
    return fragments


@require_GET
@member_required
def practice_detail(request: MemberRequest, practice_id: int) -> HttpResponse:
    person = request.person
    practice = access_practice(person, practice_id)
    every_site = request.GET.get("adoptions") == "all"
    provenance = selectors.practice_provenance(
        actor=person, practice=practice, shown=None if every_site else PROVENANCE_SHOWN
    )
    everything = request.GET.get("comments") == "all"
    editor, manager = can_edit(person, practice), can_manage(person, practice)
    body, chips = _practice_body(request, practice, editor=editor)
    context = {
        "practice": practice,
        "body": body,
        "chips": chips,
        "provenance": provenance,
        # The latest few on the page (a widely adopted practice has a hundred); all on request.
        "descendants_shown": provenance.descendants
        if every_site
        else provenance.descendants[:PROVENANCE_SHOWN],
        "provenance_truncated": not every_site
        and (provenance.truncated or len(provenance.descendants) > PROVENANCE_SHOWN),
        "like_mine": provenance.like_mine,
        "my_adoption": provenance.mine,
        "comments": selectors.comment_tree(practice=practice, limit=None if everything else 30),
        "all_comments": everything,
        "comment_form": CommentForm(),
        "reactions": selectors.reactions_of(actor=person, practice=practice),
        "following": selectors.follow_state(actor=person, practice=practice),
        "can_edit": editor,
        "can_manage": manager,
        "is_origin_site": practice.site_id == person.site_id,
        "authors": compiled_models(
            "practices:practice-authors",
            lambda practice_id: Person.objects.filter(
                authored_practices=practice_id
            ).select_related("site"),
            practice_id=practice.pk,
        ),
        # The editing forms only for those who see them (building them costs a query or two).
        "photo_form": PhotoForm() if editor else None,
        "review_form": ReviewForm(
            initial={"review_by": practice.review_by, "owner": practice.owner_id},
            practice=practice,
        )
        if manager
        else None,
        "supersede_form": SupersedeForm() if manager else None,
        "reaction_kinds": ReactionKind,
    }
    return render(request, "practices/detail.html", context)


@require_GET
@member_required
def practice_history(request: MemberRequest, practice_id: int) -> HttpResponse:
    practice = access_practice(request.person, practice_id)
    revisions = Paginator(practice.revisions.select_related("editor"), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "practices/history.html",
        {"practice": practice, "page": revisions, "can_edit": can_edit(request.person, practice)},
    )


@require_GET
@member_required
def revision_detail(request: MemberRequest, practice_id: int, number: int) -> HttpResponse:
    revision = access_revision(request.person, practice_id, number)
    previous = (
        PracticeRevision.objects.filter(practice_id=practice_id, number__lt=number)
        .order_by("-number")
        .first()
    )
    return render(
        request,
        "practices/revision.html",
        {
            "practice": revision.practice,
            "revision": revision,
            "previous": previous,
            "diffs": _field_diffs(previous.data if previous else {}, revision.data),
            "can_edit": can_edit(request.person, revision.practice),
        },
    )


@require_POST
@member_required
def revision_restore(request: MemberRequest, practice_id: int, number: int) -> HttpResponse:
    practice = access_practice(request.person, practice_id, for_write=True)
    revision = access_revision(request.person, practice_id, number)
    try:
        base = int(request.POST.get("version", ""))
    except ValueError:
        base = practice.version
    try:
        services.practice_restore(
            actor=request.person, practice=practice, revision=revision, base_version=base
        )
    except services.PracticeConflict:
        messages.error(request, _("Someone changed this practice meanwhile; check and try again."))
        return redirect("practices:history", practice.pk)
    messages.success(request, _("Revision %(number)s restored.") % {"number": number})
    return redirect(practice)


# ---------------------------------------------------------------------------------------------
# Lifecycle


@require_POST
@member_required
def practice_lifecycle(request: MemberRequest, practice_id: int, action: str) -> HttpResponse:
    practice = access_practice_manage(request.person, practice_id)
    actor = request.person
    try:
        if action == "share":
            services.practice_share(actor=actor, practice=practice)
            messages.success(request, _("Shared with every site."))
        elif action == "retire":
            services.practice_retire(
                actor=actor, practice=practice, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Retired. It stays readable, marked as retired."))
        elif action == "reactivate":
            services.practice_reactivate(actor=actor, practice=practice)
            messages.success(request, _("It is current again."))
        elif action == "supersede":
            form = SupersedeForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Give the number of the newer practice."))
                return redirect(practice)
            successor = access_practice(actor, form.cleaned_data["successor"])
            services.practice_supersede(actor=actor, practice=practice, successor=successor)
            messages.success(request, _("Readers are now pointed to the newer practice."))
        elif action == "review":
            review = ReviewForm(request.POST, practice=practice)
            if not review.is_valid():
                messages.error(request, _("Choose a valid date and one of the authors."))
                return redirect(practice)
            services.practice_set_review(
                actor=actor,
                practice=practice,
                review_by=review.cleaned_data["review_by"],
                owner=review.cleaned_data["owner"],
            )
            messages.success(request, _("Review date saved."))
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(practice)


@require_POST
@member_required
def photo_add(request: MemberRequest, practice_id: int) -> HttpResponse:
    practice = access_practice(request.person, practice_id, for_write=True)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.practice_image_add(
                actor=request.person,
                practice=practice,
                upload=form.cleaned_data["photo"],
                caption=form.cleaned_data["caption"],
            )
        except ValidationError as error:
            form.add_error("photo", error)
    if form.errors:
        errors = [str(e) for errors in form.errors.values() for e in errors]
        messages.error(request, " ".join(errors))
        response = redirect(practice)
        response.status_code = 303
        return response
    messages.success(request, _("Photo added."))
    return redirect(practice)


@require_POST
@member_required
def photo_remove(request: MemberRequest, practice_id: int, image_id: int) -> HttpResponse:
    practice = access_practice(request.person, practice_id, for_write=True)
    image = PracticeImage.objects.filter(practice=practice, pk=image_id).first()
    if image is None:
        raise Http404
    services.practice_image_remove(actor=request.person, image=image)
    messages.success(request, _("Photo removed."))
    return redirect(practice)


# ---------------------------------------------------------------------------------------------
# Adoption and adaptation


def _outcome(data: dict[str, Any]) -> services.Outcome:
    return services.Outcome(
        text=data.get("outcome") or "",
        positive=data.get("outcome_positive"),
        metric_unit=data.get("metric_unit") or "",
        metric_before=data.get("metric_before"),
        metric_after=data.get("metric_after"),
        happened_on=data.get("happened_on"),
        reason=data.get("reason") or "",
    )


@require_http_methods(["GET", "POST"])
@member_required
def adoption_record(request: MemberRequest, practice_id: int) -> HttpResponse:
    practice = access_practice(request.person, practice_id)
    current = Adoption.objects.filter(practice=practice, site=request.person.site).first()
    initial: dict[str, Any] = {}
    if current is not None:
        initial = {
            "status": current.status,
            "outcome": current.outcome,
            "reason": current.reason,
            "outcome_positive": {True: "yes", False: "no", None: ""}[current.outcome_positive],
            "metric_unit": current.metric_unit,
            "metric_before": current.metric_before,
            "metric_after": current.metric_after,
            "happened_on": current.happened_on,
        }
    form = AdoptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.adoption_record(
                actor=request.person,
                practice=practice,
                status=form.cleaned_data["status"],
                outcome=_outcome(form.cleaned_data),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Recorded for your site. Thank you for telling others."))
            return redirect(practice)
    return render(
        request,
        "practices/adopt.html",
        {"practice": practice, "form": form, "current": current},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@member_required
def practice_adapt(request: MemberRequest, practice_id: int) -> HttpResponse:
    source = access_practice(request.person, practice_id)
    initial = {
        "title": _("%(title)s (%(site)s)")
        % {"title": source.title, "site": request.person.site.name},
        "steps": source.steps,
    }
    form = AdaptForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            adapted = services.practice_adapt(
                actor=request.person,
                source=source,
                title=data["title"],
                adaptation_note=data["adaptation_note"],
                steps=data["steps"],
                outcome=_outcome(data),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Your site's version is shared and linked to the original.")
            )
            return redirect(adapted)
    return render(
        request,
        "practices/adapt.html",
        {"practice": source, "form": form},
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------------------------------------
# Conversation


@require_POST
@member_required
def comment_create(request: MemberRequest, practice_id: int) -> HttpResponse:
    practice = access_practice(request.person, practice_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write something first."))
        return redirect(f"{practice.get_absolute_url()}#comments")
    parent = None
    if form.cleaned_data["parent"]:
        parent = access_comment(request.person, form.cleaned_data["parent"])
    try:
        comment = services.comment_create(
            actor=request.person, practice=practice, body=form.cleaned_data["body"], parent=parent
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(f"{practice.get_absolute_url()}#comments")
    except RateLimited as limited:
        return rate_limited_response(request, limited.retry_after)
    return redirect(f"{practice.get_absolute_url()}#comment-{comment.pk}")


@require_POST
@member_required
def comment_delete(request: MemberRequest, comment_id: int) -> HttpResponse:
    comment = access_comment(request.person, comment_id, for_write=True)
    practice = comment.practice
    services.comment_delete(actor=request.person, comment=comment)
    messages.success(request, _("Comment removed."))
    return redirect(f"{practice.get_absolute_url()}#comments")


@require_POST
@member_required
def reaction_toggle(request: MemberRequest, practice_id: int, kind: str) -> HttpResponse:
    practice = access_practice(request.person, practice_id)
    if kind not in ReactionKind.values:
        raise Http404
    on = request.POST.get("on") == "1"
    services.reaction_set(actor=request.person, practice=practice, kind=kind, on=on)
    if request.htmx:
        practice.refresh_from_db()
        return render(
            request,
            "practices/_partials/reactions.html",
            {
                "practice": practice,
                "reactions": selectors.reactions_of(actor=request.person, practice=practice),
            },
        )
    return redirect(practice)


@require_POST
@member_required
def follow_toggle(request: MemberRequest, kind: str, object_id: str) -> HttpResponse:
    actor = request.person
    on = request.POST.get("on") == "1"
    target: Any
    if kind == "practice":
        target = access_practice(actor, int(object_id))
    elif kind == "topic":
        target = access_topic(actor, int(object_id))
    elif kind == "site":
        target = access_site(actor, object_id)
    else:
        raise Http404
    services.follow_set(actor=actor, on=on, **{kind: target})
    if request.htmx:
        return render(
            request,
            "practices/_partials/follow_button.html",
            {"kind": kind, "object_id": object_id, "following": on, "label": str(target)},
        )
    messages.success(request, _("Following.") if on else _("No longer following."))
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    return redirect(target.get_absolute_url())


# ---------------------------------------------------------------------------------------------
# QR codes and tags


def _svg(path: str) -> HttpResponse:
    return HttpResponse(qr_svg(path), content_type="image/svg+xml")


@require_GET
@member_required
@cache_control(private=True, max_age=3600)
def practice_qr(request: MemberRequest, practice_id: int) -> HttpResponse:
    practice = access_practice(request.person, practice_id)
    return _svg(practice.get_absolute_url())


@require_GET
@member_required
@cache_control(private=True, max_age=3600)
def topic_qr(request: MemberRequest, topic_id: int) -> HttpResponse:
    topic = access_topic(request.person, topic_id)
    return _svg(f"{reverse('practices:list')}?topic={topic.pk}")


@require_GET
@member_required
@cache_control(private=True, max_age=3600)
def tag_qr(request: MemberRequest, slug: str) -> HttpResponse:
    return _svg(access_tag(request.person, slug).get_absolute_url())


@require_GET
@member_required
def tag_detail(request: MemberRequest, slug: str) -> HttpResponse:
    tag = access_tag(request.person, slug)
    filters = selectors.PracticeFilters(tag=tag)
    page = CountedPaginator(
        selectors.practice_list_ids(actor=request.person, filters=filters),
        PAGE_SIZE,
        actor=request.person,
        filters=filters,
    )
    return render(
        request,
        "practices/tag.html",
        {
            "tag": tag,
            "page": page.get_page(request.GET.get("page")),
            "qr_url": qr_absolute_url(tag.get_absolute_url()),
        },
    )


@require_GET
@member_required
def site_qr_sheet(request: MemberRequest, code: str) -> HttpResponse:
    """A printable sheet of QR codes: the site's live practices and the equipment they use."""
    site = access_site(request.person, code)
    practices = list(
        Practice.objects.live().filter(site=site).order_by("title").prefetch_related("tags")[:60]
    )
    tags = sorted({tag for practice in practices for tag in practice.tags.all()}, key=str)
    return render(
        request,
        "practices/qr_sheet.html",
        {
            "site": site,
            "practices": practices,
            "tags": tags,
            "is_lead": request.person.has_role(RoleName.SITE_LEAD, site),
        },
    )


@require_GET
@member_required
def practice_print(request: MemberRequest, practice_id: int) -> HttpResponse:
    practice = access_practice(request.person, practice_id)
    return render(
        request,
        "practices/print.html",
        {"practice": practice, "url": qr_absolute_url(practice.get_absolute_url())},
    )
