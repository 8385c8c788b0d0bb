"""Rate limits on anything a person can spam: posting, messaging, invitations, password resets.

A fixed window per (scope, key) counted in the shared cache (database or Redis), so every worker
process sees the same count. Views answer 429 with a message a person can act on.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


class RateLimited(Exception):
    """Raised by services when an actor has used up a limit; carries seconds until it resets."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            _("You are doing this too often. Try again in %(seconds)s seconds.")
            % {"seconds": retry_after}
        )
        self.retry_after = retry_after


def ratelimit_clock() -> int:
    """The limiter's clock, in whole seconds. Tests pin it (the root conftest): a window that
    ended halfway through a test's posts would let one more through."""
    return int(time.time())


def ratelimit_hit(scope: str, key: str, *, limit: int, window: int) -> int | None:
    """Counts one use; returns None when allowed, or the seconds to wait when over the limit."""
    now = ratelimit_clock()
    window_start = now // window * window
    cache_key = f"rl:{scope}:{key}:{window_start}"
    count = _count_one(cache_key, window_start + window - now)
    if count > limit:
        return max(1, window_start + window - now)
    return None


def _count_one(cache_key: str, remaining: int) -> int:
    """Adds one to the window's count, which expires with the window (``remaining`` seconds).

    Redis increments in place and keeps the expiry. Other caches (the database cache) increment
    with Django's generic get-then-set, which would also reset the expiry to the cache's default
    of five minutes: an hour's window (password resets, invitations, sign-in attempts) would then
    forget its count whenever someone paused for five minutes between tries. There the count is
    read and written back with the window's own expiry, one read and one write as before.
    """
    timeout = remaining + 5
    for _attempt in range(2):
        if isinstance(caches["default"], RedisCache):
            try:
                return int(cache.incr(cache_key))
            except ValueError:  # the window's first use (or its counter expired)
                pass
        else:
            count = cache.get(cache_key)
            if count is not None:
                cache.set(cache_key, int(count) + 1, timeout=timeout)
                return int(count) + 1
        if cache.add(cache_key, 1, timeout=timeout):
            return 1
        # Another request created it between the two calls: count on it.
    return 1


def ratelimit_used(scope: str, key: str, *, window: int) -> int:
    """How many uses the current window has counted so far, without counting one."""
    window_start = ratelimit_clock() // window * window
    return int(cache.get(f"rl:{scope}:{key}:{window_start}", 0))


def ratelimit_check(scope: str, key: str, *, limit: int, window: int) -> None:
    """Service-side form: raises RateLimited when over the limit."""
    wait = ratelimit_hit(scope, key, limit=limit, window=window)
    if wait is not None:
        raise RateLimited(wait)


def rate_limited_response(request: HttpRequest, retry_after: int) -> HttpResponse:
    message = _("You are doing this too often. Try again in %(seconds)s seconds.") % {
        "seconds": retry_after
    }
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": "rate_limited", "message": message}, status=429
        )
    else:
        html = render_to_string(
            "core/error.html", {"status": 429, "message": message}, request=request
        )
        response = HttpResponse(html, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limit(
    scope: str,
    *,
    limit: int,
    window: int,
    methods: tuple[str, ...] = ("POST",),
    key: Callable[[HttpRequest], str] | None = None,
) -> Callable[[ViewFunc], ViewFunc]:
    """Limits a view per signed-in user (or per client address) for the given methods."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method in methods:
                who = key(request) if key else _default_key(request)
                wait = ratelimit_hit(scope, who, limit=limit, window=window)
                if wait is not None:
                    return rate_limited_response(request, wait)
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def client_address(request: HttpRequest) -> str | None:
    """The address of whoever sent the request: one answer for lockouts, limits and the audit log.

    With ``TRUSTED_PROXY_COUNT`` = n proxies in front (``BEHIND_PROXY`` sets one), it is the n-th
    address from the right of X-Forwarded-For: the one our own outermost proxy appended. Entries
    further left were written by the client and could be forged to dodge a limit or to lock out
    someone else. Without a proxy the header is ignored and the socket's address is the answer.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= count:
            try:
                return str(ipaddress.ip_address(hops[-count]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or None


def _default_key(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return f"u{request.user.pk}"
    return "ip" + str(client_address(request) or "unknown")
