"""The PostgreSQL search backend's own machinery: generations swapped by a view, the journal of
writes made during a rebuild, rollback, repair of a dropped table, locks between nodes, and clear
errors. Its search behaviour is the shared suite in test_search.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psycopg
import pytest

from indexer.backends.postgres import (
    GENERATIONS,
    JOURNAL,
    PARALLEL_THRESHOLD,
    REBUILD_LOCK,
    SCHEMA_VERSION,
    STATE,
    WRITE_LOCK,
    PgSearchIndex,
)
from indexer.errors import IndexBusyError, IndexUnavailableError, RebuildError, SearchIndexError
from indexer.interface import SearchQuery
from tests.indexer.conftest import DICT_DIR, ROOT, record, seed_records

pytestmark = pytest.mark.postgres


def poll(condition, timeout: float) -> float:
    """Seconds until condition() held; fails the test past the deadline."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.01)
    return time.monotonic() - start


def tables(index: PgSearchIndex) -> list[str]:
    with psycopg.connect(index.url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE 'policylib_search%' ORDER BY 1"
        ).fetchall()
    return [r[0] for r in rows]


def sql(index: PgSearchIndex, query: str, *params: object) -> list[tuple]:
    with psycopg.connect(index.url, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def test_writes_made_during_a_rebuild_survive_the_swap(make_pg_index) -> None:
    index = make_pg_index()
    index.upsert(seed_records())
    other = make_pg_index()  # another node

    def records():
        for i, r in enumerate(seed_records()):
            if i == 3:  # a status change and a new record arrive mid-build
                other.upsert([record("doc:99", "新到的公积金文件", "正文")])
                other.upsert([record("doc:1", seed_records()[0].title, "正文", status="repealed")])
                other.delete(["doc:2"])
            yield r

    report = index.rebuild(records())
    assert report["count"] == 5
    assert index.search(SearchQuery(text="公积金")).total == 1
    assert index.count() == 5  # five built, one added, one deleted
    hits = index.search(SearchQuery(text="", include_all=True, per_page=50)).hits
    assert {h.id: h.status for h in hits}["doc:1"] == "repealed"
    assert "doc:2" not in {h.id for h in hits}
    assert sql(index, f"SELECT count(*) FROM {JOURNAL}") == [(0,)]


def test_rebuild_swaps_in_while_a_reader_on_another_node_searches(make_pg_index) -> None:
    live = make_pg_index()
    live.upsert(seed_records())
    reader = make_pg_index()
    stop = threading.Event()
    totals: list[int] = []
    errors: list[BaseException] = []

    def read() -> None:
        while not stop.is_set():
            try:
                totals.append(reader.search(SearchQuery(text="政务公开")).total)
            except BaseException as exc:
                errors.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        first = live.rebuild(seed_records(), expected_count=5)
        second = live.rebuild(seed_records()[:3], expected_count=3)
        poll(lambda: reader.search(SearchQuery(text="政务公开")).total == 3, timeout=1.0)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert totals and set(totals) <= {3, 5}  # never empty, never half-built
    assert first["count"] == 5 and second["count"] == 3
    assert second["size_bytes"] > 0 and second["previous"] == first["path"].split("#")[1]
    generations = [t for t in tables(live) if t.startswith("policylib_search_g2")]
    # the live one and the one kept for rollback, each with its word counts
    kept = {second["path"].split("#")[1], second["previous"]}
    assert generations == sorted(kept | {name + "_df" for name in kept})


def test_rollback_restores_the_previous_generation_on_every_node(make_pg_index) -> None:
    index = make_pg_index()
    index.rebuild(seed_records())
    index.rebuild(seed_records()[:2])
    assert index.count() == 2
    index.rollback()
    assert index.count() == 5
    assert make_pg_index().count() == 5  # another node reads the same view
    index.rollback()
    assert index.count() == 2


def test_rollback_without_a_previous_generation_says_so(make_pg_index) -> None:
    index = make_pg_index()
    index.upsert(seed_records())
    with pytest.raises(SearchIndexError, match="no previous search generation"):
        index.rollback()
    assert index.count() == 5


def test_rebuild_with_the_wrong_count_keeps_the_live_generation(make_pg_index) -> None:
    index = make_pg_index()
    index.upsert(seed_records())
    before, live = tables(index), index.info()["generation"]
    with pytest.raises(RebuildError, match="expected"):
        index.rebuild(seed_records()[:2], expected_count=5)
    assert index.count() == 5
    assert index.info()["generation"] == live
    assert tables(index) == before  # the half-built table is gone
    assert sql(index, f"SELECT building FROM {STATE}") == [(None,)]


def test_a_failure_just_before_the_swap_leaves_the_old_generation_live(make_pg_index) -> None:
    index = make_pg_index()
    index.rebuild(seed_records())
    live = index.info()["generation"]

    def crash() -> None:
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        index.rebuild(seed_records()[:1], before_swap=crash)
    assert index.info()["generation"] == live
    assert index.count() == 5


KILLED_BUILDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from indexer.backends.postgres import PgSearchIndex
    from tests.indexer.conftest import record
    index = PgSearchIndex({url!r}, dictionary_dir=Path({dict_dir!r}))
    def records():
        for i in range(50):
            yield record(f"doc:{{i}}", f"半途而废的第{{i}}号文件", "正文")
        Path({flag!r}).write_text("loading")
        time.sleep(600)
    index.rebuild(records())
    """
)


def test_a_rebuild_killed_mid_load_leaves_the_live_generation_and_is_cleaned_up(
    make_pg_index, tmp_path: Path
) -> None:
    index = make_pg_index()
    index.upsert(seed_records())
    live = index.info()["generation"]
    flag = tmp_path / "loading"
    script = KILLED_BUILDER.format(
        root=str(ROOT), url=index.url, dict_dir=str(DICT_DIR), flag=str(flag)
    )
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        poll(lambda: flag.exists() or proc.poll() is not None, timeout=60)
        assert proc.poll() is None, "the builder died before it was killed"
        assert sql(index, f"SELECT building IS NOT NULL FROM {STATE}") == [(True,)]
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    # The dead builder's lock goes with its connection, once the server has seen that connection
    # close (a moment after the kill): then writes no longer journal for it ...
    advisory = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    poll(lambda: sql(index, advisory) == [(0,)], timeout=30)
    index.upsert([record("doc:77", "杀掉之后写入的文件", "正文")])
    assert sql(index, f"SELECT count(*) FROM {JOURNAL}") == [(0,)]
    assert index.info()["generation"] == live and index.count() == 6
    # ... and the next rebuild (on any node) removes what it left and swaps in normally.
    report = make_pg_index().rebuild(seed_records(), expected_count=5)
    assert report["count"] == 5
    generations = [t for t in tables(index) if t.startswith("policylib_search_g2")]
    kept = {report["path"].split("#")[1], live}
    assert generations == sorted(kept | {name + "_df" for name in kept})


def test_a_second_rebuild_waits_for_the_first_and_then_says_busy(make_pg_index) -> None:
    index = make_pg_index(rebuild_timeout=0.3)
    index.upsert(seed_records())
    with psycopg.connect(index.url, autocommit=True) as other_node:
        other_node.execute("SELECT pg_advisory_lock(%s)", (REBUILD_LOCK,))
        started = time.monotonic()
        with pytest.raises(IndexBusyError, match="another node has been rebuilding"):
            index.rebuild(seed_records())
        assert time.monotonic() - started < 3
    assert index.rebuild(seed_records())["count"] == 5  # lock gone with that session


def test_a_write_waiting_past_the_bound_is_a_clear_error(make_pg_index) -> None:
    index = make_pg_index(write_timeout=0.3)
    index.count()
    with psycopg.connect(index.url) as swapping, swapping.transaction():
        swapping.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        with pytest.raises(IndexBusyError, match="try again"):
            index.upsert([record("doc:1", "标题", "正文")])
    index.upsert([record("doc:1", "标题", "正文")])
    assert index.count() == 1


def test_upsert_is_visible_to_another_process_within_a_second(
    make_pg_index, tmp_path: Path
) -> None:
    writer = make_pg_index()
    writer.upsert(seed_records())
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from indexer.backends.postgres import PgSearchIndex
        from indexer.interface import SearchQuery
        index = PgSearchIndex({writer.url!r}, dictionary_dir=Path({str(DICT_DIR)!r}))
        assert index.search(SearchQuery(text="宣汉县")).total >= 1
        print("ready", flush=True)
        sys.stdin.readline()
        start = time.monotonic()
        def seen():
            return [h.id for h in index.search(SearchQuery(text="宣汉县")).hits]
        while "doc:4" in seen():
            if time.monotonic() - start > 1.0:
                print("late", flush=True)
                sys.exit(1)
            time.sleep(0.01)
        print("seen", flush=True)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    repealed = seed_records()[3]
    repealed.status = "repealed"
    writer.upsert([repealed])
    proc.stdin.write("go\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.strip() == "seen"


def test_a_dropped_table_is_rebuilt_from_the_records_source(make_pg_index) -> None:
    source = seed_records()
    index = make_pg_index(records_source=lambda: (iter(source), len(source)))
    index.upsert(source)
    sql(index, f'DROP TABLE "{index.info()["generation"]}" CASCADE')
    fresh = make_pg_index(records_source=lambda: (iter(source), len(source)))  # another node
    assert fresh.search(SearchQuery(text="宣汉县政务公开")).hits[0].id == "doc:4"
    assert fresh.count() == 5


def test_a_dropped_table_without_a_source_is_a_clear_error(make_pg_index) -> None:
    index = make_pg_index()
    index.upsert(seed_records())
    sql(index, f'DROP TABLE "{index.info()["generation"]}" CASCADE')
    with pytest.raises(IndexUnavailableError, match="policylib reindex"):
        make_pg_index().search(SearchQuery(text="政务公开"))


def test_a_generation_of_another_schema_version_is_rebuilt(make_pg_index) -> None:
    source = seed_records()
    index = make_pg_index()
    index.upsert(source)
    sql(index, f"UPDATE {GENERATIONS} SET schema = 0")
    fresh = make_pg_index(records_source=lambda: (iter(source), len(source)))
    assert fresh.count() == 5
    assert fresh.info()["schema_version"] != 0


def test_a_generation_of_another_schema_version_is_replaced_by_a_rebuild_without_a_source(
    make_pg_index,
) -> None:
    """An upgrade's first rebuild (the bench, a node with no library behind it) must not demand
    the records source the repair would use: the rebuild replaces the stale generation."""
    index = make_pg_index()
    index.upsert(seed_records())
    sql(index, f"UPDATE {GENERATIONS} SET schema = 0")
    fresh = make_pg_index()
    assert fresh.rebuild(seed_records())["count"] == 5
    assert fresh.info()["schema_version"] == SCHEMA_VERSION
    assert fresh.search(SearchQuery(text="宣汉县政务公开")).hits[0].id == "doc:4"


def test_an_unreachable_server_is_a_clear_error() -> None:
    index = PgSearchIndex("postgresql+psycopg://nobody@127.0.0.1:1/none", write_timeout=2)
    with pytest.raises(IndexUnavailableError, match="cannot be reached.*POLICYLIB_DATABASE_URL"):
        index.search(SearchQuery(text="政务公开"))
    index.close()


def test_a_sqlite_url_is_refused_with_what_to_do() -> None:
    with pytest.raises(SearchIndexError, match="needs a PostgreSQL database URL"):
        PgSearchIndex("sqlite:////tmp/x.sqlite3")


def test_text_postgresql_cannot_store_is_made_storable(make_pg_index) -> None:
    """PostgreSQL text holds no NUL; a word with quotes or backslashes is still one lexeme."""
    index = make_pg_index()
    index.upsert(
        [
            record(
                "doc:1", "含\x00空字符的标题", "正文\x00之中\\还有'引号'和\\\\反斜杠 c++ o'neil"
            ),
            record("doc:2", "x" * 5000, "长词" + "y" * 3000),
        ]
    )
    assert index.search(SearchQuery(text="空字符")).hits[0].id == "doc:1"
    assert index.search(SearchQuery(text="o'neil")).hits[0].id == "doc:1"
    assert index.count() == 2


def test_a_big_rebuild_makes_its_rows_on_every_core(make_pg_index) -> None:
    n = PARALLEL_THRESHOLD + 50
    records = [record(f"doc:{i}", f"第{i}号管理办法", f"正文 编号{i} 住房公积金") for i in range(n)]
    records.append(record("doc:7", "重复的编号", "重复"))  # a duplicate id is skipped
    index = make_pg_index(procs=2)
    report = index.rebuild(records)
    assert report["count"] == n == index.count()
    assert index.search(SearchQuery(text="住房公积金")).total == n
    assert index.search(SearchQuery(text="第123号管理办法")).hits[0].id == "doc:123"


def test_info_reports_the_live_generation(make_pg_index) -> None:
    index = make_pg_index()
    index.rebuild(seed_records())
    info = index.info()
    assert info["backend"] == "postgres" and info["count"] == 5
    assert info["generation"].startswith("policylib_search_g")
    assert info["built_at"] and info["size_bytes"] > 0
    assert info["dictionary_changed"] is False and info["schema_version"] == SCHEMA_VERSION
    assert "@" not in info["path"] or ":" not in info["path"].split("@")[0].split("//")[1]
