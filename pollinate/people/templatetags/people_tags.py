"""Person cards for lists, built in one Python pass like the practice cards and select boxes.

A directory page of 24 cards rendered through ``person_card.html`` → ``avatar.html`` includes and a
skills loop cost more than the rest of the page, and even one template loop over precomputed
values spends most of its time resolving variables through the page's deep context. The markup is
``person_card.html``'s with ``avatar.html`` inlined; every value goes through ``escape``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from pollinate.core.reversing import URL_MARKER as _URL_MARKER
from pollinate.people.models import Person, Topic
from pollinate.people.selectors import skill_chips

register = template.Library()


@register.simple_tag
def person_card_items(people: Iterable[Person], *, skills: bool = False) -> SafeString:
    """Person cards as ``<li>`` items; with ``skills``, each card lists its person's four
    strongest skills as chips (one query for the whole list)."""
    people = list(people)
    detail = reverse("people:person", args=[_URL_MARKER])
    marker = str(_URL_MARKER)
    chips = skill_chips(person_ids=[person.pk for person in people]) if skills else {}
    skills_label = escape(_("Skills"))
    items = []
    for person in people:
        avatar = (
            f'<img src="{escape(person.photo.url)}" alt="">'
            if person.photo
            else escape(person.initials)
        )
        job = f"{escape(person.job_title)} · " if person.job_title else ""
        card = (
            f'<div class="person-card"><span class="avatar" aria-hidden="true">{avatar}</span>'
            f'<div><a href="{detail.replace(marker, str(person.pk))}">'
            f"{escape(person.display_name)}</a>"
            f'<div class="muted small">{job}{escape(person.site.name)}</div></div></div>'
        )
        if skills:
            chip_items = "".join(
                f'<li class="chip{" chip--level-4" if level == 4 else ""}">'
                f"{escape(name)} · {level}</li>"
                for name, level in chips.get(person.pk, [])
            )
            card += f'<ul class="chips" aria-label="{skills_label}">{chip_items}</ul>'
            items.append(f'<li class="card">{card}</li>')
        else:
            items.append(f"<li>{card}</li>")
    return mark_safe("".join(items))  # noqa: S308 - every value above went through escape


@register.simple_tag
def knowledge_rows(knowledge: Iterable[tuple[Topic, int, int]]) -> SafeString:
    """The rows of a site's "What they know" table (one reverse() for all the topics' links)."""
    marker_url = reverse("people:topic", args=[_URL_MARKER, "topic-url-marker"])
    marker = str(_URL_MARKER)
    rows = []
    for topic, proficient, experts in knowledge:
        url = marker_url.replace(marker, str(topic.pk)).replace("topic-url-marker", topic.slug)
        rows.append(
            f'<tr><td><a href="{escape(url)}">{escape(topic.display_name)}</a></td>'
            f"<td>{proficient}</td><td>{experts}</td></tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value above went through escape
