"""Every transaction is all or nothing, on SQLite as on PostgreSQL, with a failure injected mid-batch.

The failure is real: a database trigger refuses one row, as a constraint or a full disk would, in
the middle of an ingest, a Q&A import and a cleanup apply. Whatever the batch did before that row
must be gone afterwards, and the index must agree with the database. Before SQLAlchemy's pysqlite
recipe (library/db.py), SQLite committed each released savepoint at once, so the rows before the
failure stayed, stored but never indexed.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, PendingRollbackError

from indexer import SearchQuery
from library import cleanup
from library.core import Library
from library.ingest import ingest_paths
from library.models import CleanupBatch, Document, QAEntry, SourceFile, StatusChange
from library.qa.importer import import_file

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def refuse(lib: Library, table: str, condition: str) -> None:
    """A trigger that makes the database refuse a row of `table` matching `condition` (NEW.…)."""
    with lib.db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for event in ("INSERT", "UPDATE"):
                conn.execute(
                    text(
                        f"CREATE TRIGGER refuse_{event.lower()} BEFORE {event} ON {table} "
                        f"WHEN {condition} BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
                    )
                )
            return
        conn.execute(
            text(
                "CREATE FUNCTION refuse_row() RETURNS trigger AS $$ BEGIN "
                f"IF {condition} THEN RAISE EXCEPTION 'injected failure'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        conn.execute(
            text(
                f"CREATE TRIGGER refuse_row BEFORE INSERT OR UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_row()"
            )
        )


def count(lib: Library, model: type) -> int:
    with lib.db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def indexed(lib: Library) -> dict[str, str]:
    """Every record id in the index with the status it holds there."""
    found = lib.index.search(SearchQuery(include_all=True, per_page=1000))
    return {hit.id: hit.status for hit in found.hits}


def stored(lib: Library) -> dict[str, str]:
    with lib.db.session() as s:
        docs = {f"doc:{i}": st for i, st in s.execute(select(Document.id, Document.status))}
        qas = {f"qa:{i}": st for i, st in s.execute(select(QAEntry.id, QAEntry.status))}
    return docs | qas


def test_ingest_keeps_nothing_of_a_chunk_that_failed(lib: Library, tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    for name, title in (("a.txt", "甲"), ("boom.txt", "乙"), ("c.txt", "丙")):
        (folder / name).write_text(
            f"关于{title}事项的通知\n\n各单位：\n现就{title}事项通知如下。\n", encoding="utf-8"
        )
    # The file row of boom.txt is refused both when stored and when its failure is remembered,
    # so the careful file-by-file pass fails after a.txt's savepoint was released.
    refuse(lib, "source_files", "NEW.path LIKE '%boom%'")
    with pytest.raises((DBAPIError, PendingRollbackError), match="injected failure"):
        ingest_paths(lib, [folder], workers=1)
    assert count(lib, Document) == 0, "a.txt was stored although its chunk failed"
    assert count(lib, SourceFile) == 0
    assert indexed(lib) == stored(lib) == {}


def _qa_csv(path: Path, questions: list[str]) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["问题", "答案", "分类"])
    writer.writerows([q, f"{q}的答案。", "就业"] for q in questions)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def test_qa_import_keeps_nothing_when_a_row_fails_mid_batch(lib: Library, tmp_path: Path) -> None:
    sheet = _qa_csv(tmp_path / "qa.csv", ["失业金怎么领？", "触发故障的问题", "社保怎么转？"])
    refuse(lib, "qa_entries", "NEW.question = '触发故障的问题'")
    with pytest.raises(DBAPIError, match="injected failure"):
        import_file(lib, sheet, actor="editor", write=True)
    assert count(lib, QAEntry) == 0, "the first row stayed although the import failed"
    assert indexed(lib) == stored(lib) == {}


def test_cleanup_apply_changes_nothing_when_a_row_fails_mid_batch(lib: Library) -> None:
    ingest_paths(lib, [SAMPLES], workers=1)
    with lib.db.session() as s:
        docs = s.execute(
            select(Document.id, Document.title, Document.status)
            .where(Document.kind == "document", Document.status == "valid")
            .order_by(Document.id)
        ).all()
    assert len(docs) >= 2, "the samples hold at least two valid documents"
    before, changes_before = stored(lib), count(lib, StatusChange)
    sheet = io.StringIO()
    writer = csv.writer(sheet)
    writer.writerow(["序号", "文件名称", "清理结果"])
    writer.writerows([n, d.title, "废止"] for n, d in enumerate(docs[:2], start=1))
    refuse(lib, "status_changes", f"NEW.document_id = {docs[1].id}")
    with pytest.raises(DBAPIError, match="injected failure"):
        cleanup.apply_sheet(
            lib, sheet.getvalue().encode("utf-8"), actor="legal", filename="清理结果.csv"
        )
    assert stored(lib) == before, "the first row's status change stayed"
    assert count(lib, StatusChange) == changes_before and count(lib, CleanupBatch) == 0
    assert indexed(lib) == stored(lib)


def test_a_session_that_read_first_can_still_write_after_another_commit(lib: Library) -> None:
    """The hotline's query log reads, then writes. With BEGIN emitted at once, SQLite's WAL
    snapshot taken by the read makes the write fail ("database is locked") when another
    connection committed in between; BEGIN before the first write keeps that working."""

    def doc(title: str) -> Document:
        return Document(title=title, text=title, content_hash=title.encode().hex().ljust(64, "0"))

    with lib.db.session() as first:
        assert first.scalar(select(func.count()).select_from(Document)) == 0
        with lib.db.session() as second:
            second.add(doc("另一个连接先提交"))
        first.add(doc("读过之后再写"))
    assert count(lib, Document) == 2
