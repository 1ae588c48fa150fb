"""The weekly run on real files: what changes, what is skipped, what is reported."""

from __future__ import annotations

import json
import os
import sys
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli import main
from indexer.interface import SearchQuery
from library.core import Library
from library.models import AppState, AuditEntry, Document, DocumentRevision, SourceFile
from library.reindex import ReindexError, last_report, run_reindex
from tests.ops.support import configure, free_port, write_doc


def _hits(lib: Library, text: str) -> list[str]:
    return [
        h.id for h in lib.index.search(SearchQuery(text=text, include_all=True, per_page=50)).hits
    ]


def test_first_run_ingests_everything_and_a_second_run_does_nothing(ops_lib: Library) -> None:
    first = run_reindex(ops_lib)
    assert first.status == "ok"
    assert first.counts["added"] == 6 and first.counts["failed"] == 0
    assert first.index["action"] == "rebuilt" and first.index["count"] == 6
    assert _hits(ops_lib, "生育保险待遇")

    second = run_reindex(ops_lib)
    assert second.counts == {"added": 0, "updated": 0, "unchanged": 6, "duplicate": 0, "failed": 0}
    assert "ingest" not in second.timings, "nothing changed: no file may be parsed"
    assert second.index["action"] == "skipped" and second.index["reason"] == "nothing changed"
    assert second.index["count"] == 6


def test_a_changed_file_is_reparsed_and_its_old_text_kept(ops_lib: Library, source: Path) -> None:
    run_reindex(ops_lib)
    path = write_doc(source, 1, extra="新增条款：设立青年见习补贴。")
    report = run_reindex(ops_lib)
    assert report.counts["updated"] == 1 and report.counts["unchanged"] == 5
    assert report.index["action"] == "rebuilt"
    assert [f["path"] for f in report.changed_files] == [str(path.resolve())]
    with ops_lib.db.session() as s:
        doc = s.scalar(select(Document).where(Document.text.contains("青年见习补贴")))
        revisions = s.scalars(
            select(DocumentRevision).where(DocumentRevision.document_id == doc.id)
        ).all()
        assert len(revisions) == 1 and "青年见习补贴" not in revisions[0].text
    assert f"doc:{doc.id}" in _hits(ops_lib, "青年见习补贴")


def test_a_touched_but_identical_file_is_hashed_once_then_skipped(
    ops_lib: Library, source: Path
) -> None:
    run_reindex(ops_lib)
    path = source / "doc_0002.txt"
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 100))
    touched = run_reindex(ops_lib)
    assert touched.counts["unchanged"] == 6 and touched.index["action"] == "skipped"
    again = run_reindex(ops_lib)
    assert "ingest" not in again.timings


def test_vanished_files_are_reported_and_kept_unless_withdrawal_is_configured(
    ops_lib: Library, home: Path, source: Path
) -> None:
    run_reindex(ops_lib)
    gone = (source / "doc_0003.txt").resolve()
    body = gone.read_bytes()
    gone.unlink()
    report = run_reindex(ops_lib)
    assert [v["path"] for v in report.vanished] == [str(gone)]
    with ops_lib.db.session() as s:
        doc = s.scalar(select(Document).join(SourceFile).where(SourceFile.path == str(gone)))
        assert doc is not None and doc.source_missing is False
        doc_id = doc.id
    assert f"doc:{doc_id}" in _hits(ops_lib, "工作的通知（第3号专项）")

    # The vanished file is already known as missing: withdrawal applies to the next one that goes.
    ops_lib.close()
    configure(home, withdraw_vanished=True)
    lib = Library.open(home)
    try:
        gone.write_bytes(body)
        back = run_reindex(lib)
        assert [r["path"] for r in back.reappeared] == [str(gone)]
        gone.unlink()
        report = run_reindex(lib)
        assert report.vanished == [{"path": str(gone), "document_id": doc_id, "withdrawn": True}]
        with lib.db.session() as s:
            assert s.get(Document, doc_id).source_missing is True
            actions = s.scalars(
                select(AuditEntry.action).where(AuditEntry.entity_id == str(doc_id))
            ).all()
        assert "source_withdrawn" in actions
        assert f"doc:{doc_id}" in _hits(lib, "工作的通知（第3号专项）"), "never deleted"

        gone.write_bytes(body)
        run_reindex(lib)
        with lib.db.session() as s:
            assert s.get(Document, doc_id).source_missing is False
            assert (
                "source_restored"
                in s.scalars(
                    select(AuditEntry.action).where(AuditEntry.entity_id == str(doc_id))
                ).all()
            )
    finally:
        lib.close()


def test_due_transitions_are_applied_and_reported(ops_lib: Library) -> None:
    run_reindex(ops_lib)
    with ops_lib.db.session() as s:
        doc = s.scalar(select(Document).order_by(Document.id).limit(1))
        doc.expiry_date = date(2024, 6, 30)
        doc_id = doc.id
    report = run_reindex(ops_lib, today=date(2024, 7, 2))
    assert [(t["document_id"], t["new_status"]) for t in report.transitions] == [
        (doc_id, "expired")
    ]
    assert run_reindex(ops_lib, today=date(2024, 7, 2)).transitions == []


