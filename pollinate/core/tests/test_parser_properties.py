"""Property-based fuzzing of every path that parses what people type or upload (issue 10, item 3).

The Markdown pipeline, plain-text excerpts, search queries, image uploads and the iCalendar
writers get generated input — arbitrary Unicode, Markdown built from its own syntax, and the XSS
corpus mixed into both — and must never raise an unexpected error nor emit executable markup.
Run longer with ``HYPOTHESIS_PROFILE=fuzz`` (see docs/security.md).
"""

from __future__ import annotations

import io
import os
from datetime import timedelta

import nh3
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from PIL import Image

from pollinate.core.images import image_reencode
from pollinate.core.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_SCHEMES,
    ALLOWED_TAGS,
    MAX_MARKDOWN_CHARS,
    plain_text,
    render_markdown,
)
from pollinate.core.search import search_fold, search_ids, search_index
from pollinate.core.tests.hostile import executable_markup, payloads

settings.register_profile("fuzz", parent=settings.get_profile("pollinate"), max_examples=20_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "pollinate"))

CORPUS = payloads()
# Markdown's own syntax, so generated text exercises links, images, code, tables and nesting.
SYNTAX = st.sampled_from(
    [
        "[", "]", "(", ")", "<", ">", "!", "*", "_", "`", "```", "~~", "#", "> ", "- ", "1. ",
        "|", "---", "\n", "\n\n", "    ", "&", "&#", ";", "\\", '"', "'", ":", "javascript",
        "data", "http://", "mailto:", "<a ", "<img ", "<script", "on", "=", "x", " ",
    ]
)  # fmt: skip
MARKDOWN = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(SYNTAX, st.sampled_from(CORPUS), st.text(max_size=8)), max_size=60).map(
        "".join
    ),
)
FAST = settings(max_examples=300)


def _sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


@FAST
@given(MARKDOWN)
def test_rendered_markdown_never_carries_executable_markup(text: str) -> None:
    html = str(render_markdown(text))
    assert executable_markup(html) == []


@FAST
@given(MARKDOWN)
def test_rendered_markdown_is_a_fixed_point_of_the_sanitiser(text: str) -> None:
    """Sanitising again changes nothing: the allow-list, not luck, shaped the output."""
    html = str(render_markdown(text))
    assert _sanitise(html) == html


@FAST
@given(MARKDOWN, st.integers(min_value=1, max_value=500))
def test_plain_text_is_short_single_line_text_without_tags(text: str, limit: int) -> None:
    excerpt = plain_text(text, limit=limit)
    assert len(excerpt) <= limit
    assert "\n" not in excerpt and excerpt == excerpt.strip()
    # Whatever it contains is text: once escaped by a template it parses to no element at all.
    assert executable_markup(excerpt.replace("<", "&lt;")) == []


@FAST
@given(
    st.text(alphabet=st.characters(categories=["L", "N"]) | st.sampled_from("&<>\"' "), max_size=80)
)
def test_plain_text_of_ordinary_words_is_the_words_unescaped(text: str) -> None:
    """No entities leak out: "Fish & chips" stays "Fish & chips" (templates escape it once)."""
    text = "Words " + text  # a line may not start with ">", Markdown's quote marker
    assert plain_text(text, limit=1000) == " ".join(text.split())


def test_rendering_is_bounded_by_the_input_cap() -> None:
    long = "a" * (MAX_MARKDOWN_CHARS + 10_000)
    assert len(str(render_markdown(long))) < MAX_MARKDOWN_CHARS + 100
    nested = "> " * 5_000 + "[x](javascript:alert(1))"  # deep nesting must not recurse forever
    assert executable_markup(str(render_markdown(nested))) == []


@FAST
@given(st.text(max_size=200))
def test_search_folding_never_raises_and_is_idempotent_word_for_word(text: str) -> None:
    # CJK runs are padded with spaces each time, so only the words are a fixed point.
    folded = search_fold(text)
    assert search_fold(folded).split() == folded.split()


@pytest.mark.django_db
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.one_of(st.text(max_size=120), st.sampled_from(CORPUS), MARKDOWN))
def test_any_search_query_is_answered_without_a_database_error(query: str) -> None:
    search_index("hostile.kind", 1, title="Edger changeover", body="Keep the blade sharp")
    results = search_ids("hostile.kind", query)
    assert all(object_id == 1 for object_id, _score in results)


def _upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@FAST
@given(
    st.one_of(
        st.binary(max_size=4096),
        # A real image with bytes flipped or cut: the parser's error paths, not only its front door.
        st.tuples(st.integers(0, 2000), st.binary(min_size=1, max_size=16)).map(
            lambda cut: _png(16, 16)[: cut[0]] + cut[1]
        ),
        st.sampled_from([b"GIF89a" + b"<script>alert(1)</script>", b"<svg onload=alert(1)>"]),
    )
)
def test_image_uploads_of_random_bytes_are_refused_or_reencoded_cleanly(data: bytes) -> None:
    try:
        encoded = image_reencode(_upload(data))
    except ValidationError as refused:
        codes = {"too_large", "bad_format", "too_many_pixels", "not_an_image"}
        assert refused.code in codes  # noqa: PT017 -- refusing is one of two right outcomes
        return
    # Accepted: it is a fresh JPEG or PNG, never the uploaded bytes.
    assert encoded.read(8)[:3] in (b"\xff\xd8\xff", b"\x89PN")


@pytest.mark.django_db
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.one_of(st.text(max_size=160), st.sampled_from(CORPUS)), description=MARKDOWN)
def test_calendar_files_hold_exactly_one_event_whatever_the_title(
    title: str, description: str
) -> None:
    """Line breaks in a title must be escaped, never start a new property or event."""
    from pollinate.chats.ical import chats_to_ical
    from pollinate.chats.tests.factories import ChatFactory

    def event_of(title: str, description: str) -> list[object]:
        chat = ChatFactory.build(
            pk=1,
            title=title,
            description=description,
            starts_at=timezone.now(),
            ends_at=timezone.now() + timedelta(hours=1),
        )
        return list(Calendar.from_ical(chats_to_ical([chat], name="Chats")).walk("VEVENT"))

    events = event_of(title[:160], description)
    plain = event_of("Changeover", "Bring gloves")
    assert len(events) == 1
    assert set(events[0].keys()) == set(plain[0].keys())
