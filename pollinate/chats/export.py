"""Transcript exports: Markdown (for wikis and repositories) and a standalone HTML page."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from pollinate.chats.models import Chat
from pollinate.chats.selectors import chat_transcript


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def transcript_markdown(*, chat: Chat) -> str:
    lines = [f"# {chat.title}", ""]
    with timezone.override(chat.site.time_zone):
        start = timezone.localtime(chat.starts_at).strftime("%Y-%m-%d %H:%M %Z")
    hosts = ", ".join(h.display_name for h in chat.hosts.all())
    lines += [f"*{start} · {_('Hosts')}: {hosts}*", ""]
    if chat.description:
        lines += [chat.description, ""]
    for section in chat_transcript(chat=chat):
        if section.prompt is not None:
            lines += [f"## {section.prompt.label}. {section.prompt.body}", ""]
        else:
            lines += [f"## {_('Conversation')}", ""]
        if not section.answers:
            lines += [f"*{_('No answers.')}*", ""]
        for answer in section.answers:
            who = answer.author.display_name if answer.author else _("Someone")
            site = f" ({answer.author.site.name})" if answer.author else ""
            reactions = f" · {answer.reaction_count} ♥" if answer.reaction_count else ""
            lines += [f"**{who}**{site}{reactions}", "", _quote(answer.body), ""]
    return "\n".join(lines).rstrip() + "\n"


def transcript_html(*, chat: Chat) -> str:
    return render_to_string(
        "chats/export.html", {"chat": chat, "sections": chat_transcript(chat=chat)}
    )
