"""`policylib db copy`: a SQLite library moved to PostgreSQL reads, searches and grows the same."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli import main
from indexer.interface import SearchQuery
from library import indexing
from library.core import Library
from library.dbcopy import CopyError, copy_database
from library.document_view import document_view
from library.models import AuditEntry, Base, Document
from library.users import add_user
from library.validity.status import change_status
from tests.db_backends import fresh_pg_database
from tests.web_sample import Sample, build_sample

# The source is the embedded SQLite library; the target a fresh PostgreSQL database.
pytestmark = [pytest.mark.sqlite_only, pytest.mark.postgres]

QUERIES = ["政务公开", "宣府办〔2023〕41号", "行政执法公示", "工作要点什么时候印发"]


def _library(lib: Library) -> Sample:
    sample = build_sample(lib)
    # a link to a LATER row of the same table: copied in a second pass
    with lib.db.session() as s:
        newer = Document(title="龙城区2020年政务公开工作要点", text="新版", content_hash="n" * 64)
        s.add(newer)
        s.flush()
        newer_id = newer.id
        add_user(s, "clerk", "legal", "correct horse battery staple", actor="test")
    indexing.refresh(lib, doc_ids=[newer_id])
    change_status(
        lib,
        sample.hostile,
        "amended",
        actor="clerk",
        reason="修改",
        basis="决定",
        since=date(2024, 1, 1),
        superseded_by_id=newer_id,
    )
    return sample


def _answers(lib: Library) -> dict[str, list[tuple[str, str]]]:
    return {
        q: [
            (h.id, h.status)
            for h in lib.index.search(SearchQuery(text=q, include_all=True, per_page=20)).hits
        ]
        for q in QUERIES
    }


def _pages(lib: Library, ids: list[int]) -> list[dict]:
    return [document_view(lib, i) for i in ids]


def test_a_sqlite_library_copied_to_postgresql_is_the_same_library(
    lib: Library, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = _library(lib)
    with lib.db.session() as s:
        ids = list(s.scalars(select(Document.id).order_by(Document.id)))
        audit = s.scalar(select(func.count()).select_from(AuditEntry))
    before = (_answers(lib), _pages(lib, ids))
    with fresh_pg_database() as url:
        result = CliRunner().invoke(main, ["db", "copy", url, "--json"])
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)["rows"]
        assert set(rows) == {t.name for t in Base.metadata.sorted_tables}
        assert rows["documents"] == len(ids) and rows["audit_log"] == audit

        lib.close()
        monkeypatch.setenv("POLICYLIB_DATABASE_URL", url)
        moved = Library.open(home)  # same home, same whoosh index: the ids still match
        try:
            assert (_answers(moved), _pages(moved, ids)) == before  # times in UTC on both
            assert document_view(moved, sample.hostile)["superseded_by_document"]["id"] == max(ids)
            with moved.db.session() as s:  # the id sequence moved past the copied rows
                doc = Document(title="迁移后新增的文件", text="新增", content_hash="m" * 64)
                s.add(doc)
                s.flush()
                assert doc.id == max(ids) + 1
            from_sqlite = {"POLICYLIB_DATABASE_URL": None}  # the SQLite home once more
            again = CliRunner().invoke(main, ["db", "copy", url], env=from_sqlite)
            assert again.exit_code == 1 and "already holds rows" in again.output
        finally:
            moved.close()


def test_copying_a_database_onto_itself_is_refused(lib: Library) -> None:
    with pytest.raises(CopyError, match="same database"):
        copy_database(lib.settings.database_url, lib.settings.database_url)


@pytest.mark.parametrize(
    ("target", "message"),
    [("not-a-url", "not a database URL"), ("postgresql+psycopg://u@127.0.0.1:1/x", "cannot reach")],
)
def test_a_target_that_cannot_be_opened_is_named_and_nothing_is_copied(
    lib: Library, target: str, message: str
) -> None:
    result = CliRunner().invoke(main, ["db", "copy", target])
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output
