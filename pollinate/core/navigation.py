"""The main navigation: it shows the whole shape of the product and links only what exists."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("home", _("Home"), "home"),
    NavItem("practices", _("Practices"), "practices:list"),
    NavItem("questions", _("Questions"), "questions:list"),
    NavItem("coaching", _("Coaching"), "coaching:home"),
    NavItem("chats", _("Live chats"), "chats:list"),
    NavItem("collections", _("Collections"), "curation:list"),
    NavItem("people", _("People"), "people:directory"),
    NavItem("analytics", _("Analytics"), "analytics:org"),
)


@cache
def _url_for(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def nav_entries() -> list[dict[str, object]]:
    return [
        {"key": item.key, "label": item.label, "url": _url_for(item.url_name)} for item in NAV_ITEMS
    ]
