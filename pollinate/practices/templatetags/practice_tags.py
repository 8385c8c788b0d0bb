from __future__ import annotations

from functools import lru_cache

from django import template
from django.utils.safestring import SafeString

from pollinate.core.markdown import plain_text, render_markdown

register = template.Library()


@lru_cache(maxsize=4096)
def _rendered(text: str) -> SafeString:
    return render_markdown(text)


@register.filter
def markdown(text: str) -> SafeString:
    """User-written Markdown rendered through the one sanitising pipeline (memoised: the same
    text always renders the same, and a busy practice page renders dozens of comments)."""
    return _rendered(text or "")


@lru_cache(maxsize=8192)
def _excerpt(text: str, limit: int) -> str:
    return plain_text(text, limit)


@register.filter
def excerpt(text: str, limit: int = 160) -> str:
    return _excerpt(text or "", int(limit))
