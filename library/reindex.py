"""The weekly run: bring the library in line with the source folders, then rebuild the index.

Phases, each timed in the report: scan (which files may have changed, by size and mtime), ingest
(parse what changed by hash; the ingest pipeline keeps a DocumentRevision of every replaced text),
analyze (the database's planner statistics, `library/planner_stats.py`),
vanished (files gone from the folders: reported, and only with `withdraw_vanished` the document is
marked `source_missing` with an audit entry; nothing is ever deleted), transitions (date-driven
status changes that are due), index (a fresh index built beside the live one from the database,
verified, swapped in atomically; the previous one kept for `--rollback`).

Crash safety: ingest commits batch by batch, so a kill leaves every file either stored or not; the
live index is never written by this run before the swap. A marker row (`reindex_pending`) is set
before the first database change and cleared after the swap, so a run after a crash rebuilds even
when the files themselves then look unchanged.
"""

from __future__ import annotations

import json
import logging
import shlex
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from . import audit, indexing, planner_stats
from .core import Library
from .ingest import OUTCOMES, FileOutcome, Skipped, ingest_paths, iter_files
from .models import AppState, Document, SourceFile
from .private_files import private_dir, write_private
from .runlock import run_lock
from .validity.dates import apply_due_transitions

log = logging.getLogger("policylib.reindex")

LOCK_NAME = "reindex"
LAST_REPORT_KEY = "last_reindex"
PENDING_KEY = "reindex_pending"
NOTIFY_TIMEOUT_S = 10


class ReindexError(RuntimeError):
    """The run stopped; the live index and the stored documents are as the last good run left them."""


