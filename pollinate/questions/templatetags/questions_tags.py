from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from pollinate.core.markdown import render_markdown
from pollinate.people.models import Person
from pollinate.questions.selectors import help_given

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text or "")


@register.filter
def in_set(value: Any, container: Any) -> bool:
    return value in container


@register.inclusion_tag("questions/_partials/help_given.html")
def help_given_card(person: Person) -> dict[str, object]:
    """Recognition on a person's page: accepted and helpful answers, no points."""
    return {"help": help_given(person=person)}
