"""The digest email as written directly: valid MIME for any name, language and line length."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from typing import Any

import pytest
from django.core.mail import BadHeaderError

from pollinate.core.testing import SmtpInbox
from pollinate.digests.models import DigestKind, Frequency
from pollinate.digests.services import Digest, Entry, Section, digest_message
from pollinate.people.models import Site
from pollinate.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _digest(person: Any, title: str) -> Digest:
    start, end = datetime(2026, 11, 15, 23, tzinfo=UTC), datetime(2026, 11, 22, 23, tzinfo=UTC)
    section = Section(
        DigestKind.EPISODES,
        "",
        [Entry(title, "https://pollinate.example/curation/1/#episode-1", "épisode 1")],
    )
    return Digest(person, Frequency.WEEKLY, start, end, [section])


def test_a_french_digest_with_accents_and_markup_in_names_parses_back_intact(
    site_a: Site,
) -> None:
    person = PersonFactory(site=site_a, display_name="Zoë <Ødegaard>", interface_language="fr")
    title = "Réglage & contrôle <du couple>"

    raw = digest_message(_digest(person, title)).message().as_bytes(linesep="\r\n")

    parsed = message_from_bytes(raw, policy=email_policy.default)
    assert parsed["To"] == person.user.email
    assert parsed["Subject"]  # RFC 2047-encoded when not ASCII; decodes cleanly
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "Zoë <Ødegaard>" in text and title in text
    assert "Zoë &lt;Ødegaard&gt;" in html
    assert "Réglage &amp; contrôle &lt;du couple&gt;" in html
    assert "<du couple>" not in html
    assert 'lang="fr"' in html
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")


def test_an_overlong_line_is_sent_quoted_printable_and_arrives_whole(
    smtp: SmtpInbox, site_a: Site
) -> None:
    person = PersonFactory(site=site_a)
    title = "Torque " * 200  # one 1,400-character line: too long for 8bit SMTP

    digest_message(_digest(person, title.strip())).send()

    [message] = smtp.wait_for(1)
    assert title.strip() in message.get_body(("plain",)).get_content()
    assert message.get_body(("html",))["Content-Transfer-Encoding"] == "quoted-printable"


def test_a_newline_smuggled_into_an_address_is_refused(site_a: Site) -> None:
    person = PersonFactory(site=site_a)
    person.user.email = "bob@example.org\r\nBcc: everyone@example.org"

    with pytest.raises((BadHeaderError, ValueError)):  # refused either way, never sent
        digest_message(_digest(person, "Torque")).message()
