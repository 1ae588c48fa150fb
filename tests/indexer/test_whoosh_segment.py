"""The bulk segment writer writes what Whoosh's own writer writes, posting for posting."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index

from indexer.analyzer import Analyzer
from indexer.backends.whoosh_segment import BulkSegmentWriter, encode_positions
from indexer.schema import build_schema, to_document
from tests.indexer.conftest import DICT_DIR, record, seed_records


def _records() -> list:
    """The seeds (traditional text with converter litter, 文号, dates) plus short records that
    share words, so terms have postings from many documents, some past one block (128)."""
    extra = [
        record(
            f"doc:{100 + i}",
            f"住房公积金管理办法第{i}号",
            "住房公积金 缴存 提取。" * (1 + i % 7) + f"编号{i} 第{i}条",
            issuer="市住房公积金管理中心" if i % 2 else None,
            extra_terms=["公积金怎么提取"] if i % 3 == 0 else [],
        )
        for i in range(150)
    ]
    return seed_records() + extra


def _build(directory: Path, records: list, bulk: bool, limitmb: int = 128) -> index.FileIndex:
    schema = build_schema(Analyzer(DICT_DIR))
    directory.mkdir()
    ix = index.create_in(str(directory), schema)
    writer = BulkSegmentWriter(ix, limitmb=limitmb) if bulk else ix.writer(limitmb=limitmb)
    for rec in records:
        writer.add_document(**to_document(rec))
    writer.commit()
    return index.open_dir(str(directory), schema=schema)


def _contents(ix: index.FileIndex) -> dict:
    """Everything a search can read: every term's statistics and postings (ids, weights,
    encoded positions), stored fields, field lengths and columns."""
    with ix.reader() as reader:
        terms = {}
        for fieldname, text in reader.all_terms():
            info = reader.term_info(fieldname, text)
            matcher = reader.postings(fieldname, text)
            postings = []
            while matcher.is_active():
                postings.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            terms[(fieldname, text)] = (
                info.weight(),
                info.doc_frequency(),
                info.min_length(),
                info.max_length(),
                info.max_weight(),
                info.min_id(),
                info.max_id(),
                postings,
            )
        schema = ix.schema
        docs = range(reader.doc_count_all())
        return {
            "terms": terms,
            "stored": list(reader.all_stored_fields()),
            "lengths": {f: [reader.doc_field_length(d, f) for d in docs] for f in schema.names()},
            "columns": {
                f: list(reader.column_reader(f)) for f in schema.names() if schema[f].column_type
            },
        }


@pytest.mark.parametrize("limitmb", [128, 1], ids=["in memory", "sorted runs on disk"])
def test_bulk_writer_writes_what_whoosh_writes(tmp_path: Path, limitmb: int) -> None:
    records = _records()
    stock = _contents(_build(tmp_path / "stock", records, bulk=False, limitmb=limitmb))
    bulk = _contents(_build(tmp_path / "bulk", records, bulk=True, limitmb=limitmb))
    assert len(stock["terms"]) > 1000
    assert max(len(t[-1]) for t in stock["terms"].values()) > 128  # more than one block
    assert bulk["terms"] == stock["terms"]
    assert bulk["stored"] == stock["stored"]
    assert bulk["lengths"] == stock["lengths"]
    assert bulk["columns"] == stock["columns"]


def test_runs_on_disk_are_used_and_removed(tmp_path: Path) -> None:
    """A tiny memory limit makes the writer spill sorted runs; they are merged and deleted."""
    schema = build_schema(Analyzer(DICT_DIR))
    ix = index.create_in(str(tmp_path), schema)
    writer = BulkSegmentWriter(ix, limitmb=0)
    for rec in _records()[:20]:
        writer.add_document(**to_document(rec))
    assert len(writer._runs) >= 19  # one run per document at limit 0
    writer.commit()
    assert not list(tmp_path.glob("*.tmp/*"))
    assert index.open_dir(str(tmp_path)).doc_count() == 20


@pytest.mark.parametrize("found", [[0], [7], [3, 9, 300], list(range(0, 70000, 997))])
def test_encode_positions_is_whoosh_positions_encoding(found: list[int]) -> None:
    from whoosh.formats import Positions

    assert encode_positions(found) == Positions().encode(found)
    assert Positions().decode_positions(encode_positions(found)) == found


def test_positions_are_the_tokens_grouped() -> None:
    analyzer = Analyzer(DICT_DIR)
    for rec in seed_records():
        grouped: dict[str, list[int]] = {}
        for word, start, _end in analyzer.tokens(rec.body):
            grouped.setdefault(word, []).append(start)
        assert analyzer.positions(rec.body) == grouped
        assert list(analyzer.positions(rec.body)) == list(grouped)


def test_bulk_blocks_are_smaller_and_read_the_same(tmp_path: Path) -> None:
    """Posting blocks pickled with `BLOCK_PROTOCOL` keep the encoded positions as raw bytes,
    where Whoosh's protocol 2 stores each as a latin-1 string to decode: the segment shrinks,
    and what a search reads stays the same."""
    records = _records()
    stock_ix = _build(tmp_path / "stock", records, bulk=False)
    bulk_ix = _build(tmp_path / "bulk", records, bulk=True)
    assert _contents(bulk_ix)["terms"] == _contents(stock_ix)["terms"]
    stock = sum(p.stat().st_size for p in (tmp_path / "stock").glob("*.seg"))
    bulk = sum(p.stat().st_size for p in (tmp_path / "bulk").glob("*.seg"))
    assert bulk < 0.9 * stock
