from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client
from django.utils import translation
from PIL import Image

from pollinate.core.images import image_reencode
from pollinate.core.markdown import plain_text, render_markdown
from pollinate.env import env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[3]


def test_settings_helpers_read_typed_values_and_fail_loudly(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 0) == 42
    assert env_list("X_LIST", []) == ["a", "b", "c"]
    monkeypatch.setenv("X_INT", "forty")
    with pytest.raises(ImproperlyConfigured, match="X_INT"):
        env_int("X_INT", 0)
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL"):
        env_bool("X_BOOL", False)
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_str("X_SECRET", "") == "from-a-file"


def test_healthz_is_green_when_the_database_answers(client: Client, db) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_red_when_the_database_fails(client: Client, db, monkeypatch) -> None:
    from django.db.backends.utils import CursorWrapper

    def broken(*args: object, **kwargs: object) -> None:
        raise OperationalError("database is unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", broken)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_pages_answer_503_with_a_human_message_when_the_database_fails(
    as_client, bob, monkeypatch
) -> None:
    from django.db.backends.utils import CursorWrapper

    client = as_client(bob)
    client.raise_request_exception = False

    def broken(*args: object, **kwargs: object) -> None:
        raise OperationalError("unable to open database file")

    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", broken)
        response = client.get("/people/")
    assert response.status_code == 503
    page = response.content.decode()
    assert "Nothing you saved before is lost" in page
    # The content security policy allows no inline styles, so the page uses the stylesheet.
    assert " style=" not in page and "pollinate" in page and ".css" in page


def test_unknown_pages_and_api_paths_are_404s_without_a_stack_trace(client: Client, db) -> None:
    page = client.get("/no/such/page/")
    assert page.status_code == 404 and "Traceback" not in page.content.decode()
    api = client.get("/api/no/such/thing")
    assert api.status_code == 404


def test_security_headers_are_sent(client: Client, db) -> None:
    response = client.get("/sign-in/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_markdown_is_rendered_and_scripts_are_removed() -> None:
    html = render_markdown(
        "**Torque** to 12 Nm <script>alert(1)</script> [x](javascript:alert(1)) "
        '<img src=x onerror="alert(1)">'
    )
    assert "<strong>Torque</strong>" in html
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "<img" not in html


def test_plain_text_excerpts_are_short_and_tag_free() -> None:
    text = plain_text("# Title\n\nSome *long* text " * 40, limit=50)
    assert len(text) <= 50 and "<" not in text and text.endswith("…")


def _upload(data: bytes, name: str = "x.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def test_images_are_re_encoded_under_a_random_name_without_metadata() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 1000), "blue").save(buffer, format="JPEG")
    result = image_reencode(_upload(buffer.getvalue(), "holiday.jpg"))
    assert result.name.endswith(".jpg") and "holiday" not in result.name
    with Image.open(io.BytesIO(result.read())) as image:
        assert max(image.size) == 2000
        assert not image.info.get("exif")


def test_a_renamed_non_image_is_refused_by_content() -> None:
    with translation.override("en"), pytest.raises(ValidationError, match="not an image"):
        image_reencode(_upload(b"%PDF-1.4 not an image", "photo.png"))


def test_an_oversized_upload_is_refused_with_its_size(settings) -> None:
    settings.UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="limit"):
        image_reencode(_upload(b"0" * 4096))


def test_the_production_profile_passes_check_deploy() -> None:
    env = {
        **os.environ,
        "SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "learning.example.com",
        "HTTPS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "DEBUG": "false",
        "POLLINATE_TESTING": "",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECRET_KEY", "POLLINATE_"))}
    result = subprocess.run(
        [sys.executable, "-c", "import pollinate.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_an_oversized_upload_is_refused_before_its_body_is_read(as_client, bob) -> None:
    client = as_client(bob)
    response = client.generic(
        "POST",
        "/me/",
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(500 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_password_reset_requests_are_rate_limited_per_address(client: Client, bob) -> None:
    for _attempt in range(5):
        assert client.post("/password/reset/", {"email": "bob@example.com"}).status_code == 302
    limited = client.post("/password/reset/", {"email": "bob@example.com"})
    assert limited.status_code == 429
    assert "too often" in limited.content.decode()
    assert int(limited["Retry-After"]) > 0


def test_an_id_beyond_64_bits_is_not_found_on_pages_and_invalid_in_the_api(as_client, bob) -> None:
    client = as_client(bob)
    huge = 2**70
    page = client.get(f"/questions/{huge}/")
    assert page.status_code == 404
    answer = client.post(
        "/api/questions/",
        {"title": "How do you stop coolant foaming?", "topic_ids": [huge]},
        content_type="application/json",
    )
    # SQLite cannot hold such a number (422 from the handler); PostgreSQL compares it and finds no
    # topic. Either way, no server error.
    assert answer.status_code in {201, 422}
    if answer.status_code == 422:
        assert answer.json()["code"] == "invalid"


def test_a_nul_character_in_an_api_body_is_refused_as_bad_input(as_client, bob) -> None:
    # PostgreSQL cannot store NUL in text; found by schemathesis on the PostgreSQL run.
    client = as_client(bob)
    for body in (
        {"title": "How do you stop\x00 coolant foaming?"},
        {"title": "How do you stop coolant foaming?", "equipment": ["Press\x0012"]},
    ):
        answer = client.post("/api/questions/", body, content_type="application/json")
        assert answer.status_code == 400
        assert answer.json()["code"] == "bad_request"
    from pollinate.questions.models import Question

    assert not Question.objects.exists()
