"""What monitoring needs to know in one object: can we serve, how much is there, how fresh is it.

`status` is `ok`, `warning` (serving, but something needs a look: the last weekly run failed or is
overdue, the index and the database disagree, a refresh of the index failed and waits in the
index backlog) or `error` (cannot serve: the database or the index
is unusable). `/healthz` answers 503 only for `error`, so a load balancer keeps a node that merely
has a stale index, while a monitor alerts on anything but `ok`.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime
from importlib.metadata import version

from sqlalchemy import func, select

from . import index_backlog
from .core import Library
from .listings import holdings
from .models import AppState, Document, QAEntry
from .reindex import LAST_REPORT_KEY
from .validity.dates import DUE_STATE_KEY

log = logging.getLogger("policylib.health")

REINDEX_OVERDUE_DAYS = 8  # a weekly job plus a day of grace
DUE_OVERDUE_DAYS = 2  # the server applies due transitions daily


def _documents(lib: Library) -> tuple[dict, int, dict | None, dict | None]:
    """The counts the home page shows, plus what monitoring adds; and the two state rows."""
    counts = holdings(lib)
    with lib.db.session() as session:
        by_status = session.execute(
            select(Document.status, func.count())
            .where(Document.kind == "document")
            .group_by(Document.status)
        ).all()
        missing = session.scalar(
            select(func.count()).select_from(Document).where(Document.source_missing)
        )
        records = (session.scalar(select(func.count()).select_from(Document)) or 0) + (
            session.scalar(select(func.count()).select_from(QAEntry)) or 0
        )
        last = session.get(AppState, LAST_REPORT_KEY)
        due = session.get(AppState, DUE_STATE_KEY)
        counts.update(by_status=dict(by_status), source_missing=missing or 0)
        counts["index_backlog"] = index_backlog.summary(session)
        return counts, records, dict(last.value) if last else None, dict(due.value) if due else None


def _age_seconds(iso: str | None) -> int | None:
    if not iso:
        return None
    stamp = datetime.fromisoformat(iso)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return int((datetime.now(UTC) - stamp).total_seconds())


def _index(lib: Library) -> dict:
    """The live generation as the index reports it, with its age: the time since its last rebuild."""
    info = dict(lib.index.info())
    info["age_seconds"] = _age_seconds(info.get("built_at"))
    return info


def health(lib: Library) -> dict:
    """The /healthz object; never raises: a failure is the answer, with `status: error`."""
    started = time.perf_counter()
    out: dict = {"status": "ok", "problems": [], "version": version("policylib")}
    try:
        counts, db_records, last, due = _documents(lib)
    except Exception as exc:
        log.error("health database unusable error=%s", exc)
        return _error(out, f"database unusable: {exc}")
    out.update(counts)
    try:
        out["index"] = _index(lib)
    except Exception as exc:
        log.error("health index unusable error=%s", exc)
        return _error(out, f"index unusable: {exc}")
    out["index"]["matches_database"] = out["index"]["count"] == db_records
    out["last_reindex"] = _last_reindex(last)
    out["due_transitions"] = due
    out["problems"] = _problems(lib, out, db_records, due)
    if out["problems"]:
        out["status"] = "warning"
    out["checked_in_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return out


def _error(out: dict, reason: str) -> dict:
    return {**out, "status": "error", "reason": reason, "problems": [reason]}


def _last_reindex(last: dict | None) -> dict | None:
    if not last:
        return None
    keep = (
        "status",
        "started_at",
        "finished_at",
        "error",
        "counts",
        "vanished",
        "transitions",
        "timings",
        "report_path",
    )
    out = {k: last.get(k) for k in keep}
    out["index_action"] = (last.get("index") or {}).get("action")
    out["age_seconds"] = _age_seconds(last.get("finished_at"))
    return out


def _problems(lib: Library, out: dict, db_records: int, due: dict | None) -> list[str]:
    problems = []
    index = out["index"]
    behind = out["index_backlog"]
    if behind["records"]:
        problems.append(
            f"index behind the database: {behind['records']} changed record(s) not yet in the "
            f"index since {behind['since']}; retried on the next write, request cycle and daily "
            "job; if this stays, check the index (or its folder's permissions) and run "
            "`policylib reindex`"
        )
    if not index["matches_database"]:
        problems.append(
            f"index holds {index['count']} records, database {db_records}: run `policylib reindex`"
        )
    if index.get("dictionary_changed"):
        problems.append(
            "the search dictionary changed since the index was built: run `policylib reindex`"
        )
    last = out["last_reindex"]
    if last and last["status"] == "failed":
        problems.append(f"last reindex failed: {last['error']}")
    if lib.settings.source_folders:
        if last is None:
            problems.append("no reindex has run yet: install the weekly timer (docs/operations.md)")
        elif (last["age_seconds"] or 0) > REINDEX_OVERDUE_DAYS * 86400:
            problems.append(
                f"last reindex is older than {REINDEX_OVERDUE_DAYS} days: is the timer running?"
            )
    if due and due.get("date"):
        days = (date.today() - date.fromisoformat(due["date"])).days
        if days > DUE_OVERDUE_DAYS:
            problems.append(f"due status transitions last applied {days} days ago")
    return problems