def test_a_missing_source_folder_fails_before_changing_anything(
    ops_lib: Library, source: Path
) -> None:
    run_reindex(ops_lib)
    before = _hits(ops_lib, "养老保险")
    source.rename(source.with_name("unmounted"))
    result = CliRunner().invoke(main, ["reindex"])
    assert result.exit_code == 1
    assert "source folder not found" in result.output and "nothing was changed" in result.output
    assert _hits(ops_lib, "养老保险") == before
    with ops_lib.db.session() as s:
        assert not s.scalars(select(SourceFile).where(SourceFile.missing)).all()
    summary = last_report(ops_lib)
    assert summary["status"] == "failed" and "source folder not found" in summary["error"]
    failed_log = json.loads(Path(summary["report_path"]).read_text(encoding="utf-8"))
    assert failed_log["status"] == "failed"


def test_json_report_on_stdout_and_in_the_log_folder(ops_lib: Library) -> None:
    result = CliRunner().invoke(main, ["reindex", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for key in ("counts", "vanished", "transitions", "timings", "index", "status", "started_at"):
        assert key in report
    assert report["counts"]["added"] == 6
    assert report["index"]["size_bytes"] > 0
    assert set(report["timings"]) >= {"scan", "ingest", "vanished", "transitions", "index"}
    logged = json.loads(Path(report["report_path"]).read_text(encoding="utf-8"))
    assert logged == report
    assert Path(report["report_path"]).parent == ops_lib.settings.log_dir
    with ops_lib.db.session() as s:
        assert s.get(AppState, "last_reindex").value["status"] == "ok"


def test_human_summary(ops_lib: Library) -> None:
    result = CliRunner().invoke(main, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "新增 6" in result.stdout and "rebuilt" in result.stdout


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_notifications_by_command_and_webhook(home: Path, source: Path, tmp_path: Path) -> None:
    _Hook.received.clear()  # a class attribute: the other backend's run may have filled it
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got = tmp_path / "notified.json"
    script = f"import sys, pathlib; pathlib.Path({str(got)!r}).write_bytes(sys.stdin.buffer.read())"
    configure(
        home,
        source_folders=[str(source)],
        notify_command=f"{sys.executable} -c {json.dumps(script)}",
        notify_webhook=f"http://127.0.0.1:{server.server_port}/hook",
    )
    lib = Library.open(home)
    try:
        report = run_reindex(lib)
    finally:
        lib.close()
        server.shutdown()
    assert json.loads(got.read_text(encoding="utf-8"))["counts"] == report.counts
    assert [r["counts"] for r in _Hook.received] == [report.counts]


def test_a_failing_notification_never_fails_the_run(home: Path, source: Path) -> None:
    configure(
        home,
        source_folders=[str(source)],
        notify_command="/nonexistent/notify-ops",
        notify_webhook=f"http://127.0.0.1:{free_port()}/nobody-listens",
    )
    lib = Library.open(home)
    try:
        assert run_reindex(lib).status == "ok"
    finally:
        lib.close()


def test_no_source_folders_configured_is_a_clear_failure(lib: Library) -> None:
    with pytest.raises(ReindexError, match="no source folders configured"):
        run_reindex(lib)


def test_rollback_puts_the_previous_index_back(ops_lib: Library, source: Path) -> None:
    run_reindex(ops_lib)
    write_doc(source, 1, extra="新增条款：设立青年见习补贴。")
    rebuilt = run_reindex(ops_lib)
    assert _hits(ops_lib, "新增条款")
    result = CliRunner().invoke(main, ["reindex", "--rollback", "--json"])
    assert result.exit_code == 0, result.output
    rolled = json.loads(result.stdout)
    assert rolled["generation"] == Path(rebuilt.index["build"]["previous"]).name
    assert _hits(ops_lib, "新增条款") == [], "the index from before the change answers again"
    assert run_reindex(ops_lib).index["action"] == "skipped", "same record count: nothing to do"
    assert run_reindex(ops_lib, full=True).index["action"] == "rebuilt"
    assert _hits(ops_lib, "新增条款")


def test_a_bad_file_fails_alone_and_is_not_reread_until_it_changes(
    ops_lib: Library, source: Path
) -> None:
    empty = source / "doc_9999.txt"
    empty.write_bytes(b"")
    first = run_reindex(ops_lib)
    assert first.status == "ok" and first.counts["added"] == 6 and first.counts["failed"] == 1
    assert [f["path"] for f in first.changed_files if f["outcome"] == "failed"] == [str(empty)]
    second = run_reindex(ops_lib)
    assert "ingest" not in second.timings
    assert [f["path"] for f in second.still_failing] == [str(empty)]
    assert "empty" in second.still_failing[0]["error"]
    write_doc(source, 9999)
    fixed = run_reindex(ops_lib)
    assert fixed.counts["added"] == 1 and fixed.still_failing == []
