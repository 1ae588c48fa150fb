"""Date-driven transitions: the calendar moves documents past their 施行 or 有效期 dates, daily."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Row, or_, select
from sqlalchemy.orm import Session, aliased

from ..core import Library
from ..models import AppState, Document, utcnow
from .common import SYSTEM_ACTOR, Touched, parse_date
from .status import write_change

log = logging.getLogger("policylib.validity")

DUE_STATE_KEY = "validity.due_transitions"
# Statuses a date may move a document out of; amended/repealed/expired are decisions that stay.
DATE_DRIVEN_FROM = ("valid", "partially_invalid", "not_yet_effective")


@dataclass
class DueTransition:
    document_id: int
    title: str
    old_status: str
    new_status: str
    since: date
    reason: str

    def as_dict(self) -> dict:
        return {
            "document_id": self.document_id,
            "title": self.title,
            "old_status": self.old_status,
            "new_status": self.new_status,
            "since": self.since.isoformat(),
            "reason": self.reason,
        }


def _due_for(doc: Document | Row, today: date) -> tuple[str, date, str, str] | None:
    """(new status, since, basis, reason) the calendar asks for today, or None."""
    if doc.expiry_date is not None and doc.expiry_date < today and doc.status != "expired":
        day = doc.expiry_date + timedelta(days=1)
        return (
            "expired",
            day,
            f"有效期至 {doc.expiry_date.isoformat()}",
            f"有效期已于 {doc.expiry_date.isoformat()} 届满，自 {day.isoformat()} 起失效",
        )
    if doc.effective_date is not None and doc.effective_date > today and doc.status == "valid":
        return (
            "not_yet_effective",
            today,
            f"施行日期 {doc.effective_date.isoformat()}",
            f"施行日期 {doc.effective_date.isoformat()} 尚未到来",
        )
    if (
        doc.status == "not_yet_effective"
        and doc.effective_date is not None
        and doc.effective_date <= today
    ):
        return (
            "valid",
            doc.effective_date,
            f"施行日期 {doc.effective_date.isoformat()}",
            f"自施行日期 {doc.effective_date.isoformat()} 起生效",
        )
    return None


def apply_due_transitions(lib: Library, today: date) -> list[DueTransition]:
    """Move documents whose dates say so, as actor `system`, in one transaction; idempotent per day.

    `today` is passed in (never read from the clock here) so tests, the daily hook and the weekly
    run all decide on the same, controllable date.
    """
    done: list[DueTransition] = []
    touched = Touched()
    with lib.db.session() as session:
        for doc in _due_documents(session, today):
            status, since, basis, reason = _due_for(doc, today)
            old = doc.status
            touched.merge(
                write_change(
                    session,
                    doc,
                    status,
                    actor=SYSTEM_ACTOR,
                    reason=reason,
                    basis=basis,
                    since=since,
                    note=None,
                    superseded_by_id=None,
                    batch_id=None,
                )
            )
            done.append(DueTransition(doc.id, doc.title, old, status, since, reason))
        touched.merge(_sync_interpretations(session, today))
        _remember_run(session, today, len(done))
    touched.refresh_index(lib)
    log.info("due transitions applied today=%s changed=%d", today.isoformat(), len(done))
    return done


def _due_documents(session: Session, today: date) -> list[Document]:
    """The documents the calendar moves today, in id order on every database (the report and
    the audit log list them the same way). Decided on four columns first and only those loaded
    whole: loading every dated document with its text held ~1 GB in the worker that ran the
    daily job at lawref x10."""
    stmt = select(Document.id, Document.status, Document.effective_date, Document.expiry_date)
    stmt = stmt.where(
        Document.kind == "document",
        Document.status.in_(DATE_DRIVEN_FROM),
        or_(Document.effective_date.is_not(None), Document.expiry_date.is_not(None)),
    )
    due = [row.id for row in session.execute(stmt) if _due_for(row, today)]
    return _by_ids(session, due)


def _by_ids(session: Session, ids: list[int]) -> list[Document]:
    out: list[Document] = []
    for start in range(0, len(ids), 500):  # within every database's bound-parameter limit
        chunk = ids[start : start + 500]
        out += session.scalars(select(Document).where(Document.id.in_(chunk))).all()
    return sorted(out, key=lambda d: d.id)


def _sync_interpretations(session: Session, today: date) -> Touched:
    """Interpretations linked after their document changed (e.g. ingested later) catch up here;
    only those whose status differs from their document's are loaded."""
    touched = Touched()
    parent = aliased(Document)
    stmt = (
        select(Document.id)
        .join(parent, Document.interprets_id == parent.id)
        .where(Document.kind == "interpretation", Document.status != parent.status)
    )
    for interp in _by_ids(session, list(session.scalars(stmt))):
        parent_doc = interp.interprets
        touched.merge(
            write_change(
                session,
                interp,
                parent_doc.status,
                actor=SYSTEM_ACTOR,
                reason=f"随所解读文件《{parent_doc.title}》（#{parent_doc.id}）的状态",
                basis=f"所解读文件 #{parent_doc.id}",
                since=parent_doc.status_since or today,
                note=None,
                superseded_by_id=None,
                batch_id=None,
            )
        )
    return touched


def _remember_run(session: Session, today: date, changed: int) -> None:
    state = session.get(AppState, DUE_STATE_KEY) or AppState(key=DUE_STATE_KEY)
    state.value = {"date": today.isoformat(), "changed": changed, "at": utcnow().isoformat()}
    session.add(state)


def last_due_run(lib: Library) -> date | None:
    with lib.db.session() as session:
        state = session.get(AppState, DUE_STATE_KEY)
        return parse_date(state.value.get("date")) if state else None


def run_due_if_needed(lib: Library, today: date) -> list[DueTransition] | None:
    """The daily run, cheap to call often: does nothing if today's run already happened."""
    last = last_due_run(lib)
    if last is not None and last >= today:
        return None
    return apply_due_transitions(lib, today)
