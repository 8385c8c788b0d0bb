"""The shared search module, on SQLite here; PostgreSQL runs the same SQL in a throwaway cluster."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pollinate.core import search
from pollinate.core.search import (
    POSTGRES_QUERY,
    search_fold,
    search_ids,
    search_index,
    search_index_many,
    search_remove,
)


def test_folding_removes_accents_and_case_but_keeps_hangul_and_kana() -> None:
    assert search_fold("Qualité ÉLEVÉE Straße") == "qualite elevee strasse"
    assert "한국" in search_fold("한국어")
    assert "ガイ" in search_fold("ガイド")


def test_cjk_runs_become_overlapping_bigrams() -> None:
    assert search_fold("焊接质量").split() == ["焊接", "接质", "质量"]


@pytest.mark.django_db
def test_accented_words_are_found_without_accents_and_the_reverse() -> None:
    search_index("note", 1, title="Contrôle qualité", body="Réglage de la presse")
    search_index("note", 2, title="Unrelated", body="Nothing here")
    assert [i for i, _s in search_ids("note", "controle QUALITE")] == [1]
    assert [i for i, _s in search_ids("note", "réglage")] == [1]


@pytest.mark.django_db
def test_chinese_and_japanese_text_is_findable_by_a_word_inside_a_sentence() -> None:
    search_index("note", 1, title="焊接质量检查", body="每班开始前检查焊枪")
    search_index("note", 2, title="品質チェックの手順", body="")
    assert [i for i, _s in search_ids("note", "质量")] == [1]
    assert [i for i, _s in search_ids("note", "焊枪")] == [1]
    assert [i for i, _s in search_ids("note", "チェック")] == [2]
    assert search_ids("note", "检验") == []


@pytest.mark.django_db
def test_every_word_must_match_and_the_last_one_may_be_unfinished() -> None:
    search_index("note", 1, title="Torque wrench check", body="")
    search_index("note", 2, title="Torque limits", body="")
    assert [i for i, _s in search_ids("note", "torque wrench")] == [1]
    assert {i for i, _s in search_ids("note", "torq")} == {1, 2}


@pytest.mark.django_db
def test_title_matches_rank_above_body_matches() -> None:
    search_index("note", 1, title="Lubrication", body="Grease the press weekly")
    search_index("note", 2, title="Press setup", body="")
    assert search_ids("note", "press")[0][0] == 2


@pytest.mark.django_db
def test_kinds_do_not_leak_into_each_other() -> None:
    search_index("note", 1, title="Welding", body="")
    search_index("other", 1, title="Welding", body="")
    search_remove("other", 1)
    assert search_ids("other", "welding") == []
    assert [i for i, _s in search_ids("note", "welding")] == [1]


@pytest.mark.django_db
def test_reindexing_replaces_the_old_text() -> None:
    search_index("note", 1, title="Old words", body="")
    search_index("note", 1, title="New words", body="")
    assert search_ids("note", "old") == []
    assert [i for i, _s in search_ids("note", "new")] == [1]


@pytest.mark.django_db
def test_a_term_in_every_document_ranks_only_the_capped_newest_candidates(
    settings: object,
) -> None:
    settings.SEARCH_CANDIDATE_CAP = 25  # type: ignore[attr-defined]
    search_index_many("note", [(i, f"Safety note {i}", "safety first") for i in range(1, 201)])
    found = search_ids("note", "safety")
    assert len(found) == 25
    assert min(i for i, _s in found) > 175  # the newest documents, not a scan of the corpus


@pytest.mark.django_db
def test_the_cap_keeps_each_kinds_newest_matches_whatever_the_other_kinds_hold(
    settings: object,
) -> None:
    settings.SEARCH_CANDIDATE_CAP = 20  # type: ignore[attr-defined]
    search_index_many("big", [(i, f"Torque check {i}", "check the torque") for i in range(1, 151)])
    search_index_many("small", [(i, f"Torque check {i}", "torque") for i in range(1, 31)])
    search_index_many("big", [(i, f"Torque check {i}", "again") for i in range(151, 181)])
    assert sorted(i for i, _s in search_ids("small", "torque")) == list(range(11, 31))
    assert sorted(i for i, _s in search_ids("big", "torque")) == list(range(161, 181))
    assert sorted(i for i, _s in search_ids("big", "check torque")) == list(range(161, 181))


@pytest.mark.django_db
def test_a_title_holding_more_of_the_words_ranks_higher() -> None:
    search_index("note", 1, title="Torque", body="wrench calibration")
    search_index("note", 2, title="Torque wrench calibration", body="")
    search_index("note", 3, title="Calibration", body="torque wrench")
    search_index("note", 4, title="Notes", body="torque wrench calibration")
    ranked = [i for i, _s in search_ids("note", "torque wrench calibration")]
    assert ranked[0] == 2
    assert ranked[-1] == 4
    scores = dict(search_ids("note", "torque wrench calibration"))
    assert scores[1] == pytest.approx(scores[3])  # one word of three each; same title length


@pytest.mark.django_db
def test_an_unfinished_last_word_is_answered_from_the_prefix_index() -> None:
    from django.db import connection

    if connection.vendor == "sqlite":  # PostgreSQL's GIN index answers prefixes as it is
        with connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'core_search_fts'")
            assert "prefix='3 4 5 6 7 8'" in cursor.fetchone()[0]
    search_index("note", 1, title="Shift handover", body="")
    search_index("note", 2, title="Shiftwork rota", body="")
    search_index("note", 3, title="Shelf labels", body="")
    assert {i for i, _s in search_ids("note", "shif")} == {1, 2}


@pytest.mark.django_db(transaction=True)
def test_the_prefix_index_migration_keeps_every_indexed_document() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    search_index("note", 1, title="Kanban board", body="cards on the wall")
    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0003_task_run")])
    if connection.vendor == "sqlite":  # on PostgreSQL the migration changes nothing
        with connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'core_search_fts'")
            assert "prefix" not in cursor.fetchone()[0]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("core"))  # 0004 and every later one
    assert [i for i, _s in search_ids("note", "wall")] == [1]
    assert [i for i, _s in search_ids("note", "kanb")] == [1]


@pytest.mark.django_db
def test_hostile_query_syntax_is_treated_as_words() -> None:
    search_index("note", 1, title="Filter change", body="")
    for query in ['"', "NEAR(a b)", "title:filter", "* OR -", "')--", "a" * 500, ""]:
        search_ids("note", query)  # must not raise
    assert [i for i, _s in search_ids("note", 'filter" OR "x')] == []
    assert [i for i, _s in search_ids("note", "filter:")] == [1]


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on loopback (the benchmark's scale-out helper starts it)."""
    from pollinate.bench.services import postgres as postgres_cluster

    root = Path(tempfile.mkdtemp(prefix="pollinate-pg-"))
    root.chmod(0o755)  # as root the cluster runs as ``postgres``, which must enter it
    try:
        with postgres_cluster(root / "cluster" / "data") as cluster:
            yield cluster.url
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_postgres_full_text_finds_the_same_things(postgres: str) -> None:
    import psycopg

    documents = [
        (1, "Contrôle qualité de la presse", "Réglage hebdomadaire"),
        (2, "焊接质量检查", "每班开始前检查焊枪"),
        (3, "Torque wrench check", "six bolts"),
        (4, "Torque limits", ""),
    ]
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE core_searchdocument (id bigserial PRIMARY KEY, kind varchar(32),"
            " object_id bigint, text text, title text)"
        )
        conn.execute(
            "CREATE INDEX core_searchdocument_fts ON core_searchdocument"
            " USING GIN (to_tsvector('simple', text))"
        )
        for object_id, title, body in documents:
            folded = search_fold(title)
            conn.execute(
                "INSERT INTO core_searchdocument (kind, object_id, text, title)"
                " VALUES (%s, %s, %s, %s)",
                ["note", object_id, f"{folded} {search_fold(body)}", folded],
            )

        def ids(query: str) -> set[int]:
            tsquery = search._tsquery(search._terms(query))
            rows = conn.execute(POSTGRES_QUERY, ["note", tsquery, 100]).fetchall()
            return {int(row[0]) for row in rows}

        assert ids("controle QUALITE") == {1}
        assert ids("质量") == {2}
        assert ids("焊枪") == {2}
        assert ids("torque wrench") == {3}
        assert ids("torq") == {3, 4}
        assert ids("检验") == set()
        assert ids("')-- & |") == set()
