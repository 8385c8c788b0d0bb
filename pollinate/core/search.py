"""The one full-text search module every app registers with.

An app indexes its objects with ``search_index(kind, object_id, title=..., body=...)`` inside the
transaction that writes them, removes them with ``search_remove``, and asks for candidates with
``search_ids(kind, query)``: a list of ``(object_id, relevance)`` best first, which the app then
filters by access and blends with its own quality signals.

- SQLite (default): an FTS5 table; PostgreSQL (``settings.IS_POSTGRES``): ``to_tsvector('simple')``
  over a GIN expression index. Both receive text folded here, so they behave the same:
- accents and case are folded (``Qualité`` finds ``qualite``), compatibility forms normalised;
- CJK runs are indexed as overlapping bigrams, so ``焊接`` is found inside ``焊接质量检查``;
- candidates are capped (``SEARCH_CANDIDATE_CAP``): a term present in most documents ranks only the
  newest matches instead of the whole corpus, so no query is pathological.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from pollinate.core.models import SearchDocument

MAX_QUERY_TOKENS = 8
MAX_INDEXED_CHARS = 20_000

_CJK_RUN = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\u31f0-\u31ff]+"
)
_COMBINING_ACCENTS = re.compile("[\u0300-\u036f]")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SearchKind:
    kind: str
    # Yields (object_id, title, body) for every object, for ``manage.py search_rebuild``.
    documents: Callable[[], Iterable[tuple[int, str, str]]]


_registry: dict[str, SearchKind] = {}


def search_register(kind: str, *, documents: Callable[[], Iterable[tuple[int, str, str]]]) -> None:
    _registry[kind] = SearchKind(kind=kind, documents=documents)


def search_kinds() -> dict[str, SearchKind]:
    return dict(_registry)


def _bigrams(run: str) -> str:
    if len(run) == 1:
        return run
    return " ".join(run[i : i + 2] for i in range(len(run) - 1))


def search_fold(text: str) -> str:
    """Case- and accent-folded text with CJK runs split into bigrams (index and query alike)."""
    # Only Latin-style combining accents are dropped: Hangul and kana marks must survive (NFC
    # recomposes Hangul syllables that NFKD took apart).
    decomposed = _COMBINING_ACCENTS.sub("", unicodedata.normalize("NFKD", text))
    folded = unicodedata.normalize("NFC", decomposed).casefold()
    return _CJK_RUN.sub(lambda match: f" {_bigrams(match.group())} ", folded)


@dataclass(frozen=True)
class _Term:
    lexemes: tuple[str, ...]  # one lexeme, or a CJK phrase of adjacent bigrams
    prefix: bool


def _terms(query: str) -> list[_Term]:
    folded = unicodedata.normalize(
        "NFC", _COMBINING_ACCENTS.sub("", unicodedata.normalize("NFKD", query))
    ).casefold()
    terms: list[_Term] = []
    position = 0
    for match in _CJK_RUN.finditer(folded):
        terms += [_Term((word,), False) for word in _WORD.findall(folded[position : match.start()])]
        run = match.group()
        terms.append(_Term(tuple(_bigrams(run).split()), len(run) == 1))
        position = match.end()
    terms += [_Term((word,), False) for word in _WORD.findall(folded[position:])]
    terms = terms[:MAX_QUERY_TOKENS]
    if terms and len(terms[-1].lexemes) == 1 and len(terms[-1].lexemes[0]) >= 3:
        # As-you-type: the last word may be unfinished. Short prefixes would match half the index.
        terms[-1] = _Term(terms[-1].lexemes, True)
    return terms


def _fts5_query(terms: list[_Term]) -> str:
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.lexemes) + '"'
        parts.append(phrase + ("*" if term.prefix else ""))
    return "{title body} : (" + " AND ".join(parts) + ")"


def _tsquery(terms: list[_Term]) -> str:
    parts = []
    for term in terms:
        lexemes = [f"'{lexeme}'" + (":*" if term.prefix else "") for lexeme in term.lexemes]
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


# The newest ``cap`` matches with their folded titles; both databases rank them alike in Python.
# PostgreSQL: the GIN expression index finds the matches.
POSTGRES_QUERY = (
    "SELECT d.object_id, d.title FROM core_searchdocument d"
    " WHERE d.kind = %s AND to_tsvector('simple', d.text) @@ to_tsquery('simple', %s)"
    " ORDER BY d.id DESC LIMIT %s"
)
# SQLite: FTS5 walks the matches newest row first and stops at the cap. No bm25: it reads the
# whole posting list of every phrase for its statistics, which for the ``kind`` phrase is every
# document of the kind (5–9 ms over 228k practices whatever the words, 20 ms for "shift"). The
# candidates are ranked by how much of the query their title holds (``_title_relevance``);
# apps blend that with their own quality signals. The prefix index (migration 0004) answers
# an unfinished last word from one list instead of merging every word that starts with it.
SQLITE_QUERY = (
    "SELECT d.object_id, m.title FROM ("
    "  SELECT rowid AS doc_id, title FROM core_search_fts WHERE core_search_fts MATCH %s"
    "  ORDER BY rowid DESC LIMIT %s"
    ") m JOIN core_searchdocument d ON d.id = m.doc_id"
)
TITLE_WEIGHT = 3.0  # a title holding every word outranks a body-only match by this much


def _title_relevance(terms: list[_Term], title: str) -> float:
    """1 for a match in the body only, up to 1 + TITLE_WEIGHT when the title holds every word.

    Shorter titles rank a little higher among equals: the words are more of what they are about.
    """
    words = title.split()
    present = set(words)
    joined = f" {title} "
    held = 0
    for term in terms:
        if len(term.lexemes) > 1:
            held += f" {' '.join(term.lexemes)} " in joined
        elif term.prefix:
            held += any(word.startswith(term.lexemes[0]) for word in words)
        else:
            held += term.lexemes[0] in present
    return 1.0 + TITLE_WEIGHT * held / len(terms) + 1.0 / (4 + len(words))


def search_index(kind: str, object_id: int, *, title: str, body: str = "") -> None:
    """Adds or replaces one object's text; call it inside the transaction that wrote the object."""
    search_index_many(kind, [(object_id, title, body)])


