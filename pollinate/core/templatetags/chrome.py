"""The page chrome every signed-in page renders (base.html), built once where it can be.

The header and footer cost about a millisecond per page as plain template code, most of it in
parts that only change with the interface language (links to static files, labels, the
language menu). Those are rendered once per language per process; the parts that depend on
the request (the current page, the member, the CSRF token) stay per request.
"""

from __future__ import annotations

from django import template
from django.template.base import Parser, Token
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from pollinate.core.navigation import nav_entries

register = template.Library()


class OncePerLanguageNode(template.Node):
    """Renders its content the first time per language, then repeats that text.

    Only for markup that depends on nothing but the language and static files: never on the
    request, the member or a token (pollinate/core/tests/test_chrome.py checks base.html)."""

    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist
        # On the node, so a template parsed again (development reloads) starts afresh.
        self.rendered: dict[str | None, SafeString] = {}

    def render(self, context: template.Context) -> str:
        language = get_language()
        html = self.rendered.get(language)
        if html is None:
            html = self.rendered[language] = mark_safe(self.nodelist.render(context))  # noqa: S308 -- template output
        return html


@register.tag
def once_per_language(parser: Parser, token: Token) -> OncePerLanguageNode:
    nodelist = parser.parse(("endonce_per_language",))
    parser.delete_first_token()
    return OncePerLanguageNode(nodelist)


_NAV: dict[tuple[str | None, str | None], SafeString] = {}


@register.simple_tag(takes_context=True)
def main_nav_items(context: template.Context) -> SafeString:
    """The main navigation's items, the current page's marked with aria-current."""
    request = context.get("request")
    path = getattr(request, "path", None)
    entries = nav_entries()
    current = path if any(entry["url"] == path for entry in entries) else None
    key = (get_language(), current)
    html = _NAV.get(key)
    if html is None:
        soon = gettext("Coming soon")
        html = _NAV[key] = format_html_join(
            "\n",
            "{}",
            (
                (
                    format_html(
                        '<li><a href="{}"{}>{}</a></li>',
                        entry["url"],
                        mark_safe(' aria-current="page"') if entry["url"] == current else "",
                        entry["label"],
                    )
                    if entry["url"]
                    else format_html(
                        '<li><span class="nav__soon" aria-disabled="true" title="{}">{}</span>'
                        "</li>",
                        soon,
                        entry["label"],
                    ),
                )
                for entry in entries
            ),
        )
    return html
