"""How forms render in Pollinate: Django's template renderer, select boxes built in Python.

Django renders each ``<option>`` through two template includes. A filter form with a topic list,
sites and languages has a few hundred options, and those includes cost more than the rest of the
page (5 ms for 77 topics, measured on the people directory). The markup built here is the same as
Django's templates produce, minus the whitespace between tags (a test compares the two).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _attrs_html(attrs: Mapping[str, Any]) -> str:
    """Mirrors ``django/forms/widgets/attrs.html``: False drops, True is a bare attribute."""
    parts: list[str] = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(parts)


def _options_html(options: Iterable[Mapping[str, Any]]) -> str:
    return "".join(
        f'<option value="{conditional_escape(str(option["value"]))}"'
        f"{_attrs_html(option['attrs'])}>{conditional_escape(option['label'])}</option>"
        for option in options
    )


def select_html(widget: Mapping[str, Any]) -> SafeString:
    """``<select>`` markup for a widget context, as Django's ``select.html`` template makes it."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'<optgroup label="{conditional_escape(group_name)}">')
        parts.append(_options_html(group_choices))
        if group_name:
            parts.append("</optgroup>")
    parts.append("</select>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above went through conditional_escape


def _uses_default_options(widget: Mapping[str, Any]) -> bool:
    return all(
        option.get("template_name") == OPTION_TEMPLATE
        for _name, group_choices, _index in widget["optgroups"]
        for option in group_choices
    )


class FormRenderer(DjangoTemplates):
    """Django's default renderer, except that standard select boxes skip the template engine."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if template_name == SELECT_TEMPLATE and widget and _uses_default_options(widget):
            return select_html(widget)
        return super().render(template_name, context, request)