def search_index_many(kind: str, rows: Iterable[tuple[int, str, str]]) -> None:
    """Adds or replaces many objects' text at once (demo data, rebuilds), 500 at a time."""
    batch: list[tuple[int, str, str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == 500:
            _index_batch(kind, batch)
            batch = []
    if batch:
        _index_batch(kind, batch)


def _index_batch(kind: str, rows: list[tuple[int, str, str]]) -> None:
    folded = [
        (int(object_id), search_fold(title), search_fold(body[:MAX_INDEXED_CHARS]))
        for object_id, title, body in rows
    ]
    if not folded:
        return
    ids = [row[0] for row in folded]
    existing = dict(
        SearchDocument.objects.filter(kind=kind, object_id__in=ids).values_list("object_id", "id")
    )
    is_postgres = settings.IS_POSTGRES
    new = [
        SearchDocument(
            kind=kind,
            object_id=object_id,
            text=f"{title} {body}" if is_postgres else "",
            title=title if is_postgres else "",
        )
        for object_id, title, body in folded
        if object_id not in existing
    ]
    SearchDocument.objects.bulk_create(new, batch_size=500)
    if is_postgres:
        for object_id, title, body in folded:
            if object_id in existing:
                SearchDocument.objects.filter(pk=existing[object_id]).update(
                    text=f"{title} {body}", title=title
                )
        return
    existing.update(
        SearchDocument.objects.filter(
            kind=kind, object_id__in=[doc.object_id for doc in new]
        ).values_list("object_id", "id")
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            "DELETE FROM core_search_fts WHERE rowid = %s", [(existing[i],) for i in ids]
        )
        cursor.executemany(
            "INSERT INTO core_search_fts (rowid, kind, title, body) VALUES (%s, %s, %s, %s)",
            [(existing[object_id], kind, title, body) for object_id, title, body in folded],
        )


def search_remove(kind: str, object_id: int) -> None:
    document = SearchDocument.objects.filter(kind=kind, object_id=object_id).first()
    if document is None:
        return
    if not settings.IS_POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_search_fts WHERE rowid = %s", [document.pk])
    document.delete()


def search_ids(kind: str, query: str, *, limit: int | None = None) -> list[tuple[int, float]]:
    """Object ids matching every word of ``query``, most relevant first (higher is better).

    At most ``limit`` (default ``SEARCH_CANDIDATE_CAP``) candidates are ranked: the newest matches,
    so a word in half the corpus costs the same as a rare one.
    """
    terms = _terms(query[:200])
    if not terms:
        return []
    cap = limit or settings.SEARCH_CANDIDATE_CAP
    with connection.cursor() as cursor:
        if settings.IS_POSTGRES:
            cursor.execute(POSTGRES_QUERY, [kind, _tsquery(terms), cap])
        else:
            phrase = f'kind : "{kind}" AND ' + _fts5_query(terms)
            cursor.execute(SQLITE_QUERY, [phrase, cap])
        rows = [
            (int(object_id), _title_relevance(terms, title))
            for object_id, title in cursor.fetchall()
        ]
    rows.sort(key=lambda row: row[1], reverse=True)
    return rows


def search_rebuild(kinds: Iterable[str] | None = None) -> dict[str, int]:
    """Re-indexes registered kinds from their source rows; returns how many documents each has."""
    counts: dict[str, int] = {}
    for kind in kinds or list(_registry):
        registered = _registry[kind]
        batch: list[tuple[int, str, str]] = []
        counts[kind] = 0
        for row in registered.documents():
            batch.append(row)
            if len(batch) >= 1000:
                search_index_many(kind, batch)
                counts[kind] += len(batch)
                batch = []
        search_index_many(kind, batch)
        counts[kind] += len(batch)
    return counts
