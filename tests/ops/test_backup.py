"""Backup, wipe, restore: the same search results and the same audit history; refusals are clear."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli import main
from indexer.interface import SearchQuery
from library.backup import BackupError, create_backup, read_manifest, restore_backup
from library.core import Library
from library.models import AuditEntry, Document, StatusChange
from library.reindex import run_reindex
from library.validity.status import change_status

# `policylib backup` copies SQLite homes; a PostgreSQL deployment is backed up with pg_dump
# (test_postgres_deployments_are_told_to_use_pg_dump checks it says so).
pytestmark = pytest.mark.sqlite_only

QUERIES = ["养老保险", "就业创业", "宣府办〔2023〕3号", "营商环境", "学生资助"]


def _answers(lib: Library) -> dict[str, list[tuple[str, str]]]:
    out = {}
    for q in QUERIES:
        found = lib.index.search(SearchQuery(text=q, include_all=True, per_page=20))
        out[q] = [(h.id, h.status) for h in found.hits]
    return out


def _history(lib: Library) -> tuple[list, list]:
    with lib.db.session() as s:
        audit = [
            (a.id, a.actor, a.action, a.entity_id, a.before, a.after, a.reason)
            for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
        changes = [
            (c.id, c.document_id, c.old_status, c.new_status, c.reason, c.actor)
            for c in s.scalars(select(StatusChange).order_by(StatusChange.id))
        ]
    return audit, changes


def _library_with_history(lib: Library) -> None:
    run_reindex(lib)
    with lib.db.session() as s:
        doc_id = s.scalar(select(Document.id).where(Document.title.contains("养老保险")))
    change_status(
        lib,
        doc_id,
        "repealed",
        actor="legal",
        reason="清理后废止",
        basis="关于公布规范性文件清理结果的通知（宣府办〔2024〕9号）",
    )


def test_backup_wipe_restore_gives_same_search_and_audit(
    ops_lib: Library, home: Path, tmp_path: Path
) -> None:
    _library_with_history(ops_lib)
    fresh = Library.open(home)  # what any process opening this home finds
    answers, history = _answers(fresh), _history(fresh)
    fresh.close()
    assert any(answers.values()) and history[0], "the library must hold something to compare"
    archive = tmp_path / "backups" / "policylib.tar.gz"

    result = CliRunner().invoke(main, ["backup", str(archive)])
    assert result.exit_code == 0, result.output
    ops_lib.close()
    manifest = read_manifest(archive)
    assert manifest["counts"]["audit_log"] == len(history[0])
    assert archive.stat().st_mode & 0o077 == 0, "the archive holds the secret key: owner-only"

    shutil.rmtree(home)
    result = CliRunner().invoke(main, ["restore", str(archive)])
    assert result.exit_code == 0, result.output

    restored = Library.open(home)
    try:
        assert _history(restored) == history
        assert _answers(restored) == answers
        with restored.db.session() as s:
            doc = s.scalar(select(Document).where(Document.title.contains("养老保险")))
            assert doc.status == "repealed"
            assert (home / "originals" / doc.original_sha256[:2] / doc.original_sha256).is_file()
    finally:
        restored.close()


def test_backup_is_consistent_while_the_database_is_written(
    ops_lib: Library, tmp_path: Path
) -> None:
    """The online backup copies a snapshot; an open write transaction is simply not in it."""
    run_reindex(ops_lib)
    with ops_lib.db.session() as s:
        before = s.scalar(select(Document.id).order_by(Document.id.desc()).limit(1))
        s.add(Document(title="未提交的文件", content_hash="x" * 64))
        s.flush()
        manifest = create_backup(ops_lib.settings, tmp_path / "b.tar.gz")
        s.rollback()
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        assert "policylib.sqlite3" in tar.getnames()
    assert manifest["counts"]["documents"] == before


def test_restore_refuses_a_home_in_use_and_force_sets_it_aside(
    ops_lib: Library, home: Path, tmp_path: Path
) -> None:
    run_reindex(ops_lib)
    archive = tmp_path / "b.tar.gz"
    create_backup(ops_lib.settings, archive)
    ops_lib.close()
    with pytest.raises(BackupError, match="already holds a library"):
        restore_backup(home, archive)
    result = restore_backup(home, archive, force=True)
    assert result.set_aside and (result.set_aside / "policylib.sqlite3").is_file()
    assert (home / "policylib.sqlite3").is_file()


def test_restore_refuses_a_damaged_or_foreign_archive(home: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        tar.add(__file__, arcname="notes.txt")
    with pytest.raises(BackupError, match="not a policylib backup"):
        restore_backup(home, foreign)

    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not a tar file at all")
    with pytest.raises(BackupError, match="not a readable policylib backup"):
        restore_backup(home, garbage)
    assert not (home / "policylib.sqlite3").exists()


def test_restore_refuses_an_archive_whose_member_was_altered(
    ops_lib: Library, home: Path, tmp_path: Path
) -> None:
    run_reindex(ops_lib)
    good = tmp_path / "good.tar.gz"
    create_backup(ops_lib.settings, good)
    ops_lib.close()
    altered = tmp_path / "altered.tar.gz"
    unpacked = tmp_path / "unpacked"
    with tarfile.open(good) as tar:
        tar.extractall(unpacked, filter="data")
    (unpacked / "config.toml").write_text('secret_key = "changed"\n', encoding="utf-8")
    with tarfile.open(altered, "w:gz") as tar:
        for p in sorted(unpacked.rglob("*")):
            tar.add(p, arcname=p.relative_to(unpacked).as_posix(), recursive=False)
    fresh = tmp_path / "fresh-home"
    with pytest.raises(BackupError, match="config.toml in the archive is damaged"):
        restore_backup(fresh, altered)
    assert not (fresh / "policylib.sqlite3").exists()


def test_postgres_deployments_are_told_to_use_pg_dump(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYLIB_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    for args in (["backup", str(tmp_path / "b.tar.gz")], ["restore", __file__]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        assert "pg_dump" in result.output
    assert not (tmp_path / "b.tar.gz").exists()
