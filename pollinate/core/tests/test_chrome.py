"""The page chrome (base.html): built once per language where it can be, per request elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import reverse

from pollinate.people.models import Person

BASE = Path(__file__).resolve().parents[2] / "templates" / "base.html"
ONCE = re.compile(r"{% once_per_language %}(.*?){% endonce_per_language %}", re.S)


def _nav_link(html: str, label: str) -> str:
    match = re.search(rf"<li><a href=\"[^\"]*\"[^>]*>{label}</a></li>", html)
    assert match, label
    return match.group(0)


def test_what_base_html_renders_once_per_language_depends_on_nothing_else() -> None:
    blocks = ONCE.findall(BASE.read_text(encoding="utf-8"))
    assert len(blocks) >= 6
    for block in blocks:
        for per_request in ("request", "csrf", "person", "user", "messages", "block "):
            assert per_request not in block, (per_request, block)
        # Variables: only the language menu's own loop.
        assert set(re.findall(r"{{\s*(\w+)", block)) <= {"code", "name"}, block


def test_each_language_gets_its_own_chrome_and_the_first_is_not_reused(
    as_client, bob: Person
) -> None:
    client = as_client(bob)
    english = client.get("/people/").content.decode()
    assert "Skip to content" in english and "Sign out" in english
    bob.interface_language = "fr"
    bob.save(update_fields=["interface_language"])
    french = client.get("/people/").content.decode()
    assert "Aller au contenu" in french and "Se déconnecter" in french
    assert "Sign out" not in french
    assert '<option value="fr" selected>' in french
    bob.interface_language = "en"
    bob.save(update_fields=["interface_language"])
    again = client.get("/people/").content.decode()
    assert "Sign out" in again and '<option value="en" selected>' in again


def test_the_current_section_is_marked_in_the_navigation(as_client, bob: Person) -> None:
    client = as_client(bob)
    people = client.get("/people/").content.decode()
    assert 'aria-current="page"' in _nav_link(people, "People")
    assert "aria-current" not in _nav_link(people, "Practices")
    practices = client.get("/practices/").content.decode()
    assert 'aria-current="page"' in _nav_link(practices, "Practices")
    assert "aria-current" not in _nav_link(practices, "People")


def test_each_request_keeps_its_own_token_and_return_path(as_client, bob: Person) -> None:
    client = as_client(bob)
    first = client.get("/people/?page=2").content.decode()
    assert 'name="next" value="/people/?page=2"' in first
    second = client.get("/practices/").content.decode()
    assert 'name="next" value="/practices/"' in second
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', second)
    assert len(tokens) == 2  # sign-out and language forms, each with the request's token
    assert tokens[0] not in first  # masked afresh per request, never a cached one


def test_only_staff_see_the_admin_link(as_client, bob: Person, admin: Person) -> None:
    link = f'<li><a href="{reverse("admin:index")}">Admin</a></li>'
    assert link not in as_client(bob).get("/people/").content.decode()
    assert link in as_client(admin).get("/people/").content.decode()


def test_every_help_text_a_field_points_to_is_on_the_page(as_client, bob: Person) -> None:
    client = as_client(bob)
    for path in ("/practices/new/", "/questions/ask/"):
        html = client.get(path).content.decode()
        described = {
            name
            for names in re.findall(r'aria-describedby="([^"]+)"', html)
            for name in names.split()
        }
        helps = {name for name in described if name.endswith("_helptext")}
        assert helps, path  # these forms have help texts
        for name in helps:
            assert f'id="{name}"' in html, (path, name)