@dataclass
class ReindexReport:
    started_at: str
    full: bool
    source_folders: list[str]
    status: str = "running"  # running | ok | failed
    finished_at: str | None = None
    error: str | None = None
    scanned: int = 0  # files found in the source folders
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    changed_files: list[dict] = field(default_factory=list)
    still_failing: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # symlinks and paths leaving the folders
    vanished: list[dict] = field(default_factory=list)
    reappeared: list[dict] = field(default_factory=list)
    transitions: list[dict] = field(default_factory=list)
    index: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    report_path: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> dict:
        """What /healthz and the app state keep: the report without the per-file lists."""
        lists = ("changed_files", "still_failing", "skipped", "vanished", "reappeared")
        lists += ("transitions",)
        out = {k: v for k, v in self.to_dict().items() if k not in lists}
        out.update({k: len(getattr(self, k)) for k in lists})
        return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def _timed(report: ReindexReport, phase: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        report.timings[phase] = round(time.perf_counter() - start, 3)


def _folders(lib: Library) -> list[Path]:
    """The configured folders, resolved; a missing one stops the run before anything changes.

    An unmounted share looks exactly like a folder whose files were all deleted: going on would
    report (or withdraw) every document from it, so the run refuses instead.
    """
    folders = [Path(f).expanduser().resolve() for f in lib.settings.source_folders]
    if not folders:
        raise ReindexError(
            "no source folders configured: set source_folders in config.toml "
            "or POLICYLIB_SOURCE_FOLDERS (paths separated by ':')"
        )
    absent = [str(f) for f in folders if not f.is_dir()]
    if absent:
        raise ReindexError(
            f"source folder not found or not a folder: {', '.join(absent)} "
            "(is the share mounted?); nothing was changed"
        )
    return folders


def _under(path: str, folders: list[Path]) -> bool:
    return any(Path(path).is_relative_to(f) for f in folders)


def _scan(
    lib: Library, folders: list[Path], full: bool, report: ReindexReport
) -> tuple[list[Path], int]:
    """The files on disk now, and how many of them ingest must look at.

    A file is skipped without reading it when its size and mtime equal what its SourceFile row
    recorded after a successful ingest (counted as unchanged); everything else goes to ingest,
    which decides by sha256. A full run sends every file, so it reads no rows and no stats here.
    """
    skipped: list[Skipped] = []
    present = list(iter_files(folders, skipped))
    report.skipped = [asdict(s) for s in skipped]
    report.scanned = len(present)
    if full:
        return present, len(present)
    with lib.db.session() as session:
        known = {s.path: s for s in session.scalars(select(SourceFile))}
    candidates = 0
    for path in present:
        src = known.get(str(path))
        st = path.stat()
        if src is None or src.missing or (src.size, src.mtime) != (st.st_size, st.st_mtime):
            candidates += 1
        elif src.last_outcome == "failed":
            report.still_failing.append({"path": str(path), "error": src.last_error})
        elif not src.sha256:
            candidates += 1
        else:
            report.counts["unchanged"] += 1
    return present, candidates


def _ingest(lib: Library, folders: list[Path], today: date, report: ReindexReport) -> set[int]:
    """Ingest the folders (sidecar catalogues apply); returns ids of documents whose row changed."""
    report.counts = dict.fromkeys(OUTCOMES, 0)
    report.still_failing.clear()
    result = ingest_paths(lib, folders, index=False, today=today)
    report.counts = result.counts
    changed: set[int] = set()
    for f in result.files:
        if f.outcome == "unchanged":
            continue
        report.changed_files.append(
            {"path": f.path, "outcome": f.outcome, "document_id": f.document_id, "error": f.error}
        )
        if f.outcome in ("added", "updated") and f.document_id:
            changed.add(f.document_id)
    _remember_failures(lib, [f for f in result.files if f.outcome == "failed"])
    return changed


def _remember_failures(lib: Library, failed: list[FileOutcome]) -> None:
    """Failed files get their size and mtime on their row (ingest records none for a file refused
    before parsing), so an unchanged bad file is reported as still failing, not re-read weekly."""
    with lib.db.session() as session:
        for outcome in failed:
            path = Path(outcome.path)
            if not path.is_file():
                continue
            src = session.scalar(select(SourceFile).where(SourceFile.path == outcome.path))
            if src is None:
                src = SourceFile(path=outcome.path, last_outcome="failed")
                session.add(src)
            st = path.stat()
            src.size, src.mtime, src.last_error = st.st_size, st.st_mtime, outcome.error


def _reconcile_sources(
    lib: Library, folders: list[Path], present: list[Path], report: ReindexReport
) -> None:
    """Mark files gone from the folders as missing and files back again as present.

    A document counts as vanished only when none of its source files remains (the same text may
    come as docx and pdf). Withdrawal is `source_missing` plus an audit entry, and is undone the
    same way when a file comes back; the document and its history stay.
    """
    on_disk = {str(p) for p in present}
    withdraw = lib.settings.withdraw_vanished
    with lib.db.session() as session:
        touched: set[int] = set()
        for src in session.scalars(select(SourceFile)):
            if not _under(src.path, folders):
                continue
            gone = src.path not in on_disk
            if gone and not src.missing:
                src.missing = True
                report.vanished.append({"path": src.path, "document_id": src.document_id})
            elif not gone and src.missing:
                src.missing = False
                report.reappeared.append({"path": src.path, "document_id": src.document_id})
            else:
                continue
            if src.document_id:
                touched.add(src.document_id)
        session.flush()
        for doc in session.scalars(select(Document).where(Document.id.in_(touched))):
            _withdraw_or_restore(session, doc, withdraw, report)


def _withdraw_or_restore(session, doc: Document, withdraw: bool, report: ReindexReport) -> None:
    remaining = [s.path for s in doc.sources if not s.missing]
    if not remaining and withdraw and not doc.source_missing:
        doc.source_missing = True
        audit.record(
            session,
            actor="system",
            action="source_withdrawn",
            entity_type="document",
            entity_id=doc.id,
            before={"source_missing": False},
            after={"source_missing": True},
            reason="源文件已从来源文件夹中消失（每周重建索引时发现）/ source file vanished",
        )
    elif remaining and doc.source_missing:
        doc.source_missing = False
        audit.record(
            session,
            actor="system",
            action="source_restored",
            entity_type="document",
            entity_id=doc.id,
            before={"source_missing": True},
            after={"source_missing": False, "path": remaining[0]},
            reason="源文件重新出现在来源文件夹中 / source file is back",
        )
    else:
        return
    for item in report.vanished + report.reappeared:
        if item["document_id"] == doc.id:
            item["withdrawn"] = doc.source_missing


def _set_state(lib: Library, key: str, value: dict | None) -> None:
    with lib.db.session() as session:
        row = session.get(AppState, key)
        if value is None:
            if row is not None:
                session.delete(row)
            return
        if row is None:
            session.add(AppState(key=key, value=value))
        else:
            row.value = value


def _get_state(lib: Library, key: str) -> dict | None:
    with lib.db.session() as session:
        row = session.get(AppState, key)
        return dict(row.value) if row else None


def _rebuild(lib: Library, report: ReindexReport, reason: str) -> None:
    """The index builds a new generation, checks its count and a probe query, replays writes the
    web app made meanwhile, and only then swaps; any failure leaves the live generation serving."""
    built = indexing.rebuild(lib)
    report.index.update(action="rebuilt", reason=reason, build=built)


def _index_phase(lib: Library, report: ReindexReport, changed: bool, interrupted: bool) -> None:
    reason = _rebuild_reason(lib, report.full, changed, interrupted)
    if reason:
        _rebuild(lib, report, reason)
    else:
        report.index.update(action="skipped", reason="nothing changed")
    _set_state(lib, PENDING_KEY, None)
    report.index.update(count=lib.index.count(), **_index_size(lib))


def _rebuild_reason(lib: Library, full: bool, changed: bool, interrupted: bool) -> str | None:
    if full:
        return "--full"
    if changed:
        return "documents changed"
    if interrupted:
        return "an earlier run stopped before its swap"
    info, expected = lib.index.info(), indexing.count_records(lib)
    if info["count"] != expected:
        return f"index holds {info['count']} records, database {expected}"
    if info.get("dictionary_changed"):
        return "the search dictionary changed since the index was built"
    return None


def _index_size(lib: Library) -> dict:
    info = lib.index.info()
    return {"size_bytes": info["size_bytes"], "built_at": info["built_at"], "path": info["path"]}


def run_reindex(
    lib: Library,
    *,
    full: bool = False,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReindexReport:
    """One run under the lock; raises LockBusy when another holds it, ReindexError on failure.

    Whatever happens the report is written (log folder, app state) and the notification sent.
    """
    today = today or date.today()
    with run_lock(lib.settings.home, LOCK_NAME, lib.db.engine):
        report = ReindexReport(
            started_at=_now(), full=full, source_folders=list(lib.settings.source_folders)
        )
        try:
            _run(lib, report, today, progress or (lambda _phase: None))
            report.status = "ok"
        except Exception as exc:
            report.status, report.error = "failed", f"{type(exc).__name__}: {exc}"
            log.exception("reindex failed")
        finally:
            report.finished_at = _now()
            _finish(lib, report)
        if report.status == "failed":
            raise ReindexError(report.error)
        return report


def _run(lib: Library, report: ReindexReport, today: date, progress: Callable[[str], None]) -> None:
    interrupted = _get_state(lib, PENDING_KEY) is not None
    progress("scan")
    with _timed(report, "scan"):
        folders = _folders(lib)
        present, candidates = _scan(lib, folders, report.full, report)
    changed: set[int] = set()
    if candidates:
        progress("ingest")
        _set_state(lib, PENDING_KEY, {"since": report.started_at})
        with _timed(report, "ingest"):
            changed = _ingest(lib, folders, today, report)
    progress("analyze")
    with _timed(report, "analyze"), lib.db.session() as session:
        planner_stats.analyze(session)  # weekly, whatever changed: the planner's view stays current
    progress("vanished")
    with _timed(report, "vanished"):
        _reconcile_sources(lib, folders, present, report)
    progress("transitions")
    with _timed(report, "transitions"):
        # Validity updates the live index for the documents it moves, so these need no rebuild.
        report.transitions = [t.as_dict() for t in apply_due_transitions(lib, today)]
    progress("index")
    with _timed(report, "index"):
        _index_phase(lib, report, bool(changed), interrupted)


def _finish(lib: Library, report: ReindexReport) -> None:
    report.report_path = str(_write_report(lib, report))
    try:
        _set_state(lib, LAST_REPORT_KEY, report.summary())
    except Exception:
        log.exception("could not store the reindex report in the database")
    log.info(
        "reindex status=%s counts=%s vanished=%d transitions=%d index=%s timings=%s",
        report.status,
        report.counts,
        len(report.vanished),
        len(report.transitions),
        report.index.get("action"),
        report.timings,
    )
    notify(lib, report.to_dict())


def _write_report(lib: Library, report: ReindexReport) -> Path:
    private_dir(lib.settings.log_dir)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = lib.settings.log_dir / f"reindex-{stamp}.json"
    n = 1
    while path.exists():
        n += 1
        path = lib.settings.log_dir / f"reindex-{stamp}-{n}.json"
    report.report_path = str(path)
    write_private(path, json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
    return path


def notify(lib: Library, payload: dict) -> None:
    """Hand the report to the configured command (JSON on stdin) and/or webhook (POST).

    A notification is a courtesy: a failing one is logged and never turns a good run into a bad one.
    """
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    if lib.settings.notify_command:
        try:
            done = subprocess.run(
                shlex.split(lib.settings.notify_command),
                input=body,
                capture_output=True,
                timeout=NOTIFY_TIMEOUT_S * 3,
                check=False,
            )
            if done.returncode:
                log.warning(
                    "notify_command failed code=%s stderr=%s",
                    done.returncode,
                    done.stderr.decode("utf-8", "replace")[:500],
                )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("notify_command could not run error=%s", exc)
    if lib.settings.notify_webhook:
        request = urllib.request.Request(
            lib.settings.notify_webhook,
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=NOTIFY_TIMEOUT_S) as response:
                response.read(1000)
        except (OSError, ValueError) as exc:
            log.warning("notify_webhook failed url=%s error=%s", lib.settings.notify_webhook, exc)


def rollback(lib: Library) -> dict:
    """Put the previous index back (after a bad rebuild), under the same lock as a run."""
    with run_lock(lib.settings.home, LOCK_NAME, lib.db.engine):
        lib.index.rollback()
        info = lib.index.info()
        log.info("reindex rollback live=%s count=%s", info["generation"], info["count"])
        return info


def last_report(lib: Library) -> dict | None:
    return _get_state(lib, LAST_REPORT_KEY)


__all__ = [
    "ReindexError",
    "ReindexReport",
    "last_report",
    "notify",
    "rollback",
    "run_reindex",
]
