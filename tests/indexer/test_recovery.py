"""An index that cannot be opened or read is rebuilt from the records source, and says so."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from indexer.backends.whoosh import SearchIndex
from indexer.errors import IndexUnavailableError
from indexer.interface import SearchQuery
from tests.indexer.conftest import query, seed_records


def source() -> tuple[list, int]:
    records = seed_records()
    return records, len(records)


def live_generation(path: Path) -> Path:
    return path / (path / "CURRENT").read_text().strip()


def truncate_segments(gen: Path) -> None:
    for seg in gen.glob("*.seg"):
        data = seg.read_bytes()
        seg.write_bytes(data[: len(data) // 3])


def garble_toc(gen: Path) -> None:
    for toc in gen.glob("_MAIN_*.toc"):
        toc.write_bytes(b"\x80\x04garbage" + bytes(range(256)) * 4)


def garble_segment_middles(gen: Path) -> None:
    for seg in gen.glob("*.seg"):
        data = bytearray(seg.read_bytes())
        for i in range(len(data) // 4, len(data) - 64, 97):
            data[i] ^= 0xFF
        seg.write_bytes(bytes(data))


def delete_segments(gen: Path) -> None:
    for seg in gen.glob("*.seg"):
        seg.unlink()


@pytest.mark.parametrize(
    "damage", [truncate_segments, garble_toc, garble_segment_middles, delete_segments]
)
def test_damaged_index_is_rebuilt_from_the_records_source(
    make_index, damage, caplog: pytest.LogCaptureFixture
) -> None:
    first = make_index()
    first.upsert(seed_records())
    first.close()
    damage(live_generation(first.path))

    repaired = make_index(records_source=source)
    with caplog.at_level(logging.WARNING, logger="policylib.indexer"):
        results = repaired.search(query("宣府办〔2023〕41号"))
    assert results.hits[0].id == "doc:4"
    assert repaired.count() == 5
    messages = [r.getMessage() for r in caplog.records if r.name == "policylib.indexer"]
    assert any("index unreadable" in m for m in messages), messages
    assert any("rebuilt after corruption" in m for m in messages), messages


def test_damaged_index_without_a_source_is_a_clear_error(make_index) -> None:
    first = make_index()
    first.upsert(seed_records())
    first.close()
    truncate_segments(live_generation(first.path))
    broken = make_index()
    with pytest.raises(IndexUnavailableError, match="policylib index rebuild"):
        broken.search(SearchQuery(text="政务公开"))


def test_a_write_to_a_damaged_index_repairs_it_and_lands(make_index) -> None:
    from tests.indexer.conftest import record

    first = make_index()
    first.upsert(seed_records())
    first.close()
    garble_toc(live_generation(first.path))
    repaired = make_index(records_source=source)
    repaired.upsert([record("doc:9", "住房公积金提取办法", "正文")])
    assert repaired.count() == 6
    assert "doc:9" in [h.id for h in repaired.search(SearchQuery(text="公积金提取")).hits]


def test_missing_pointer_with_generations_left_is_repaired(make_index) -> None:
    first = make_index()
    first.upsert(seed_records())
    first.close()
    (first.path / "CURRENT").unlink()
    assert make_index(records_source=source).count() == 5


def test_index_of_another_schema_version_is_rebuilt(make_index) -> None:
    first = make_index()
    first.upsert(seed_records()[:2])
    first.close()
    meta = live_generation(first.path) / "policylib.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "schema": -1}))
    assert make_index(records_source=source).count() == 5


def test_bug_in_a_query_is_not_mistaken_for_damage(make_index, monkeypatch) -> None:
    import indexer.backends.whoosh as index_module

    calls: list[int] = []

    def count_source() -> tuple[list, int]:
        calls.append(1)
        return source()

    index = make_index(records_source=count_source)
    index.upsert(seed_records())

    def broken(*args: object) -> None:
        raise KeyError("a bug in ranking")

    monkeypatch.setattr(index_module, "run_search", broken)
    with pytest.raises(KeyError):
        index.search(SearchQuery(text="政务公开"))
    assert calls == []  # no rebuild for a bug


def test_info_reports_the_live_generation(make_index) -> None:
    index: SearchIndex = make_index()
    index.rebuild(seed_records())
    info = index.info()
    assert info["count"] == 5
    assert info["built_at"] and info["size_bytes"] > 0
    assert Path(info["path"]) == live_generation(index.path)
    assert info["dictionary_changed"] is False
