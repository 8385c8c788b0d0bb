from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pollinate.core.markdown import render_markdown
from pollinate.curation import selectors, services
from pollinate.curation.access import (
    access_collection,
    access_collection_edition,
    access_item,
    is_editor,
    is_site_lead,
)
from pollinate.curation.feeds import feed_key
from pollinate.curation.forms import CollectionForm, EpisodeForm, ItemForm, PickerForm
from pollinate.curation.models import Episode, ItemKind
from pollinate.people.access import MemberRequest, access_topic, member_required


@require_GET
@member_required
def collection_list(request: MemberRequest) -> HttpResponse:
    topic = None
    topic_id = request.GET.get("topic", "")
    if topic_id.isdigit():
        topic = access_topic(request.person, int(topic_id))
    page = Paginator(selectors.collection_list(actor=request.person, topic=topic), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "curation/list.html",
        {
            "page": page,
            "topic": topic,
            "followed": selectors.collection_followed_ids(actor=request.person),
            "news": selectors.episodes_new_for_follower(actor=request.person),
            "can_edit": is_editor(request.person),
            "feed_key": feed_key(request.person),
            "topic_query": f"topic={topic.pk}" if topic else "",
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def collection_create(request: MemberRequest) -> HttpResponse:
    if not is_editor(request.person):
        raise PermissionDenied
    form = CollectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        collection = services.collection_create(
            actor=request.person,
            title=form.cleaned_data["title"],
            introduction=form.cleaned_data["introduction"],
            topics=form.cleaned_data["topics"],
            publish_at=form.cleaned_data["publish_at"],
        )
        messages.success(request, _("Collection created. Add its first episode."))
        return redirect(collection)
    status = 400 if request.method == "POST" else 200
    return render(request, "curation/form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@member_required
def collection_edit(request: MemberRequest, collection_id: int) -> HttpResponse:
    collection = access_collection(request.person, collection_id, for_write=True)
    form = CollectionForm(request.POST or None, instance=collection)
    if request.method == "POST" and form.is_valid():
        services.collection_update(
            actor=request.person,
            collection=collection,
            title=form.cleaned_data["title"],
            introduction=form.cleaned_data["introduction"],
            topics=form.cleaned_data["topics"],
            publish_at=form.cleaned_data["publish_at"],
        )
        messages.success(request, _("Collection saved."))
        return redirect(collection)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "curation/form.html", {"form": form, "collection": collection}, status=status
    )


def _detail_context(request: MemberRequest, collection_id: int) -> dict[str, object]:
    person = request.person
    collection = access_collection(person, collection_id)
    return {
        "collection": collection,
        "introduction": render_markdown(collection.introduction),
        "episodes": selectors.episodes_with_items(actor=person, collection=collection),
        "following": collection.pk in selectors.collection_followed_ids(actor=person),
        "can_edit": is_editor(person),
        "can_add_local": is_site_lead(person) and not is_editor(person),
        "episode_form": EpisodeForm(),
        "item_form": ItemForm(),
        "picker_form": PickerForm(),
        "candidates": None,  # the picker shows results once the editor searches
        "feed_key": feed_key(person),
        "kinds_missing": [
            label
            for kind, label in ItemKind.choices
            if kind != "link" and not services.target_available(kind)
        ],
    }


@require_GET
@member_required
def collection_detail(request: MemberRequest, collection_id: int) -> HttpResponse:
    return render(request, "curation/detail.html", _detail_context(request, collection_id))


@require_POST
@member_required
def collection_follow(request: MemberRequest, collection_id: int) -> HttpResponse:
    collection = access_collection(request.person, collection_id)
    following = services.collection_follow(
        actor=request.person, collection=collection, follow=request.POST.get("follow") != "0"
    )
    if request.htmx:
        return render(
            request,
            "curation/_partials/follow.html",
            {"collection": collection, "following": following},
        )
    return redirect(collection)


@require_POST
@member_required
def episode_create(request: MemberRequest, collection_id: int) -> HttpResponse:
    collection = access_collection(request.person, collection_id, for_write=True)
    form = EpisodeForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, collection_id)
        context["episode_form"] = form
        return render(request, "curation/detail.html", context, status=400)
    episode = services.episode_create(
        actor=request.person, collection=collection, **form.cleaned_data
    )
    messages.success(request, _("Episode %(n)d added.") % {"n": episode.number})
    return redirect(reverse("curation:detail", args=[collection.pk]) + f"#episode-{episode.number}")


def _episode(request: MemberRequest, collection_id: int, number: int, *, edition: bool) -> Episode:
    if edition:
        collection = access_collection_edition(request.person, collection_id)
    else:
        collection = access_collection(request.person, collection_id, for_write=True)
    return get_object_or_404(Episode, collection=collection, number=number)


@require_POST
@member_required
def episode_publish(request: MemberRequest, collection_id: int, number: int) -> HttpResponse:
    episode = _episode(request, collection_id, number, edition=False)
    services.episode_publish(actor=request.person, episode=episode)
    messages.success(request, _("Episode published; followers will see it."))
    return redirect(episode.get_absolute_url())


@require_POST
@member_required
def item_create(request: MemberRequest, collection_id: int, number: int) -> HttpResponse:
    """Editors add to the shared series; a site lead adds a local item to their site's edition."""
    editor = is_editor(request.person)
    episode = _episode(request, collection_id, number, edition=not editor)
    form = ItemForm(request.POST)
    if form.is_valid():
        try:
            services.item_add(
                actor=request.person,
                episode=episode,
                edition_site=None if editor else request.person.site,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
    if not form.is_valid() or form.errors:
        context = _detail_context(request, collection_id)
        context["item_form"] = form
        context["item_form_episode"] = episode.number
        return render(request, "curation/detail.html", context, status=400)
    messages.success(request, _("Item added."))
    return redirect(episode.get_absolute_url())


@require_GET
@member_required
def item_pick(request: MemberRequest, collection_id: int, number: int) -> HttpResponse:
    """Search-as-you-type for what to add to an episode: the results alone for htmx, the whole
    add-an-item page otherwise (a plain search form without JavaScript)."""
    editor = is_editor(request.person)
    episode = _episode(request, collection_id, number, edition=not editor)
    form = PickerForm(request.GET or None)
    kind, query = ItemKind.PRACTICE.value, ""
    if form.is_valid():
        kind, query = form.cleaned_data["kind"], form.cleaned_data["q"].strip()
    context = {
        "collection": episode.collection,
        "episode": episode,
        "picker_form": form if form.is_bound else PickerForm(),
        "candidates": selectors.item_candidates(
            actor=request.person, kind=kind, query=query, exclude_collection_id=collection_id
        ),
        "query": query,
        "kind_label": ItemKind(kind).label,
        "local": not editor,
        "item_form": ItemForm(),
    }
    template = "curation/_partials/picker_results.html" if request.htmx else "curation/pick.html"
    return render(request, template, context)


@require_POST
@member_required
def item_move(request: MemberRequest, item_id: int) -> HttpResponse:
    item = access_item(request.person, item_id, for_write=True)
    services.item_move(
        actor=request.person, item=item, offset=-1 if request.POST.get("direction") == "up" else 1
    )
    return redirect(item.episode.get_absolute_url())


@require_POST
@member_required
def item_remove(request: MemberRequest, item_id: int) -> HttpResponse:
    item = access_item(request.person, item_id, for_write=True)
    url = item.episode.get_absolute_url()
    services.item_remove(actor=request.person, item=item)
    messages.success(request, _("Item removed."))
    return redirect(url)
