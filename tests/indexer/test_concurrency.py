"""Several writers at once (threads and processes), readers seeing writes within a second, and
rebuilds swapped in under a reader's feet."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from indexer.backends.whoosh import SearchIndex
from indexer.errors import IndexBusyError
from indexer.interface import SearchQuery
from indexer.locks import FileLock
from tests.indexer.conftest import DICT_DIR, ROOT, record, seed_records


def poll(condition, timeout: float) -> float:
    """Seconds until condition() held; fails the test past the deadline."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.01)
    return time.monotonic() - start


def test_threads_writing_at_once_never_see_lock_errors(make_index, tmp_path: Path) -> None:
    shared = make_index()
    shared.count()  # create the index before the race
    others = [make_index() for _ in range(3)]  # separate objects on the same path
    errors: list[BaseException] = []

    def write(index: SearchIndex, prefix: str) -> None:
        try:
            for i in range(8):
                index.upsert([record(f"doc:{prefix}{i}", f"养老服务 {prefix} {i}", "正文")])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(shared, f"s{t}")) for t in range(5)]
    threads += [threading.Thread(target=write, args=(o, f"o{t}")) for t, o in enumerate(others)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert shared.count() == 8 * 8
    assert shared.search(SearchQuery(text="养老服务", per_page=100)).total == 64


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from indexer.backends.whoosh import SearchIndex
    from indexer.records import IndexRecord
    index = SearchIndex(Path({path!r}), dictionary_dir=Path({dict_dir!r}))
    go = Path({go!r})
    deadline = time.monotonic() + 30
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    for i in range(12):
        index.upsert([IndexRecord(id=f"doc:{{sys.argv[1]}}-{{i}}", kind="document",
                                  title=f"进程写入 {{i}}", body="正文", status="valid")])
    index.close()
    """
)


def test_two_processes_writing_at_once_never_see_lock_errors(make_index, tmp_path: Path) -> None:
    index = make_index()
    index.count()
    go = tmp_path / "go"
    script = WRITER.format(root=str(ROOT), path=str(index.path), dict_dir=str(DICT_DIR), go=str(go))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, name], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for name in ("a", "b")
    ]
    go.touch()
    for i in range(12):  # and this process writes too
        index.upsert([record(f"doc:main-{i}", f"进程写入 {i}", "正文")])
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err.decode()
        assert b"LockError" not in err
    poll(lambda: index.count() == 36, timeout=1.0)


def test_waiting_past_the_bound_is_a_clear_error(make_index) -> None:
    index = make_index(write_timeout=0.3)
    index.count()
    with FileLock(index.path / "write.lock", timeout=1):
        started = time.monotonic()
        with pytest.raises(IndexBusyError, match="another writer held"):
            index.upsert([record("doc:1", "标题", "正文")])
        assert time.monotonic() - started < 2
    index.upsert([record("doc:1", "标题", "正文")])  # free again: the write goes through
    assert index.count() == 1


def test_upsert_is_visible_to_another_index_object_within_a_second(make_index) -> None:
    writer, reader = make_index(), make_index()
    writer.upsert(seed_records())
    assert reader.search(SearchQuery(text="宣汉县")).total >= 1  # reader open and warm

    def found() -> list[str]:
        return [h.id for h in reader.search(SearchQuery(text="住房公积金提取")).hits]

    assert "doc:9" not in found()
    writer.upsert([record("doc:9", "新增的住房公积金提取办法", "正文")])
    poll(lambda: "doc:9" in found(), timeout=1.0)
    # a status change leaves the default view within a second too
    writer.upsert([record("doc:9", "新增的住房公积金提取办法", "正文", status="repealed")])
    poll(lambda: "doc:9" not in found(), timeout=1.0)
    hits = reader.search(SearchQuery(text="住房公积金提取", include_all=True)).hits
    assert {h.id: h.status for h in hits}["doc:9"] == "repealed"


def test_upsert_is_visible_to_a_reader_in_another_process_within_a_second(
    make_index, tmp_path: Path
) -> None:
    writer = make_index()
    writer.upsert(seed_records())
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from indexer.backends.whoosh import SearchIndex
        from indexer.interface import SearchQuery
        index = SearchIndex(Path({str(writer.path)!r}), dictionary_dir=Path({str(DICT_DIR)!r}))
        assert index.search(SearchQuery(text="宣汉县")).total >= 1
        print("ready", flush=True)
        sys.stdin.readline()
        start = time.monotonic()
        def seen():
            hits = index.search(SearchQuery(text="公积金提取")).hits
            return any(h.id == "doc:9" for h in hits)
        while not seen():
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
    writer.upsert([record("doc:9", "住房公积金提取办法", "正文")])
    proc.stdin.write("go\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.strip() == "seen"


def test_rebuild_swaps_in_while_a_reader_searches(make_index) -> None:
    live = make_index()
    live.upsert(seed_records())
    reader = make_index()
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
    assert {"count", "seconds", "size_bytes", "path"} <= set(second)
    assert second["size_bytes"] > 0 and Path(second["path"]).is_dir()
    gens = sorted(p.name for p in live.path.iterdir() if p.name.startswith("gen-"))
    assert len(gens) == 2  # the live one and the one kept for rollback


def test_rollback_restores_the_previous_generation(make_index) -> None:
    index = make_index()
    index.rebuild(seed_records())
    index.rebuild(seed_records()[:2])
    assert index.count() == 2
    index.rollback()
    assert index.count() == 5
    other = make_index()
    assert other.count() == 5  # the pointer on disk moved, not just this object
    index.rollback()  # and back again
    assert index.count() == 2


def test_rollback_without_a_previous_generation_says_so(make_index) -> None:
    index = make_index()
    index.upsert(seed_records())
    with pytest.raises(Exception, match="no previous index"):
        index.rollback()
    assert index.count() == 5


def test_writes_made_during_a_rebuild_survive_the_swap(make_index) -> None:
    index = make_index()
    index.upsert(seed_records())
    other = make_index()

    def records():
        for i, r in enumerate(seed_records()):
            if i == 3:  # a status change and a new record arrive mid-build
                other.upsert([record("doc:99", "新到的公积金文件", "正文")])
                other.delete(["doc:2"])
            yield r

    report = index.rebuild(records())
    assert report["count"] == 5
    assert index.search(SearchQuery(text="公积金")).total == 1
    assert index.count() == 5  # five built, one added, one deleted
    assert not (index.path / "journal").exists()


def test_rebuild_with_the_wrong_count_keeps_the_live_index(make_index) -> None:
    from indexer.errors import RebuildError

    index = make_index()
    index.upsert(seed_records())

    def state() -> list[str]:
        return sorted(p.name for p in index.path.iterdir() if not p.name.endswith(".lock"))

    before = state()
    with pytest.raises(RebuildError, match="expected"):
        index.rebuild(seed_records()[:2], expected_count=5)
    assert index.count() == 5
    assert state() == before  # no half-built generation left behind, pointer unchanged


def test_a_failure_just_before_the_swap_leaves_the_old_generation_live(make_index) -> None:
    index = make_index()
    index.rebuild(seed_records())
    live = (index.path / "CURRENT").read_text()

    def crash() -> None:
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        index.rebuild(seed_records()[:1], before_swap=crash)
    assert (index.path / "CURRENT").read_text() == live
    assert index.count() == 5
