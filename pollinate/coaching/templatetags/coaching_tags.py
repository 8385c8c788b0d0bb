"""The suggested coaches of a request's page, built in one Python pass.

Five suggestions through ``person_card.html`` → ``avatar.html`` includes, a loop over their reasons,
a ``url`` and a ``csrf_token`` tag each cost about as much as the rest of the page; the same markup
from ``format_html`` (every value escaped) costs a fraction. The CSRF token is this request's:
nothing here is cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from pollinate.people.models import Person

register = template.Library()

_URL_MARKER = 987654321


def person_card(person: Person, *, person_url: str) -> SafeString:
    """``people/_partials/person_card.html`` with ``avatar.html`` inlined (``person_url`` has
    ``_URL_MARKER`` in place of the id: one ``reverse`` per list)."""
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
def suggestion_items(
    context: Any, suggestions: Iterable[Mapping[str, Any]], request_id: int
) -> SafeString:
    """The ``<li>`` of each suggested coach: card, reasons and the "Ask" form."""
    request = context.get("request")
    csrf = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
        get_token(request) if request is not None else "",
    )
    person_url = reverse("people:person", args=[_URL_MARKER])
    propose_url = reverse("coaching:request_propose", args=[request_id])
    why_label = _("Why this coach")
    items = [
        format_html(
            '<li class="card card--soft">{}<ul class="chips coaching-why" aria-label="{}">{}</ul>'
            '<form method="post" action="{}">{}<input type="hidden" name="coach" value="{}">'
            '<button class="button" type="submit">{}</button></form></li>',
            person_card(suggestion["person"], person_url=person_url),
            why_label,
            format_html_join(
                "", '<li class="chip">{}</li>', ((line,) for line in suggestion["why"])
            ),
            propose_url,
            csrf,
            suggestion["person"].pk,
            _("Ask %(name)s") % {"name": suggestion["person"].display_name},
        )
        for suggestion in suggestions
    ]
    return mark_safe("".join(items))  # noqa: S308 -- each item is built by format_html
