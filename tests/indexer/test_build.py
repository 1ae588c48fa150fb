"""The bulk build: several processes writing their own segments, and the lawref corpus."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from indexer.backends.whoosh_build import PARALLEL_THRESHOLD
from indexer.errors import RebuildError
from indexer.interface import SearchQuery
from tests.indexer.conftest import record


def test_parallel_build_holds_every_record_once(make_index) -> None:
    n = PARALLEL_THRESHOLD + 50
    records = [record(f"doc:{i}", f"第{i}号管理办法", f"正文 编号{i} 住房公积金") for i in range(n)]
    records.append(record("doc:7", "重复的编号", "重复"))  # a duplicate id is skipped, not doubled
    index = make_index(procs=2)
    report = index.rebuild(records)
    assert report["count"] == n
    assert index.count() == n
    gen = Path(report["path"])
    assert len(list(gen.glob("*.seg"))) >= 2  # one segment per worker process
    assert index.search(SearchQuery(text="住房公积金")).total == n
    assert index.search(SearchQuery(text="第123号管理办法")).hits[0].id == "doc:123"


@pytest.mark.corpus
@pytest.mark.slow
def test_lawref_sample_answers_everyday_questions(make_index, lawref: Path) -> None:
    """A real slice of the corpus: 600 files, the national ones first."""
    from parsers import parse_file

    wanted = {"工伤保险条例", "个人信息保护法", "浙江省工伤保险条例"}
    with (lawref / "metadata.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["path"]]
    sample = [r for r in rows if r["title"] in wanted] + [
        r for r in rows if "DLC" not in r["path"]
    ][:600]
    records = []
    for i, row in enumerate(sample):
        doc = parse_file(lawref / row["path"])
        records.append(
            record(
                f"doc:{i}",
                row["title"],
                doc.text,
                level=row["level"],
                status="expired" if row["expired"] == "1" else "valid",
                source_file=row["path"],
            )
        )
    index = make_index()
    index.rebuild(records, expected_count=len(records))
    # the national regulation before the provincial one when no province is named ...
    assert index.search(SearchQuery(text="工伤了怎么认定")).hits[0].title == "工伤保险条例"
    # ... and the provincial one first when it is
    assert index.search(SearchQuery(text="浙江工伤认定")).hits[0].title == "浙江省工伤保险条例"
    top = [h.title for h in index.search(SearchQuery(text="網上個人信息被洩露")).hits[:3]]
    assert "个人信息保护法" in top


def test_a_failing_writer_process_fails_the_rebuild_and_keeps_the_live_index(make_index) -> None:
    """A record the workers cannot index ends the rebuild with the worker's error (no hang);
    the index that was live stays live."""
    index = make_index(procs=2)
    index.rebuild([record("doc:1", "住房公积金管理办法", "住房公积金")])
    records = [record(f"doc:{i}", f"第{i}号管理办法", f"正文{i}") for i in range(2, 500)]
    records[300].body = 12345  # type: ignore[assignment]  # not a text: to_document fails
    with pytest.raises(RebuildError, match="TypeError"):
        index.rebuild(records)
    assert index.count() == 1
    assert index.search(SearchQuery(text="住房公积金")).hits[0].id == "doc:1"
