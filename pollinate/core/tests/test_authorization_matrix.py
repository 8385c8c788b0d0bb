"""Every page route and API operation against every persona: zero unexpected 200s, no CSRF holes.

The spec is ``route_policies.py``; the objects are built by ``conftest.py``'s ``world``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pollinate.core.tests.conftest import World
from pollinate.core.tests.matrix import (
    PERSONAS,
    Route,
    api_routes,
    client_as,
    example_body,
    html_routes,
    route_url,
    succeeded,
)
from pollinate.core.tests.route_policies import EVERYONE, MEMBERS, PATTERNS, ROUTES, P

ALL_ROUTES = [*html_routes(), *api_routes()]
DECLARED = [r for r in ALL_ROUTES if r.key in ROUTES]
ADMIN_ROUTES = [r for r in ALL_ROUTES if r.key not in ROUTES and r.key.startswith(tuple(PATTERNS))]
NON_STAFF = ("anonymous", "moderator", "site_lead")
# The admin's own sign-in and sign-out pages answer everyone; they grant nothing by themselves.
ADMIN_PUBLIC = {"admin:login", "admin:logout"}
# Read-only views that answer any method the same way; there is no state to forge a change to.
CSRF_NOT_APPLICABLE = {
    "api:openapi-json",
    "api:openapi-view",
    # One-click unsubscribe (RFC 8058) is POSTed by mail clients with a signed token, no session.
    "digests:unsubscribe",
}


def _policy(route: Route) -> P | None:
    if route.key in ROUTES:
        return ROUTES[route.key]
    return next((p for prefix, p in PATTERNS.items() if route.key.startswith(prefix)), None)


def _probed(route: Route, policy: P) -> tuple[str, ...]:
    # A route with no object behind it and open to every member cannot tell members apart.
    if not route.params and policy.get in (MEMBERS, EVERYONE):
        return ("anonymous", "peer")
    return PERSONAS


def _send(client: Client, route: Route, url: str, method: str) -> Any:
    if route.api_path:
        from pollinate.api import api

        schema = api.get_openapi_schema()
        operation = schema["paths"][route.api_path][method.lower()]
        return client.generic(
            method, url, example_body(operation, schema), content_type="application/json"
        )
    return client.post(url, {}) if method == "POST" else client.get(url)


def _refused(response: Any) -> bool:
    location = response.get("Location", "")
    return not succeeded(response.status_code, location) or location.startswith("/admin/login/")


def test_every_route_and_api_operation_is_declared_in_the_policy_table() -> None:
    missing = [r.key for r in ALL_ROUTES if _policy(r) is None]
    assert not missing, (
        "These routes are not in pollinate/core/tests/route_policies.py. Add one line each to "
        "ROUTES saying who may GET (200) and who may POST, e.g. "
        '"practices:detail": P(OWNER | ADMIN, OWNER | ADMIN); see that file\'s docstring:\n  '
        + "\n  ".join(missing)
    )


def test_the_policy_table_declares_no_route_that_no_longer_exists() -> None:
    known = {r.key for r in ALL_ROUTES}
    assert sorted(set(ROUTES) - known) == []


@pytest.mark.django_db
@pytest.mark.parametrize("route", DECLARED, ids=[r.key for r in DECLARED])
def test_only_the_declared_personas_can_read_or_change_through_the_route(
    route: Route, world: World
) -> None:
    policy = ROUTES[route.key]
    url = route_url(route, world.values, policy.params)
    method = route.methods[0]
    wrong: list[str] = []
    if method == "GET":
        for name in _probed(route, policy):
            status = client_as(world.personas[name]).get(url).status_code
            if (status == 200) != (name in policy.get):
                expected = "200" if name in policy.get else "no 200"
                wrong.append(f"GET {url} as {name}: {status}, expected {expected}")
    allowed = policy.post or frozenset()
    write = method if method != "GET" else "POST"
    if route.api_path and method == "GET":
        write = ""
    for name in PERSONAS:
        if not write or name == "owner" or name in allowed:
            continue
        response = _send(client_as(world.personas[name]), route, url, write)
        if not _refused(response):
            wrong.append(f"{write} {url} as {name}: {response.status_code}, expected a refusal")
        if policy.post is None and not route.api_path and response.status_code != 405:
            wrong.append(f"POST {url} as {name}: {response.status_code}; declare who may POST")
    assert wrong == []


@pytest.mark.django_db
def test_no_one_but_staff_reaches_the_admin(world: World) -> None:
    assert len(ADMIN_ROUTES) > 20
    values = {**world.values, "object_id": "1", "id": "1"}
    wrong = []
    for route in ADMIN_ROUTES:
        if route.key in ADMIN_PUBLIC:
            continue
        url = route_url(route, values, {})
        for name in NON_STAFF:
            client = client_as(world.personas[name])
            for method in ("GET", "POST"):
                response = _send(client, route, url, method)
                if not _refused(response):
                    wrong.append(f"{method} {url} as {name}: {response.status_code}")
    assert wrong == []


STATE_CHANGING = [
    r
    for r in DECLARED
    if r.key not in CSRF_NOT_APPLICABLE
    and (ROUTES[r.key].post is not None or r.methods[0] not in ("GET",))
]


@pytest.mark.django_db
@pytest.mark.parametrize("route", STATE_CHANGING, ids=[r.key for r in STATE_CHANGING])
def test_a_state_changing_request_without_a_csrf_token_is_refused(
    route: Route, world: World
) -> None:
    policy = ROUTES[route.key]
    allowed = policy.post or frozenset()
    # Someone the route would otherwise serve, so only the missing token can stop the write.
    name = next((n for n in ("peer", "administrator", "anonymous") if n in allowed), "owner")
    client = client_as(world.personas[name], csrf=True)
    url = route_url(route, world.values, policy.params)
    method = route.methods[0] if route.api_path else "POST"
    response = _send(client, route, url, method)
    if route.api_path:
        assert response.status_code in (401, 403), response.content[:200]
    else:
        assert response.status_code == 403, response.content[:200]
