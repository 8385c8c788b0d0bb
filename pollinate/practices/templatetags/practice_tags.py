from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from pollinate.core.markdown import plain_text, render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """User-written Markdown rendered through the one sanitising pipeline."""
    return render_markdown(text or "")


@register.filter
def excerpt(text: str, limit: int = 160) -> str:
    return plain_text(text or "", limit)
