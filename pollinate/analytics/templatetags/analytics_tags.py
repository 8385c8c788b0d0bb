from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _cell(value: Any) -> str:
    # As ``{{ cell }}`` shows it: localized numbers, escaped text, a dash for "no figure". A
    # whole number without thousand separators is its digits in every language (most cells).
    if value is None:
        return "—"
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return conditional_escape(localize(value))


@register.filter
def table_body(rows: list[list[Any]]) -> SafeString:
    """The ``<tr>`` rows of a dashboard table: the first cell heads its row.

    Built here rather than with template loops: a dashboard shows several tables of 25 rows, and
    a template node per cell cost most of a cached dashboard's page time.
    """
    return format_html_join(
        "\n",
        "<tr>{}</tr>",
        (
            (
                mark_safe(  # noqa: S308 -- every part is escaped by format_html
                    "".join(
                        format_html('<th scope="row">{}</th>', _cell(cell))
                        if i == 0
                        else format_html("<td>{}</td>", _cell(cell))
                        for i, cell in enumerate(row)
                    )
                ),
            )
            for row in rows
        ),
    )
