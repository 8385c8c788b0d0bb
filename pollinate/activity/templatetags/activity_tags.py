from __future__ import annotations

from django import template

from pollinate.activity.verbs import verb_phrase as _verb_phrase

register = template.Library()


@register.filter
def verb_phrase(verb: str) -> str:
    return _verb_phrase(verb)
