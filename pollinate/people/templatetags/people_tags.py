"""Person cards for lists, computed in one Python pass like the practice cards.

A directory page of 24 cards rendered through ``person_card.html`` → ``avatar.html`` includes and a
skills loop cost more than the rest of the page; the values here are the same, built once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse

from pollinate.people.models import Person
from pollinate.people.selectors import skill_chips

register = template.Library()

_URL_MARKER = 987654321


@register.simple_tag
def person_cards(people: Iterable[Person], *, skills: bool = False) -> list[dict[str, Any]]:
    """What each person card shows; with ``skills``, their four strongest skills (one query)."""
    people = list(people)
    detail = reverse("people:person", args=[_URL_MARKER])
    marker = str(_URL_MARKER)
    chips = skill_chips(person_ids=[person.pk for person in people]) if skills else {}
    return [
        {
            "url": detail.replace(marker, str(person.pk)),
            "name": person.display_name,
            "initials": person.initials,
            "photo": person.photo.url if person.photo else "",
            "job_title": person.job_title,
            "site_name": person.site.name,
            "skills": chips.get(person.pk, []),
        }
        for person in people
    ]
