"""The suggested coaches of a request's page, built in one Python pass.

Five suggestions through ``person_card.html`` → ``avatar.html`` includes, a loop over their reasons,
a ``url`` and a ``csrf_token`` tag each cost about as much as the rest of the page; the same markup
built here (every value through ``escape``, as ``people_tags.person_card_items``) costs a
fraction. The CSRF token is this request's: nothing here is cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from pollinate.core.reversing import URL_MARKER as _URL_MARKER
from pollinate.people.models import Person

register = template.Library()


def person_card(person: Person, *, person_url: str) -> str:
    """``people/_partials/person_card.html`` with ``avatar.html`` inlined (``person_url`` has
    ``_URL_MARKER`` in place of the id: one ``reverse`` per list). Every value is escaped."""
    avatar = (
        f'<img src="{escape(person.photo.url)}" alt="">'
        if person.photo
        else escape(person.initials)
    )
    job = f"{escape(person.job_title)} · " if person.job_title else ""
    return (
        f'<div class="person-card"><span class="avatar" aria-hidden="true">{avatar}</span><div>'
        f'<a href="{person_url.replace(str(_URL_MARKER), str(person.pk))}">'
        f"{escape(person.display_name)}</a>"
        f'<div class="muted small">{job}{escape(person.site.name)}</div></div></div>'
    )


@register.simple_tag(takes_context=True)
def suggestion_items(
    context: Any, suggestions: Iterable[Mapping[str, Any]], request_id: int
) -> SafeString:
    """The ``<li>`` of each suggested coach: card, reasons and the "Ask" form."""
    request = context.get("request")
    csrf = escape(get_token(request) if request is not None else "")
    person_url = reverse("people:person", args=[_URL_MARKER])
    propose_url = reverse("coaching:request_propose", args=[request_id])
    why_label = escape(_("Why this coach"))
    items = []
    for suggestion in suggestions:
        person = suggestion["person"]
        reasons = "".join(f'<li class="chip">{escape(line)}</li>' for line in suggestion["why"])
        ask = escape(_("Ask %(name)s") % {"name": person.display_name})
        items.append(
            f'<li class="card card--soft">{person_card(person, person_url=person_url)}'
            f'<ul class="chips coaching-why" aria-label="{why_label}">{reasons}</ul>'
            f'<form method="post" action="{propose_url}">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
            f'<input type="hidden" name="coach" value="{person.pk}">'
            f'<button class="button" type="submit">{ask}</button></form></li>'
        )
    return mark_safe("".join(items))  # noqa: S308 -- every value above went through escape
