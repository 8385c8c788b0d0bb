from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.formats import get_format, localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _cell(value: Any, decimal_separator: str) -> str:
    """A cell as ``{{ cell }}`` shows it: localized numbers, escaped text, a dash for "no figure".

    Whole numbers and plain decimals are written directly (most cells): without thousand
    separators, localizing them only changes the decimal point.
    """
    if value is None:
        return "—"
    kind = type(value)
    if kind is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    if kind is float and not settings.USE_THOUSAND_SEPARATOR:
        text = repr(value)
        if "e" not in text and "n" not in text:  # not 1e+16, nan or inf: those go the long way
            return text.replace(".", decimal_separator)
    return str(conditional_escape(localize(value)))


@register.filter
def table_body(rows: list[list[Any]]) -> SafeString:
    """The ``<tr>`` rows of a dashboard table: the first cell heads its row.

    Built here rather than with template loops: a dashboard shows several tables of 25 rows, and
    a template node per cell cost most of a cached dashboard's page time. Every cell is escaped
    by ``_cell``.
    """
    separator = str(get_format("DECIMAL_SEPARATOR"))
    lines = []
    for row in rows:
        cells = [_cell(value, separator) for value in row]
        head = f'<th scope="row">{cells[0]}</th>' if cells else ""
        lines.append(f"<tr>{head}{''.join(f'<td>{cell}</td>' for cell in cells[1:])}</tr>")
    return mark_safe("\n".join(lines))  # noqa: S308 -- every cell is escaped above
