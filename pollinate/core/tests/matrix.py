"""The machinery behind the authorization matrix: enumerate routes, build URLs, judge answers.

``route_policies.py`` holds the table (the spec); this module walks the URL resolver and the
OpenAPI schema so that a route nobody declared cannot slip through.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from pollinate.people.models import Person

PERSONAS = (
    "anonymous",
    "owner",
    "peer",
    "other_site",
    "coach",
    "moderator",
    "site_lead",
    "administrator",
)
SIGN_IN = "/sign-in/"


@dataclass(frozen=True)
class Route:
    key: str  # "practices:detail", or "API GET /api/practices/{practice_id}"
    params: tuple[str, ...]
    methods: tuple[str, ...] = ("GET",)  # API operations know theirs; pages are probed
    api_path: str = ""


def html_routes() -> Iterator[Route]:
    """Every named (or, failing that, pattern-keyed) page route; the API comes from its schema."""

    def walk(patterns: list[Any], ns: str, prefix: str, params: tuple[str, ...]) -> Iterator[Route]:
        for entry in patterns:
            here = params + tuple(entry.pattern.regex.groupindex)
            text = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = f"{ns}{entry.namespace}:" if entry.namespace else ns
                yield from walk(entry.url_patterns, inner, text, here)
            elif isinstance(entry, URLPattern):
                if inner_api(ns, entry.name):
                    continue
                yield Route(key=f"{ns}{entry.name}" if entry.name else f"path:{text}", params=here)

    seen: set[str] = set()
    for route in walk(get_resolver().url_patterns, "", "", ()):
        if route.key not in seen:
            seen.add(route.key)
            yield route


def inner_api(ns: str, name: str | None) -> bool:
    """API operations are enumerated from the OpenAPI schema, with their methods."""
    return ns.startswith("api:") and name not in ("openapi-json", "openapi-view")


def api_routes() -> Iterator[Route]:
    from pollinate.api import api

    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method in operations:
            params = tuple(p["name"] for p in operations[method].get("parameters", []))
            params = tuple(p for p in params if "{" + p + "}" in path)
            yield Route(
                key=f"API {method.upper()} {path}",
                params=params,
                methods=(method.upper(),),
                api_path=path,
            )


def route_url(route: Route, values: dict[str, Any], overrides: dict[str, str]) -> str:
    def value(param: str) -> Any:
        return values[overrides.get(param, param)]

    if route.api_path:
        url = route.api_path
        for param in route.params:
            url = url.replace("{" + param + "}", str(value(param)))
        return url
    if route.key.startswith("path:"):
        text = route.key.removeprefix("path:").replace("^", "").replace("$", "")
        return "/" + text.replace("(?P<path>.*)", str(values.get("path", "missing.txt")))
    return reverse(route.key, kwargs={p: value(p) for p in route.params})


def client_as(person: Person | None, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if person is not None:
        client.force_login(person.user, backend="pollinate.people.backends.MemberBackend")
    return client


def succeeded(status: int, location: str) -> bool:
    """A write went through: 2xx, or a redirect anywhere but the sign-in page."""
    if 200 <= status < 300:
        return True
    return status in (301, 302, 303) and not location.startswith(SIGN_IN)


def example_body(operation: dict[str, Any], schema: dict[str, Any]) -> str:
    """A minimal body that satisfies the schema, so access is checked and not only validation."""
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema")
    return json.dumps(_example(body, schema) if body else {})


def _example(node: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _example(schema["components"]["schemas"][name], schema, depth + 1)
    for combo in ("anyOf", "oneOf", "allOf"):
        if combo in node:
            options = [o for o in node[combo] if o.get("type") != "null"] or node[combo]
            return _example(options[0], schema, depth + 1)
    if "enum" in node:
        return node["enum"][0]
    if "default" in node:
        return node["default"]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        return {name: _example(props[name], schema, depth + 1) for name in node.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, node.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if node.get("format") == "date-time":
        return (datetime.now(UTC) + timedelta(days=3)).isoformat()
    if node.get("format") == "date":
        return (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    return "Matrix probe text"
