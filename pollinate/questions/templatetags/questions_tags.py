"""Markdown for questions and answers, the "help given" card, and a question's answers built in one
Python pass.

The answers of a question page through ``person_card.html`` → ``avatar.html`` and ``helpful.html``
includes, with ``url``, ``csrf_token`` and ``blocktranslate`` tags in each, cost more than the rest
of the page; the same markup from ``format_html`` (every value escaped) costs a fraction. The
per-viewer parts (helpful state, accept, edit and delete controls, the CSRF token) are made here for
this request: nothing but the Markdown of a text is kept between requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pollinate.core.markdown import render_markdown
from pollinate.core.reversing import URL_MARKER as _URL_MARKER
from pollinate.people.models import Person
from pollinate.questions.models import Answer, Question, QuestionStatus
from pollinate.questions.selectors import CommentLine, help_given

register = template.Library()


@lru_cache(maxsize=512)
def _rendered(text: str) -> SafeString:
    # Keyed by the text itself: an edited text is another key, so nothing can be stale, and
    # the output is the same for every viewer and language.
    return render_markdown(text)


@register.filter
def markdown(text: str) -> SafeString:
    return _rendered(text or "")


@register.filter
def in_set(value: Any, container: Any) -> bool:
    return value in container


@register.inclusion_tag("questions/_partials/help_given.html")
def help_given_card(person: Person) -> dict[str, object]:
    """Recognition on a person's page: accepted and helpful answers, no points."""
    return {"help": help_given(person=person)}


def csrf_input(request: Any) -> SafeString:
    return format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
        get_token(request) if request is not None else "",
    )


def helpful_html(
    answer_id: int, helpful_count: int, *, can_mark: bool, marked: bool, csrf: SafeString
) -> SafeString:
    """An answer's "this helped" control and count (also the htmx response that replaces it)."""
    count = ngettext(
        "%(counter)s found this helpful", "%(counter)s found this helpful", helpful_count
    ) % {"counter": helpful_count}
    form = ""
    if can_mark:
        url = reverse("questions:helpful", args=[answer_id])
        form = format_html(
            '<form method="post" action="{}" hx-post="{}" hx-target="#helpful-{}"'
            ' hx-swap="outerHTML">{}<input type="hidden" name="helpful" value="{}">'
            '<button type="submit" class="button button--secondary button--small"'
            ' aria-pressed="{}">{}</button></form>',
            url,
            url,
            answer_id,
            csrf,
            "0" if marked else "1",
            "true" if marked else "false",
            _("Helpful ✓") if marked else _("This helped"),
        )
    return format_html(
        '<div class="helpful" id="helpful-{}">{}<span class="muted small">{}</span></div>',
        answer_id,
        form,
        count,
    )


def _person_card(person: Person, person_url: str) -> SafeString:
    """``people/_partials/person_card.html`` with ``avatar.html`` inlined."""
    avatar = (
        format_html('<img src="{}" alt="">', person.photo.url) if person.photo else person.initials
    )
    return format_html(
        '<div class="person-card"><span class="avatar" aria-hidden="true">{}</span><div>'
        '<a href="{}">{}</a><div class="muted small">{}{}</div></div></div>',
        avatar,
        person_url.replace(str(_URL_MARKER), str(person.pk)),
        person.display_name,
        format_html("{} · ", person.job_title) if person.job_title else "",
        person.site.name,
    )


@register.simple_tag(takes_context=True)
def answer_articles(
    context: Any,
    question: Question,
    answers: Sequence[Answer],
    comments: Mapping[int, list[CommentLine]],
    helpful_ids: Iterable[int],
) -> SafeString:
    """Each answer's ``<article>``: author, text, helpful control, the viewer's controls, comments
    and the comment form."""
    request = context.get("request")
    me = getattr(getattr(request, "person", None), "pk", None)
    can_accept = bool(context.get("can_accept")) and question.status != QuestionStatus.CLOSED
    is_moderator = bool(context.get("is_moderator"))
    marked_ids = set(helpful_ids)
    csrf = csrf_input(request)
    marker = str(_URL_MARKER)
    urls = {
        name: reverse(f"questions:{name}", args=[_URL_MARKER])
        for name in ("accept", "answer_edit", "answer_delete", "comment")
    }
    person_url = reverse("people:person", args=[_URL_MARKER])
    labels = {
        "accepted": _("Accepted answer"),
        "cross_site": _("From another site"),
        "accept": _("Accept this answer"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "add_comment": _("Add a comment"),
        "comment": _("Comment"),
    }

    def article(answer: Answer) -> SafeString:
        pk = str(answer.pk)
        mine = answer.author_id == me
        accept = (
            format_html(
                '<form method="post" action="{}">{}<button type="submit"'
                ' class="button button--small">{}</button></form>',
                urls["accept"].replace(marker, pk),
                csrf,
                labels["accept"],
            )
            if can_accept and not answer.is_accepted
            else ""
        )
        change = (
            format_html(
                '<a class="button button--secondary button--small" href="{}">{}</a>'
                '<a class="button button--secondary button--small" href="{}">{}</a>',
                urls["answer_edit"].replace(marker, pk),
                labels["edit"],
                urls["answer_delete"].replace(marker, pk),
                labels["delete"],
            )
            if mine or is_moderator
            else ""
        )
        lines = comments.get(answer.pk, [])
        thread = (
            format_html(
                '<ul class="list small comments">{}</ul>',
                format_html_join(
                    "",
                    '<li><strong>{}</strong> <span class="muted">· {}</span> {}</li>',
                    ((c.author, c.site, linebreaksbr(c.body, autoescape=True)) for c in lines),
                ),
            )
            if lines
            else ""
        )
        return format_html(
            '<article class="card stack answer{}" id="answer-{}">{}'
            '<div class="row">{}{}</div><div class="prose">{}</div>'
            '<div class="row">{}{}{}</div>{}'
            '<form method="post" action="{}" class="form">{}<div class="field">'
            '<label for="comment-{}">{}</label><textarea id="comment-{}" name="body" rows="2"'
            ' maxlength="2000" required></textarea></div><button type="submit"'
            ' class="button button--secondary button--small">{}</button></form></article>',
            " answer--accepted" if answer.is_accepted else "",
            pk,
            format_html('<p class="chip chip--level-4">{}</p>', labels["accepted"])
            if answer.is_accepted
            else "",
            _person_card(answer.author, person_url),
            format_html('<span class="chip">{}</span>', labels["cross_site"])
            if answer.is_cross_site
            else "",
            _rendered(answer.body or ""),
            helpful_html(
                answer.pk,
                answer.helpful_count,
                can_mark=not mine,
                marked=not mine and answer.pk in marked_ids,
                csrf=csrf,
            ),
            accept,
            change,
            thread,
            urls["comment"].replace(marker, pk),
            csrf,
            pk,
            labels["add_comment"],
            pk,
            labels["comment"],
        )

    return mark_safe("".join(article(answer) for answer in answers))  # noqa: S308 -- format_html
