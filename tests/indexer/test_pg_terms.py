"""The word counts the PostgreSQL backend keeps per generation (`postgres_terms`) stay exactly
what counting the rows gives, through every kind of write, rebuild, rollback and upgrade; and a
generation built before they were kept gets them on first use."""

from __future__ import annotations

import threading

import psycopg
import pytest

from indexer.backends.postgres import GENERATIONS, PgSearchIndex
from indexer.backends.postgres_terms import terms_table
from indexer.interface import SearchQuery
from tests.indexer.conftest import record, seed_records

pytestmark = pytest.mark.postgres


def live_generation(index: PgSearchIndex) -> str:
    return index.info()["generation"]


def kept(index: PgSearchIndex, generation: str) -> tuple[dict, tuple]:
    """The counts kept for `generation`: ({word: (head, body)} without zeros, totals)."""
    with psycopg.connect(index.url) as conn:
        words = conn.execute(
            f'SELECT word, head, body FROM "{terms_table(generation)}" WHERE head <> 0 OR body <> 0'
        ).fetchall()
        totals = conn.execute(
            f"SELECT count, title_words, body_words FROM {GENERATIONS} WHERE name = %s",
            (generation,),
        ).fetchone()
    return {w: (h, b) for w, h, b in words}, tuple(totals)


def counted(index: PgSearchIndex, generation: str) -> tuple[dict, tuple]:
    """The same figures counted from the rows themselves."""
    out: dict[str, list[int]] = {}
    with psycopg.connect(index.url) as conn:
        for part, column in enumerate(("head_tsv", "body_tsv")):
            for word, ndoc in conn.execute(
                f"SELECT word, ndoc FROM ts_stat('SELECT {column} FROM \"{generation}\"')"
            ):
                out.setdefault(word, [0, 0])[part] = ndoc
        totals = conn.execute(
            "SELECT count(*), coalesce(sum(title_words), 0), coalesce(sum(body_words), 0) "
            f'FROM "{generation}"'
        ).fetchone()
    return {w: tuple(v) for w, v in out.items()}, tuple(totals)


def assert_exact(index: PgSearchIndex, generation: str | None = None) -> None:
    generation = generation or live_generation(index)
    words, totals = kept(index, generation)
    assert words, "no word counts kept"
    assert (words, totals) == counted(index, generation)


def test_counts_follow_new_replaced_and_deleted_records(make_pg_index) -> None:
    index = make_pg_index()
    index.upsert(seed_records())
    assert_exact(index)
    index.upsert([record("doc:1", "关于住房公积金提取的通知", "公积金 提取 办理 公积金")])
    index.upsert([record("doc:7", "新到的公积金文件", "正文"), record("doc:7", "重复一次", "再来")])
    index.delete(["doc:2", "doc:404"])
    assert_exact(index)
    assert kept(index, live_generation(index))[1][0] == index.count() == 5


def test_counts_of_a_rebuild_include_the_writes_replayed_from_its_journal(make_pg_index) -> None:
    index = make_pg_index()
    index.upsert(seed_records())
    other = make_pg_index()  # another node writes while the rebuild reads

    def records():
        for i, r in enumerate(seed_records()):
            if i == 2:
                other.upsert([record("doc:99", "新到的公积金文件", "公积金 正文")])
                other.upsert([record("doc:1", "改过的标题", "改过的正文")])
                other.delete(["doc:3"])
            yield r

    index.rebuild(records())
    assert index.search(SearchQuery(text="公积金")).total == 1
    assert_exact(index)


def test_writers_on_two_nodes_at_once_keep_the_counts_exact(make_pg_index) -> None:
    first, second = make_pg_index(), make_pg_index()
    first.upsert(seed_records())
    errors: list[BaseException] = []

    def write(index: PgSearchIndex, tag: str) -> None:
        try:
            for n in range(15):  # the same ids from both nodes, replaced again and again
                index.upsert([record(f"doc:{n % 4}", f"{tag}标题{n}", f"{tag}正文 公积金 {n}")])
                if n % 5 == 4:
                    index.delete([f"doc:{n % 4}"])
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=(i, t)) for i, t in ((first, "甲"), (second, "乙"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_exact(first)


def test_a_generation_without_counts_gets_them_on_first_use(make_pg_index) -> None:
    old = make_pg_index()
    old.upsert(seed_records())
    generation = live_generation(old)
    before = [h.id for h in old.search(SearchQuery(text="政务公开")).hits]
    with psycopg.connect(old.url) as conn:  # as a version that kept no counts left it
        conn.execute(f'DROP TABLE "{terms_table(generation)}"')
        conn.execute(f"UPDATE {GENERATIONS} SET title_words = NULL, body_words = NULL")
    fresh = make_pg_index()  # a node started after the upgrade
    assert [h.id for h in fresh.search(SearchQuery(text="政务公开")).hits] == before
    assert_exact(fresh, generation)


def test_rolling_back_to_a_generation_without_counts_makes_them(make_pg_index) -> None:
    index = make_pg_index()
    index.rebuild(seed_records())
    previous = live_generation(index)
    index.rebuild(seed_records()[:2])
    with psycopg.connect(index.url) as conn:
        conn.execute(f'DROP TABLE "{terms_table(previous)}"')
    index.rollback()
    assert index.search(SearchQuery(text="政务公开")).total >= 1
    assert_exact(index, previous)
