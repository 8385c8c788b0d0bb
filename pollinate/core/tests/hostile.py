"""Hostile-input helpers: the payload corpus and the judges that say whether markup can execute.

``executable_markup`` parses a page as a browser would tokenise it (``html.parser``) and lists what
could run script: ``<script>`` that is not one of our static files, event-handler attributes,
``javascript:``/``vbscript:``/``data:`` URLs, embedding elements and ``<style>`` outside ``<head>``.
The page's own markup passes (our scripts are external files under ``STATIC_URL``, CSP forbids the
rest), so anything it reports came from user text.
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings

CORPUS_FILE = Path(__file__).with_name("xss_corpus.txt")

# Links a browser would run: for URL fields (a practice's video, a curated outside link).
HOSTILE_URLS = (
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
)


def payloads() -> list[str]:
    """The corpus, one payload a line; ``\\n`` and ``\\r`` in the file stand for line breaks."""
    lines = CORPUS_FILE.read_text(encoding="utf-8").splitlines()
    return [
        line.replace("\\r", "\r").replace("\\n", "\n")
        for line in lines
        if line and not line.startswith("#")
    ]


URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "cite",
    "ping",
    "srcset",
    "lowsrc",
    "dynsrc",
}
EMBEDDING_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}
SAFE_DATA_URL = re.compile(r"^data:image/(png|jpeg|gif|webp)[;,]")
# Browsers drop ASCII tab and newlines anywhere in a URL and leading C0 controls and spaces.
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")


def dangerous_url(value: str) -> bool:
    """Whether a browser following or loading this URL would run script or render a document."""
    url = _URL_NOISE.sub("", value).lower()
    if url.startswith(("javascript:", "vbscript:", "livescript:")):
        return True
    return url.startswith("data:") and not SAFE_DATA_URL.match(url)


class _Judge(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self.in_head = False
        self.in_script = False
        self.script_is_file = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "head":
            self.in_head = True
        elif tag == "body":
            self.in_head = False
        if tag == "script":
            self.in_script = True
            src = values.get("src", "")
            data_block = values.get("type", "") == "application/json"
            self.script_is_file = src.startswith(settings.STATIC_URL) and not data_block
            if not data_block and not self.script_is_file:
                self.findings.append(f"<script {values}>")
        if tag in EMBEDDING_TAGS:
            self.findings.append(f"<{tag} {values}>")
        if tag == "style" and not self.in_head:
            self.findings.append("<style> outside <head>")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.findings.append(f"<meta refresh {values}>")
        for name, value in values.items():
            if name.startswith("on") or (name in URL_ATTRIBUTES and dangerous_url(value)):
                self.findings.append(f"<{tag} {name}={value!r}>")
            elif name == "style" and re.search(r"url\(|expression|javascript:", value, re.I):
                self.findings.append(f"<{tag} style={value!r}>")
            elif name == "srcdoc":
                self.findings.append(f"<{tag} srcdoc>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        # Our scripts are files; code inside one of their tags is never ours.
        if self.in_script and self.script_is_file and data.strip():
            self.findings.append(f"inline script {data.strip()[:60]!r}")


def executable_markup(html: str) -> list[str]:
    """Everything in an HTML document or fragment that could execute script; [] when safe."""
    judge = _Judge()
    judge.feed(html)
    judge.close()
    return judge.findings


# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_cells(text: str) -> list[str]:
    """Cells of a CSV document that a spreadsheet would evaluate as formulas."""
    return [
        cell
        for row in csv.reader(io.StringIO(text))
        for cell in row
        if cell.startswith(FORMULA_START) and not _number(cell)
    ]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
