from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django import template
from django.forms import BoundField
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from pollinate.activity.templatetags.activity_tags import ago
from pollinate.core.markdown import render_markdown
from pollinate.core.reversing import URL_MARKER as _URL_MARKER
from pollinate.core.reversing import url_pattern
from pollinate.people.models import Person
from pollinate.practices import selectors
from pollinate.practices.models import Practice

register = template.Library()


@lru_cache(maxsize=4096)
def _rendered(text: str) -> SafeString:
    return render_markdown(text)


@register.filter
def markdown(text: str) -> SafeString:
    """User-written Markdown rendered through the one sanitising pipeline (memoised: the same
    text always renders the same, and a busy practice page renders dozens of comments)."""
    return _rendered(text or "")


@register.filter
def excerpt(text: str, limit: int = 160) -> str:
    return selectors.excerpt(text or "", int(limit))


@register.simple_tag
def practice_url(name: str, *args: Any) -> str:
    """``{% url %}`` for the practice pages' links, each pattern reversed once a process with a
    marker for the id: a practice page has a dozen links, ~35 µs each through ``reverse``."""
    ids = [arg for arg in args if isinstance(arg, int)]
    if len(ids) != 1:
        return reverse(name, args=list(args))
    pattern = url_pattern(name, *(_URL_MARKER if isinstance(arg, int) else arg for arg in args))
    return pattern.replace(str(_URL_MARKER), str(ids[0]))


@register.simple_tag
def people_row(people: Iterable[Person]) -> SafeString:
    """The search page's people as ``<li>`` items in the markup of
    ``people/_partials/person_card.html`` (and its avatar), built in one pass: six cards through
    two includes each cost ~0.7 ms. ``people`` need their site loaded."""
    url = reverse("people:person", args=[_URL_MARKER])
    return format_html_join(
        "",
        '<li><div class="person-card"><span class="avatar" aria-hidden="true">{}</span><div>'
        '<a href="{}">{}</a><div class="muted small">{}{}</div></div></div></li>',
        (
            (
                format_html('<img src="{}" alt="">', person.photo.url)
                if person.photo
                else person.initials,
                url.replace(str(_URL_MARKER), str(person.pk)),
                person.display_name,
                format_html("{} · ", person.job_title) if person.job_title else "",
                person.site.name,
            )
            for person in people
        ),
    )


@register.simple_tag
def field_row(field: BoundField) -> SafeString:
    """``core/_partials/field.html`` for a text, textarea or select field, in one pass: the
    search page's six filters through that include cost ~1 ms. Checkboxes take the include."""
    label_id = field.id_for_label
    errors = field.errors
    return format_html(
        '<div class="field{}"><label for="{}">{}{}</label>{}{}{}</div>',
        " field--error" if errors else "",
        label_id,
        field.label,
        format_html(' <span class="muted small">({})</span>', _("optional"))
        if not field.field.required and not getattr(field.form, "is_filter", False)
        else "",
        field,
        format_html('<p class="help" id="{}_helptext">{}</p>', field.auto_id, field.help_text)
        if field.help_text
        else "",
        format_html(
            '<ul class="errorlist" id="{}_errors" role="alert">{}</ul>',
            label_id,
            format_html_join("", "<li>{}</li>", ((error,) for error in errors)),
        )
        if errors
        else "",
    )


@register.simple_tag
def practice_cards(practices: Iterable[Practice | int]) -> SafeString:
    """The practice cards as ``<li>`` items, joined from each card's markup (``card_html``):
    a card used to cost ~0.15 ms of template lookups even with its values computed in Python.

    Given ids, the cards come from the shared card cache (``selectors.practice_card_values``);
    given loaded practices, they are computed. The relative time is always computed here.
    """
    items = list(practices)
    if items and not isinstance(items[0], Practice):
        cards = selectors.practice_card_values([int(pk) for pk in items])  # type: ignore[arg-type]
    else:
        detail_url = selectors.card_detail_url()
        cards = [
            {
                **selectors.card_values(practice, detail_url=detail_url),
                "when": practice.last_activity_at,
            }
            for practice in items
            if isinstance(practice, Practice)
        ]
    return mark_safe(  # noqa: S308 -- halves and time are built by format_html
        "".join(
            before
            + format_html(
                '<time datetime="{}">{}</time>',
                localtime(card["when"]).isoformat(),
                ago(card["when"]),
            )
            + after
            for card in cards
            for before, after in [card["html"]]
        )
    )


@register.simple_tag(takes_context=True)
def comment_thread(
    context: Any, comments: Iterable[selectors.ThreadComment], practice_id: int
) -> SafeString:
    """The thread as ``<li>`` items, each with its replies and a reply form, built in one pass
    (``comments`` from ``selectors.comment_tree``).

    Thirty comments through an include, ``timesince``, ``url`` and ``csrf_token`` tags each cost
    about 9 ms; the same markup from ``format_html`` (every value escaped) costs under one. The
    per-viewer parts (the delete button on one's own comments, the CSRF token) are made here for
    this request: nothing in it is cached.
    """
    request = context.get("request")
    person = getattr(request, "person", None)
    me = person.pk if person is not None else None
    marker = str(_URL_MARKER)
    author_url = reverse("people:person", args=[_URL_MARKER])
    delete_url = reverse("practices:comment_delete", args=[_URL_MARKER])
    reply_url = reverse("practices:comment_create", args=[practice_id])
    csrf = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
        get_token(request) if request is not None else "",
    )
    delete_label, this_comment, reply_label, your_reply = (
        _("Delete"),
        _("this comment"),
        _("Reply"),
        _("Your reply"),
    )

    def article(comment: selectors.ThreadComment) -> SafeString:
        delete = (
            format_html(
                '<form method="post" action="{}">{}<button class="link-button small" type="submit">'
                '{}<span class="visually-hidden"> {}</span></button></form>',
                delete_url.replace(marker, str(comment.pk)),
                csrf,
                delete_label,
                this_comment,
            )
            if comment.author_id == me
            else ""
        )
        return format_html(
            '<article class="comment" id="comment-{}"><p class="comment__author">'
            '<a href="{}">{}</a> <span class="muted small">· {} · <time datetime="{}">{}</time>'
            '</span></p><div class="prose">{}</div>{}</article>',
            comment.pk,
            author_url.replace(marker, str(comment.author_id)),
            comment.author_name,
            comment.author_site,
            localtime(comment.created_at).isoformat(),
            ago(comment.created_at),
            comment.body_rendered,
            delete,
        )

    # The reply form is the same for every comment but its id: built once, "{pk}" filled in.
    reply_form = format_html(
        '<details class="reply"><summary>{}</summary>'
        '<form method="post" action="{}" class="form">{}'
        '<input type="hidden" name="parent" value="{{pk}}">'
        '<label for="reply-{{pk}}" class="visually-hidden">{}</label>'
        '<textarea id="reply-{{pk}}" name="body" rows="2" class="input" required'
        ' maxlength="5000"></textarea>'
        '<button type="submit" class="button button--small">{}</button>'
        "</form></details>",
        reply_label,
        reply_url,
        csrf,
        your_reply,
        reply_label,
    )
    items = []
    for comment in comments:
        replies = "".join(f"<li>{article(reply)}</li>" for reply in comment.shown_replies)
        items.append(
            f"<li>{article(comment)}"
            + (f'<ul class="list replies">{replies}</ul>' if replies else "")
            + reply_form.replace("{pk}", str(comment.pk))
            + "</li>"
        )
    return mark_safe("".join(items))  # noqa: S308 -- every value went through format_html
