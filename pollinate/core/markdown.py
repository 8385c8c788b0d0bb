"""User-written Markdown → safe HTML: one pipeline for every field that renders user text.

markdown-it-py parses CommonMark with raw HTML disabled; nh3 (ammonia) then keeps only an allow-list
of tags, attributes and URL schemes, so even a parser bug cannot let a script through.
"""

from __future__ import annotations

import html

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"style"},
    "td": {"style"},
    "ol": {"start"},
}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
MAX_MARKDOWN_CHARS = 50_000


def render_markdown(text: str) -> SafeString:
    """Renders Markdown to sanitised HTML; never raises on any input string."""
    html = _parser.render(text[:MAX_MARKDOWN_CHARS])
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )
    # nh3 output is sanitised by the allow-list above.
    return mark_safe(clean)  # noqa: S308  # nosec B308 B703


def plain_text(text: str, limit: int = 280) -> str:
    """A short plain-text excerpt of Markdown, for cards, feeds and emails.

    Plain text, not HTML: "<" stays "<" (templates and feed writers escape it where they output it;
    returning entities here made cards show "&amp;lt;" and text emails "&lt;").
    """
    stripped = html.unescape(nh3.clean(_parser.render(text[:MAX_MARKDOWN_CHARS]), tags=set()))
    stripped = " ".join(stripped.split())
    return stripped if len(stripped) <= limit else stripped[: limit - 1].rstrip() + "…"
