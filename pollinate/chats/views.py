"""Pages of live chats: list, detail with RSVP, the live room, transcript, exports, calendars."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pollinate.chats import services
from pollinate.chats.access import access_chat, access_chat_message, can_moderate, is_host
from pollinate.chats.export import transcript_html, transcript_markdown
from pollinate.chats.forms import ChatForm, CollectForm, InviteForm, MessageForm, RsvpForm
from pollinate.chats.ical import chats_to_ical, feed_person, feed_token
from pollinate.chats.models import Chat, ChatVisibility
from pollinate.chats.selectors import (
    chat_list,
    chat_messages_after,
    chat_transcript,
    chat_upcoming_for_feed,
    message_event,
    participant_get,
    room_state,
)
from pollinate.people.access import MemberRequest, member_required


@require_GET
@member_required
def chat_list_view(request: MemberRequest) -> HttpResponse:
    when = "past" if request.GET.get("when") == "past" else "upcoming"
    page = Paginator(chat_list(actor=request.person, when=when), 20).get_page(
        request.GET.get("page")
    )
    feed_url = request.build_absolute_uri(reverse("chats:feed", args=[feed_token(request.person)]))
    return render(
        request,
        "chats/list.html",
        {"page": page, "when": when, "query": f"when={when}", "feed_url": feed_url},
    )


def _chat_kwargs(form: ChatForm) -> dict[str, object]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "description": data["description"],
        "starts_at": data["starts_at"],
        "ends_at": data["starts_at"] + timedelta(minutes=data["duration"]),
        "language": data["language"],
        "visibility": data["visibility"],
        "topics": list(data["topics"]),
        "prompts": data["prompts"],
    }


@require_http_methods(["GET", "POST"])
@member_required
def chat_create_view(request: MemberRequest) -> HttpResponse:
    with timezone.override(request.person.time_zone):
        form = ChatForm(
            request.POST or None, initial={"language": (request.person.languages or ["en"])[0]}
        )
        if request.method == "POST" and form.is_valid():
            chat = services.chat_create(actor=request.person, **_chat_kwargs(form))  # type: ignore[arg-type]
            messages.success(request, _("Your chat is scheduled."))
            return redirect(chat)
        status = 400 if request.method == "POST" else 200
        return render(request, "chats/form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@member_required
def chat_edit_view(request: MemberRequest, chat_id: int) -> HttpResponse:
    chat = access_chat(request.person, chat_id, for_write=True)
    with timezone.override(request.person.time_zone):
        form = ChatForm(request.POST or None, initial=ChatForm.initial_for(chat))
        if request.method == "POST" and form.is_valid():
            services.chat_update(actor=request.person, chat=chat, **_chat_kwargs(form))  # type: ignore[arg-type]
            messages.success(request, _("Saved."))
            return redirect(chat)
        status = 400 if request.method == "POST" else 200
        return render(request, "chats/form.html", {"form": form, "chat": chat}, status=status)


@require_GET
@member_required
def chat_detail_view(request: MemberRequest, chat_id: int) -> HttpResponse:
    chat = access_chat(request.person, chat_id)
    hosting = is_host(request.person, chat)
    context = {
        "chat": chat,
        "hosts": chat.hosts.select_related("site"),
        "topics": chat.topics.all(),
        "prompts": chat.prompts.all(),
        "participant": participant_get(chat=chat, person=request.person),
        "going": chat.participants.filter(rsvp="going").count(),
        "is_host": hosting,
        "invite_form": InviteForm() if hosting else None,
    }
    return render(request, "chats/detail.html", context)


@require_POST
@member_required
def chat_rsvp_view(request: MemberRequest, chat_id: int) -> HttpResponse:
    chat = access_chat(request.person, chat_id)
    form = RsvpForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose going, maybe or not going."), status=400)
    try:
        services.chat_rsvp(actor=request.person, chat=chat, rsvp=form.cleaned_data["rsvp"])
    except services.ChatError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your answer is saved."))
    return redirect(chat)


@require_POST
@member_required
def chat_invite_view(request: MemberRequest, chat_id: int) -> HttpResponse:
    chat = access_chat(request.person, chat_id, for_write=True)
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("people", [])))
        return redirect(chat)
    count = services.chat_invite(
        actor=request.person, chat=chat, people=list(form.cleaned_data["people"])
    )
    messages.success(request, _("%(count)s people invited.") % {"count": count})
    return redirect(chat)


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_GET
@member_required
def chat_ics_view(request: MemberRequest, chat_id: int) -> HttpResponse:
    chat = access_chat(request.person, chat_id)
    return _ics_response(
        chats_to_ical([chat], name=chat.title), f"{slugify(chat.title) or 'chat'}.ics"
    )


@require_GET
def chat_feed_view(request: MemberRequest, token: str) -> HttpResponse:
    person = feed_person(token)
    if person is None:
        raise Http404
    chats = chat_upcoming_for_feed(actor=person).prefetch_related("hosts__user")
    return _ics_response(chats_to_ical(chats, name=_("Pollinate live chats")), "chats.ics")


def _realtime_url(chat: Chat) -> str:
    base = settings.REALTIME_URL
    return f"{base}/ws/chats/{chat.pk}/" if base else ""


@require_GET
@member_required
def chat_room_view(request: MemberRequest, chat_id: int) -> HttpResponse:
    chat = access_chat(request.person, chat_id)
    messages_ = chat_messages_after(chat=chat, after=0, limit=5000)
    participant = participant_get(chat=chat, person=request.person)
    context = {
        "chat": chat,
        "room_messages": messages_,
        "last_seq": messages_[-1].seq if messages_ else 0,
        "released": chat.prompts.filter(released_at__isnull=False),
        "unreleased": chat.prompts.filter(released_at__isnull=True),
        "moderator": can_moderate(request.person, chat),
        "is_host": is_host(request.person, chat),
        "muted": bool(participant and participant.muted_at),
        "form": MessageForm(),
        "realtime_url": _realtime_url(chat),
        "realtime_port": settings.REALTIME_PORT,
        "max_length": settings.CHAT_MESSAGE_MAX_LENGTH,
    }
    return render(request, "chats/room.html", context)


@require_GET
@member_required
def chat_events_view(request: MemberRequest, chat_id: int) -> HttpResponse:
    """Polling fallback for networks that block websockets: the same events, by sequence number."""
    chat = access_chat(request.person, chat_id)
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        return JsonResponse(
            {"code": "bad_request", "message": _("after must be a number.")}, status=400
        )
    events = [message_event(m) for m in chat_messages_after(chat=chat, after=after)]
    chat.refresh_from_db(fields=["last_seq", "is_locked"])
    return JsonResponse(
        {
            "last_seq": chat.last_seq,
            "locked": chat.is_locked,
            "events": events,
            **room_state(chat=chat),
        }
    )


@require_POST
@member_required
def chat_send_view(request: MemberRequest, chat_id: int) -> HttpResponse:
    """Sending without a websocket: answers JSON to scripts, redirects back for plain forms."""
    chat = access_chat(request.person, chat_id)
    form = MessageForm(request.POST)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not form.is_valid():
        if wants_json:
            return JsonResponse(
                {"code": "invalid", "message": _("Write something first.")}, status=400
            )
        messages.error(request, _("Write something first."))
        return redirect("chats:room", chat.pk)
    try:
        message, _created = services.message_post(
            actor=request.person,
            chat=chat,
            body=form.cleaned_data["body"],
            client_id=form.cleaned_data["client_id"] or "",
            prompt_number=form.cleaned_data["prompt"],
        )
    except services.ChatError as exc:
        status = 429 if exc.code == "rate_limited" else 400
        if wants_json:
            return JsonResponse({"code": exc.code, "message": exc.message}, status=status)
        messages.error(request, exc.message)
        return redirect("chats:room", chat.pk)
    if wants_json:
        return JsonResponse(
            {"type": "delivered", "client_id": message.client_id, "seq": message.seq}
        )
    return redirect(reverse("chats:room", args=[chat.pk]) + f"#m{message.seq}")


@require_GET
@member_required
def chat_transcript_view(request: MemberRequest, chat_id: int) -> HttpResponse:
    chat = access_chat(request.person, chat_id)
    moderator = can_moderate(request.person, chat)
    hosting = is_host(request.person, chat) or request.person.is_administrator
    context = {
        "chat": chat,
        "sections": chat_transcript(chat=chat, show_hidden=moderator),
        "moderator": moderator,
        "is_host": hosting,
        # Where a host may add answers: episodes of collections they edit (or their site's
        # edition of); answers from smaller rooms stay out of collections.
        "collect_choices": CollectForm(person=request.person).choices()
        if hosting and chat.visibility == ChatVisibility.ORGANISATION
        else [],
    }
    return render(request, "chats/transcript.html", context)


@require_GET
@member_required
def chat_export_view(request: MemberRequest, chat_id: int, fmt: str) -> HttpResponse:
    chat = access_chat(request.person, chat_id)
    name = slugify(chat.title) or f"chat-{chat.pk}"
    if fmt == "md":
        response = HttpResponse(
            transcript_markdown(chat=chat), content_type="text/markdown; charset=utf-8"
        )
    elif fmt == "html":
        response = HttpResponse(transcript_html(chat=chat), content_type="text/html; charset=utf-8")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@require_POST
@member_required
def message_hide_view(request: MemberRequest, chat_id: int, seq: int) -> HttpResponse:
    message = access_chat_message(request.person, chat_id, seq, moderate=True)
    services.message_hide(actor=request.person, message=message)
    messages.success(request, _("The message is hidden."))
    return redirect("chats:transcript", chat_id)


@require_POST
@member_required
def answer_promote_view(request: MemberRequest, chat_id: int, seq: int) -> HttpResponse:
    message = access_chat_message(request.person, chat_id, seq)
    if not (is_host(request.person, message.chat) or request.person.is_administrator):
        raise PermissionDenied
    try:
        url = services.answer_promote(actor=request.person, message=message)
    except services.ChatError as exc:
        messages.error(request, exc.message)
        return redirect("chats:transcript", chat_id)
    messages.success(request, _("The answer is now a practice draft."))
    return redirect(url)


@require_POST
@member_required
def answer_collect_view(request: MemberRequest, chat_id: int, seq: int) -> HttpResponse:
    message = access_chat_message(request.person, chat_id, seq)
    if not (is_host(request.person, message.chat) or request.person.is_administrator):
        raise PermissionDenied
    form = CollectForm(request.POST, person=request.person)
    if not form.is_valid():
        messages.error(request, _("Choose a collection episode you can add to."))
        return redirect(reverse("chats:transcript", args=[chat_id]) + f"#a{seq}")
    episode, edition_site = form.cleaned_data["episode"], form.edition_site()
    try:
        url = services.answer_collect(
            actor=request.person, message=message, episode=episode, edition_site=edition_site
        )
    except services.ChatError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("chats:transcript", args=[chat_id]) + f"#a{seq}")
    messages.success(request, _("The answer is in the collection."))
    return redirect(url)
