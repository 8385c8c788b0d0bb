"""Malicious markup through every field that renders user text never reaches the page as markup."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from pollinate.people.models import Person
from pollinate.people.tests.factories import PersonFactory, SiteFactory
from pollinate.practices import services

PAYLOADS = [
    "<script>alert('xss-1')</script>",
    "<img src=x onerror=\"alert('xss-2')\">",
    "[click](javascript:alert('xss-3'))",
    "<a href=\"javascript:alert('xss-4')\">x</a>",
    "<svg onload=alert('xss-5')>",
    '"><iframe src="javascript:alert(\'xss-6\')"></iframe>',
    "![x](javascript:alert('xss-7'))",
    "<details open ontoggle=alert('xss-8')>",
    "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgneHNzLTknKTwvc2NyaXB0Pg==)",
    "<style>body{background:url(javascript:alert('xss-10'))}</style>",
]
DANGEROUS_TAGS = {"script", "iframe", "svg", "style", "object", "embed", "math"}


class _Inspector(HTMLParser):
    """Collects live markup that could run script: tags, on* handlers, script URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            cleaned = (value or "").strip().lower().replace(" ", "")
            if name in {"href", "src", "action", "formaction"} and cleaned.startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                self.problems.append(f"{tag}[{name}={value}]")


def _assert_clean(html: str) -> None:
    inspector = _Inspector()
    inspector.feed(html)
    assert inspector.problems == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_every_practice_field_render_inert(
    as_client: Any, alice: Person, charlie: Person, payload: str
) -> None:
    practice = services.practice_create(
        actor=alice,
        title=f"T {payload}",
        problem=payload,
        steps=payload,
        evidence=payload,
        metric_unit=payload[:40],
        metric_before=1,
        metric_after=2,
        language="en",
    )
    adapted = services.practice_adapt(
        actor=charlie,
        source=practice,
        title=f"A {payload}",
        adaptation_note=payload,
        steps=payload,
        outcome=services.Outcome(text=payload, positive=True),
    )
    services.comment_create(actor=charlie, practice=practice, body=payload)
    practice.tags.add(services.tag_get_or_create(name=f"tag {payload}"[:80], kind="equipment"))
    services.adoption_record(
        actor=PersonFactory(site=SiteFactory(name=f"Site {payload}"[:120])),
        practice=practice,
        status="dropped",
        outcome=services.Outcome(text=payload, reason=payload, metric_unit=payload[:40]),
    )
    client = as_client(charlie)
    for url in (
        practice.get_absolute_url(),
        adapted.get_absolute_url(),
        "/practices/",
        f"/practices/?q={payload[:30]}",
        f"/practices/{practice.pk}/history/1/",
        f"/practices/{practice.pk}/print/",
        f"/practices/sites/{practice.site.code}/qr/",
        "/practices/mine/",
        "/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        start = body.index('<main id="main"')
        _assert_clean(body[start : body.index("</main>")])


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "ftp://files.example/video.mp4", "data:text/html,x"]
)
def test_the_form_refuses_a_video_link_that_is_not_a_web_address(link: str) -> None:
    from pollinate.practices.forms import PracticeForm

    form = PracticeForm(data={"title": "Shadow board", "video_url": link})
    assert not form.is_valid()
    assert "video_url" in form.errors
