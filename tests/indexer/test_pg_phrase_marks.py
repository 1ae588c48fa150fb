"""Synonyms of several words marked in the PostgreSQL rows (`postgres_rows.PhraseMarks`): found
through the GIN index as one lexeme, with the same results as finding them by positions, and
still found by positions where a generation does not mark them (built before marks, or before the
synonym was added to synonyms.txt)."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from indexer.backends.postgres import GENERATIONS, VIEW, PgSearchIndex
from indexer.backends.postgres_rows import PHRASE_MARK, PhraseMarks, quote_lexeme
from tests.indexer.conftest import DICT_DIR, query, record, seed_records

pytestmark = pytest.mark.postgres

RECORDS = [
    record("doc:1", "甲规定", "卫生 " + "餐饮 另行 服务 " * 10, issuer="甲局"),
    record("doc:2", "乙规定", "检查 餐饮服务 " + "另行 条款 " * 14, issuer="乙局"),
    record("doc:3", "丙规定", "饭店 餐饮服务 " + "另行 条款 " * 14, issuer="乙局"),
    record("doc:4", "关于餐饮服务卫生的通知", "卫生检查 起诉 " * 3, issuer="丙局"),
    record("doc:5", "丁规定", "当事人可以依法提起诉讼。" * 4, issuer="丙局"),
    record("doc:6", "戊规定", "提起复议，或者诉讼。", issuer="丙局"),
    *seed_records(),
]
QUERIES = ["饭店", "饭店卫生", "餐馆卫生检查", "打官司", "想起诉", "餐厅 政务公开"]


def marked_rows(index: PgSearchIndex, alt: str) -> list[str]:
    """Ids of the live rows whose head or body carries the marker of `alt`."""
    lexeme = quote_lexeme(PHRASE_MARK + alt)
    with psycopg.connect(index.url) as conn:
        rows = conn.execute(
            f"SELECT id FROM {VIEW} WHERE head_tsv @@ %s::tsquery OR body_tsv @@ %s::tsquery"
            " ORDER BY id",
            (lexeme, lexeme),
        ).fetchall()
    return [r[0] for r in rows]


def answers(index: PgSearchIndex) -> list[tuple]:
    out = []
    for text in QUERIES:
        found = index.search(query(text, per_page=50))
        hits = [(h.id, round(h.score, 3)) for h in found.hits]
        out.append((text, found.total, hits, found.facets["issuer"]))
    return out


def test_marked_phrases_are_found_and_ranked_as_by_positions(make_pg_index) -> None:
    index = make_pg_index()
    index.rebuild(RECORDS)
    assert marked_rows(index, "餐饮服务") == ["doc:2", "doc:3", "doc:4"]
    assert marked_rows(index, "提起诉讼") == ["doc:5"]  # doc:6 has the words apart
    marked = answers(index)
    with psycopg.connect(index.url, autocommit=True) as conn:
        conn.execute(f"UPDATE {GENERATIONS} SET phrases = NULL")  # as built before marks
    by_positions = answers(make_pg_index())  # another node, reading the generation afresh
    assert marked == by_positions
    assert [h for text, _, h, _ in marked if text == "打官司"][0][0][0] == "doc:5"


def test_a_synonym_added_after_the_build_is_found_until_a_rebuild_marks_it(
    make_pg_index, tmp_path: Path
) -> None:
    words = tmp_path / "dict"
    shutil.copytree(DICT_DIR, words)
    url = make_pg_index().url
    made: list[PgSearchIndex] = []

    def node() -> PgSearchIndex:
        made.append(PgSearchIndex(url, dictionary_dir=words))
        return made[-1]

    try:
        records = [
            record("doc:1", "甲规定", "支持网上办理各类事项。"),
            record("doc:2", "乙规定", "网上公布，线下办理。"),
        ]
        node().rebuild(records)
        with (words / "synonyms.txt").open("a", encoding="utf-8") as out:
            out.write("\n一网通办 网上办理\n")
        index = node()
        assert "网上办理" in PhraseMarks.of(index.analyzer).phrases
        assert marked_rows(index, "网上办理") == []
        assert index.info()["dictionary_changed"] is True  # the weekly reindex rebuilds
        assert [h.id for h in index.search(query("一网通办")).hits] == ["doc:1"]
        index.upsert([record("doc:3", "丙规定", "可网上办理。")])  # rows as the generation marks
        assert marked_rows(index, "网上办理") == []
        assert sorted(h.id for h in index.search(query("一网通办")).hits) == ["doc:1", "doc:3"]
        index.rebuild([*records, record("doc:3", "丙规定", "可网上办理。")])
        assert marked_rows(index, "网上办理") == ["doc:1", "doc:3"]
        assert index.info()["dictionary_changed"] is False
        assert sorted(h.id for h in node().search(query("一网通办")).hits) == ["doc:1", "doc:3"]
    finally:
        for index in made:
            index.close()


def test_marks_are_where_the_words_stand_at_their_offsets() -> None:
    marks = PhraseMarks({"提起诉讼": (("提起", 0), ("诉讼", 2)), "个税": (("个", 0), ("税", 1))})
    tokens = [("依法", 0, 2), ("提起", 2, 4), ("诉讼", 4, 6), ("提起", 9, 11), ("诉讼", 12, 14)]
    assert marks.found(tokens) == {PHRASE_MARK + "提起诉讼": [2]}
    assert marks.found([("个", 5, 6), ("税", 6, 7), ("个", 8, 9)]) == {PHRASE_MARK + "个税": [5]}
    assert marks.marker("提起诉讼", [("提起", 0), ("诉讼", 2)]) == "⁂提起诉讼"
    # the dictionary now splits the synonym otherwise: these rows do not mark what is asked
    assert marks.marker("提起诉讼", [("提", 0), ("起诉", 1), ("讼", 3)]) is None
    assert PhraseMarks.from_json(marks.to_json()) == marks
    assert marks.covers(PhraseMarks({"个税": (("个", 0), ("税", 1))}))
    assert not PhraseMarks.from_json(None).covers(marks)
    assert PhraseMarks.from_json(None).found(tokens) == {}
