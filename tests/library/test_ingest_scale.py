"""What keeps a large import linear: planner statistics, and parsing kept a bounded step ahead."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from library import planner_stats
from library.ingest import ingest_paths, parse_in_workers
from library.models import Document

ISSUERS = ("宣汉县人民政府办公室", "达州市人民政府办公室", "四川省人民政府办公厅")


def _write_notices(folder: Path, count: int) -> None:
    folder.mkdir()
    for i in range(count):
        issuer = ISSUERS[i % len(ISSUERS)]
        (folder / f"notice_{i:03d}.txt").write_text(
            f"{issuer}关于做好第{i}批项目申报工作的通知\n"
            f"各有关单位：现就第{i}批项目申报有关事项通知如下。\n"
            f"一、申报材料于{2000 + i % 20}年{i % 12 + 1}月底前报送。\n{issuer}\n",
            encoding="utf-8",
        )


def _near_duplicate_plan(lib) -> str:
    """The SQLite plan of ingest's near-duplicate lookup (same title, kind and dates)."""
    stmt = select(Document.id).where(
        Document.title == "关于做好项目申报工作的通知",
        Document.kind == "document",
        Document.signed_date.is_(None),
        Document.published_date.is_(None),
    )
    sql = str(stmt.compile(lib.db.engine, compile_kwargs={"literal_binds": True}))
    with lib.db.engine.connect() as conn:
        return " ".join(row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))


def _analyzed_rows(lib) -> float | None:
    """What the planner believes the documents table holds (None: never analysed)."""
    with lib.db.engine.connect() as conn:
        if lib.db.engine.dialect.name == "sqlite":
            tables = conn.execute(text("SELECT name FROM sqlite_master WHERE name='sqlite_stat1'"))
            if tables.first() is None:
                return None
            stat = conn.scalar(text("SELECT stat FROM sqlite_stat1 WHERE tbl='documents' LIMIT 1"))
            return float(stat.split()[0]) if stat else None
        rows = conn.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'documents'"))
        return rows if rows is not None and rows >= 0 else None


def test_a_large_ingest_leaves_the_planner_statistics_of_what_it_stored(lib, tmp_path) -> None:
    count = planner_stats.MIN_GROWTH + 20
    _write_notices(tmp_path / "in", count)

    report = ingest_paths(lib, [tmp_path / "in"], index=False)

    assert report.counts["added"] == count
    assert _analyzed_rows(lib) == count
    if lib.db.engine.dialect.name == "sqlite":  # the lookup goes by title, not by kind
        assert "ix_documents_title" in _near_duplicate_plan(lib), _near_duplicate_plan(lib)
    with lib.db.session() as s:  # analysed again only once the library has doubled
        assert not planner_stats.analyze_if_grown(s)


def test_a_small_ingest_does_not_analyse(lib, tmp_path) -> None:
    _write_notices(tmp_path / "in", 5)
    ingest_paths(lib, [tmp_path / "in"], index=False)
    assert _analyzed_rows(lib) is None


def test_parsing_stays_a_bounded_window_ahead_of_the_caller(tmp_path) -> None:
    """A file past the window is parsed only after the caller took the first result: an edit
    made meanwhile is what it reads. (Scheduled all at once, the small files were long parsed
    while the large first one still was.)"""
    first = tmp_path / "big.txt"
    first.write_text("关于做好项目申报工作的通知\n" + "各有关单位认真做好申报工作。\n" * 200_000)
    small = [tmp_path / f"s{i}.txt" for i in range(8)]
    for i, path in enumerate(small):
        path.write_text(f"关于第{i}批项目的通知\n原来的正文。\n", encoding="utf-8")

    results = parse_in_workers([first, *small], 50 * 1024**2, workers=2, ahead=2)
    path, parsed = next(results)
    assert path == first and not isinstance(parsed, str)
    small[-1].write_text("关于第7批项目的通知\n改过的正文。\n", encoding="utf-8")
    rest = dict(results)

    assert "改过的正文" in rest[small[-1]].text
    assert all("原来的正文" in rest[p].text for p in small[:-1])
