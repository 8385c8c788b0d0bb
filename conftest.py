"""Named personas every app's tests share.

- ``alice``: site lead at Lyon (``site_a``)        - ``bob``: member at Lyon
- ``charlie``: member at Porto (``site_b``)        - ``dana``: coach at Porto
- ``mod``: organisation-wide moderator at Porto    - ``editor``: editor at Lyon
- ``admin``: administrator (staff) at Lyon
Every persona's password is ``PASSWORD``.
"""

from __future__ import annotations

import os

os.environ.setdefault("POLLINATE_TESTING", "1")

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from pollinate.core.testing import CHROMIUM_ARGS, SmtpInbox, chromium_path, smtp_server
from pollinate.people.models import Person, RoleName, Site
from pollinate.people.tests.factories import (
    PersonFactory,
    RoleFactory,
    SiteFactory,
    UserFactory,
)

# Property tests assert outcomes, not speed: on a shared 2-core machine generation can be slow, so
# neither per-example deadlines nor the too-slow health check may fail a build.
hypothesis_settings.register_profile(
    "pollinate", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "pollinate"))

PASSWORD = "correct-horse-battery"  # noqa: S105 -- test persona password


@pytest.fixture(autouse=True)
def _isolated_media(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")  # type: ignore[attr-defined,operator]


@pytest.fixture(autouse=True)
def _empty_process_caches() -> None:
    """What each process keeps for itself (pollinate/core/process_caches.py) outlives a test's
    rolled-back rows, whose ids the next test reuses: every test starts without it."""
    from pollinate.core.process_caches import process_caches_clear

    process_caches_clear()


def _commits(request: pytest.FixtureRequest) -> bool:
    """Whether the test writes for real, as pytest-django decides it (live servers commit too)."""
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames
        for name in ("transactional_db", "live_server", "django_db_reset_sequences")
    )


@pytest.fixture(autouse=True)
def _shared_cache_emptied_after_commits(
    request: pytest.FixtureRequest, django_db_blocker: Any
) -> Iterator[None]:
    """The shared cache is a database table that Django's flush after a committing test leaves
    alone: counts, dashboards and rate limits that test stored would meet whichever tests this
    xdist worker runs next. Other tests roll their cache rows back with everything else."""
    yield
    if _commits(request):
        from django.core.cache import cache

        with django_db_blocker.unblock():  # still the test database: it lives for the session
            cache.clear()


@pytest.fixture(autouse=True)
def _pinned_ratelimit_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate limits count in fixed windows of the wall clock; a test posting up to a limit must
    not see its window end halfway (one CI run did, and the post over the limit went through).
    The limiter's clock stands still in every test; tests of the window itself move it."""
    import time

    from pollinate.core import ratelimit

    pinned = int(time.time())
    monkeypatch.setattr(ratelimit, "ratelimit_clock", lambda: pinned)


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    """Each test starts in the default language: a request in French must not leave the test
    process speaking French to the next test (the locale middleware activates per thread)."""
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def site_a(db: None) -> Site:
    return SiteFactory(
        name="Lyon Plant",
        code="lyon",
        country="FR",
        time_zone="Europe/Paris",
        languages=["fr", "en"],
    )


@pytest.fixture
def site_b(db: None) -> Site:
    return SiteFactory(
        name="Porto Plant",
        code="porto",
        country="PT",
        time_zone="Europe/Lisbon",
        languages=["pt", "en"],
    )


def _persona(
    name: str,
    site: Site,
    *,
    role: str | None = None,
    staff: bool = False,
    languages: list[str] | None = None,
) -> Person:
    user = UserFactory(email=f"{name}@example.com", is_staff=staff, is_superuser=False)
    person = PersonFactory(
        user=user,
        display_name=name.capitalize(),
        site=site,
        time_zone=site.time_zone,
        languages=languages or ["en"],
    )
    if role is not None:
        RoleFactory(person=person, role=role, site=site if role == RoleName.SITE_LEAD else None)
    return person


@pytest.fixture
def alice(site_a: Site) -> Person:
    return _persona("alice", site_a, role=RoleName.SITE_LEAD, languages=["fr", "en"])


@pytest.fixture
def bob(site_a: Site) -> Person:
    return _persona("bob", site_a, languages=["fr"])


@pytest.fixture
def charlie(site_b: Site) -> Person:
    return _persona("charlie", site_b, languages=["pt", "en"])


@pytest.fixture
def dana(site_b: Site) -> Person:
    return _persona("dana", site_b, role=RoleName.COACH, languages=["pt", "en"])


@pytest.fixture
def mod(site_b: Site) -> Person:
    return _persona("mod", site_b, role=RoleName.MODERATOR)


@pytest.fixture
def editor(site_a: Site) -> Person:
    return _persona("editor", site_a, role=RoleName.EDITOR)


@pytest.fixture
def admin(site_a: Site) -> Person:
    return _persona("admin", site_a, role=RoleName.ADMINISTRATOR, staff=True)


def client_for(person: Person) -> Client:
    client = Client()
    client.force_login(person.user, backend="pollinate.people.backends.MemberBackend")
    return client


@pytest.fixture
def as_client() -> object:
    """``as_client(bob)`` returns a test client signed in as that persona."""
    return client_for


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpInbox]:
    """A real SMTP server on loopback; Django's mail goes to it over the network."""
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = inbox.host
        settings.EMAIL_PORT = inbox.port
        settings.EMAIL_USE_TLS = False
        yield inbox


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (one per test module).

    Module scope, not session: Playwright's sync API keeps an event loop running in this thread
    while the browser is open, which would break asyncio.run() in later non-browser tests.
    """
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as the pages' actions do (set_default_timeout(10_000) below and in
    # the tests), not Playwright's 5 s, on a 2-core machine shared by two xdist workers.
    expect.set_options(timeout=10_000)

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by tests
    # alongside it are synchronous and safe here. Only while the browser is open: later modules
    # keep Django's check against ORM calls from async code, whichever modules ran before.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        launched = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh phone-sized browser page (360×740) pointed at the live server."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        base_url=live_server.url,
        locale="en-GB",
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(page: Any, person: Person, password: str = PASSWORD) -> None:
    """Signs a persona in through the real sign-in form."""
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(person.user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
