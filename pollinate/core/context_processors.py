from __future__ import annotations

from django.http import HttpRequest

from pollinate.core.navigation import nav_entries


def navigation(request: HttpRequest) -> dict[str, object]:
    return {"nav_entries": nav_entries()}
