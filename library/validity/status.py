"""Changing a document's status by hand or by batch, checking the request first, and undoing it."""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..core import Library
from ..models import STATUS_LABELS, STATUSES, Document, QABasis, QAEntry, StatusChange
from ..qa.review import on_document_status_changed
from ..status_labels import status_label
from .common import (
    STATUS_FIELDS,
    Touched,
    ValidityError,
    iso,
    parse_date,
    snapshot,
    split_basis,
)

log = logging.getLogger("policylib.validity")


def _qa_at_risk(session: Session, document_id: int) -> dict[str, dict]:
    """Published entries resting on the document, as they are before the review hook may flag them."""
    stmt = (
        select(QAEntry)
        .join(QABasis, QABasis.entry_id == QAEntry.id)
        .where(QABasis.document_id == document_id, QAEntry.status == "published")
    )
    return {
        str(e.id): {
            "status": e.status,
            "review_reason": e.review_reason,
            "updated_at": iso(e.updated_at),
        }
        for e in session.scalars(stmt).unique()
    }


def _check_request(
    session: Session,
    doc: Document,
    status: str,
    *,
    reason: str,
    basis: str,
    since: date,
    note: str | None,
    superseded_by_id: int | None,
    today: date,
) -> None:
    if status not in STATUSES:
        allowed = "、".join(f"{s}（{label}）" for s, label in STATUS_LABELS.items())
        raise ValidityError(f"未知的状态“{status}”。可用的状态：{allowed}")
    if not reason.strip():
        raise ValidityError("请填写变更理由。")
    if not basis.strip():
        raise ValidityError("请填写变更依据（决定名称及文号，例如清理通知）。")
    if since > today:
        raise ValidityError(
            f"起始日期 {since.isoformat()} 晚于今天；请在该日期当天或之后再作变更。"
        )
    if doc.kind == "interpretation" and doc.interprets_id is not None:
        raise ValidityError(
            f"文件 #{doc.id} 是政策解读，其效力随所解读的文件 #{doc.interprets_id}；请变更该文件。"
        )
    if status == "partially_invalid" and not (note or "").strip():
        raise ValidityError("“部分失效”须在备注中写明失效的部分。")
    if superseded_by_id is not None:
        if superseded_by_id == doc.id:
            raise ValidityError("文件不能被自身取代；请填写新版本文件的编号。")
        if session.get(Document, superseded_by_id) is None:
            raise ValidityError(f"新版本文件 #{superseded_by_id} 不存在；请核对编号。")
        if status not in ("amended", "repealed"):
            raise ValidityError("只有“已修改”或“已废止”的文件才能关联新版本。")
    unchanged = (
        doc.status == status
        and (note or None) == (doc.status_note or None)
        and superseded_by_id == doc.superseded_by_id
    )
    if unchanged:
        raise ValidityError(f"文件 #{doc.id} 已是“{status_label(status)}”，无需变更。")


def write_change(
    session: Session,
    doc: Document,
    status: str,
    *,
    actor: str,
    reason: str,
    basis: str,
    since: date,
    note: str | None,
    superseded_by_id: int | None,
    batch_id: int | None,
) -> Touched:
    """Write one change and its consequences; no checks here, callers have made them."""
    before = snapshot(doc)
    qa_before = _qa_at_risk(session, doc.id)
    basis_title, basis_number = split_basis(basis)
    change = StatusChange(
        document_id=doc.id,
        old_status=doc.status,
        new_status=status,
        since=since,
        basis_title=basis_title,
        basis_number=basis_number,
        reason=reason.strip(),
        note=(note or "").strip() or None,
        superseded_by_id=superseded_by_id,
        actor=actor,
        batch_id=batch_id,
    )
    doc.status = status
    doc.status_since = since
    doc.status_note = change.note
    doc.superseded_by_id = superseded_by_id
    session.add(change)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="status.change",
        entity_type="document",
        entity_id=doc.id,
        before={k: before.get(k) for k in STATUS_FIELDS if k != "updated_at"},
        after={k: iso(getattr(doc, k)) for k in STATUS_FIELDS if k != "updated_at"},
        basis=basis_title,
        reason=change.reason,
        batch_id=batch_id,
    )
    flagged = on_document_status_changed(session, doc.id, actor)
    change.before = before | {"qa": {k: v for k, v in qa_before.items() if int(k) in flagged}}
    touched = Touched(doc_ids={doc.id}, qa_ids=set(flagged), changes=[change])
    for interp in doc.interpretations:
        if interp.kind == "interpretation" and interp.status != status:
            touched.merge(
                write_change(
                    session,
                    interp,
                    status,
                    actor=actor,
                    reason=f"随所解读文件《{doc.title}》（#{doc.id}）变更：{change.reason}",
                    basis=basis,
                    since=since,
                    note=None,
                    superseded_by_id=None,
                    batch_id=batch_id,
                )
            )
    return touched


def check_change(
    session: Session,
    document_id: int,
    status: str,
    *,
    reason: str,
    basis: str,
    since: date | None = None,
    note: str | None = None,
    superseded_by_id: int | None = None,
    today: date | None = None,
) -> Document:
    """Everything `set_status` would refuse, refused now, so a confirm page never shows a dud."""
    today = today or date.today()
    doc = session.get(Document, document_id)
    if doc is None:
        raise ValidityError(
            f"文件 #{document_id} 不存在；请用 `policylib docs list` 或搜索核对编号。"
        )
    _check_request(
        session,
        doc,
        status,
        reason=reason,
        basis=basis,
        since=since or today,
        note=note,
        superseded_by_id=superseded_by_id,
        today=today,
    )
    return doc


def set_status(
    session: Session,
    doc: Document | int,
    status: str,
    *,
    actor: str,
    reason: str,
    basis: str,
    since: date | None = None,
    note: str | None = None,
    superseded_by_id: int | None = None,
    batch_id: int | None = None,
    today: date | None = None,
) -> Touched:
    """Change one document's status inside the caller's transaction; raise ValidityError if not allowed."""
    today = today or date.today()
    since = since or today
    doc = check_change(
        session,
        doc if isinstance(doc, int) else doc.id,
        status,
        reason=reason,
        basis=basis,
        since=since,
        note=note,
        superseded_by_id=superseded_by_id,
        today=today,
    )
    touched = write_change(
        session,
        doc,
        status,
        actor=actor,
        reason=reason,
        basis=basis,
        since=since,
        note=note,
        superseded_by_id=superseded_by_id,
        batch_id=batch_id,
    )
    log.info(
        "status changed doc=%s new=%s actor=%s batch=%s", doc.id, status, actor, batch_id or "-"
    )
    return touched


def change_status(lib: Library, document_id: int, status: str, **kwargs: object) -> StatusChange:
    """`set_status` in its own transaction, then the index, so search reflects it at once."""
    with lib.db.session() as session:
        touched = set_status(session, document_id, status, **kwargs)
        change = touched.changes[0]
    touched.refresh_index(lib)
    return change


def restore_change(session: Session, change: StatusChange, *, actor: str, reason: str) -> Touched:
    """Put a document back exactly as it was before `change` (used by batch undo)."""
    doc = session.get(Document, change.document_id)
    before = change.before or {}
    current = snapshot(doc)
    basis = f"撤销：{change.basis_title or ''}".strip("：")
    touched = Touched(doc_ids={doc.id})
    undo = StatusChange(
        document_id=doc.id,
        old_status=doc.status,
        new_status=before.get("status", change.old_status),
        since=parse_date(before.get("status_since")),
        basis_title=basis,
        basis_number=change.basis_number,
        reason=reason,
        note=before.get("status_note"),
        superseded_by_id=before.get("superseded_by_id"),
        actor=actor,
        batch_id=change.batch_id,
        reverts_id=change.id,
        before=current,
    )
    session.add(undo)
    doc.status = undo.new_status
    doc.status_since = undo.since
    doc.status_note = undo.note
    doc.superseded_by_id = undo.superseded_by_id
    if before.get("updated_at"):
        doc.updated_at = datetime.fromisoformat(before["updated_at"])
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="status.undo",
        entity_type="document",
        entity_id=doc.id,
        before={k: current[k] for k in STATUS_FIELDS if k != "updated_at"},
        after={k: before.get(k) for k in STATUS_FIELDS if k != "updated_at"},
        basis=basis,
        reason=reason,
        batch_id=change.batch_id,
    )
    touched.qa_ids |= _restore_qa(session, before.get("qa") or {}, actor=actor, reason=reason)
    return touched


def _restore_qa(session: Session, snapshot: dict, *, actor: str, reason: str) -> set[int]:
    """Entries flagged by the change go back to how they were, unless someone has since touched them."""
    restored = set()
    for key, old in snapshot.items():
        entry = session.get(QAEntry, int(key))
        if entry is None or entry.status != "needs_review":
            continue
        audit.record(
            session,
            actor=actor,
            action="qa.review_reverted",
            entity_type="qa",
            entity_id=entry.id,
            before={"status": entry.status, "review_reason": entry.review_reason},
            after={"status": old["status"], "review_reason": old["review_reason"]},
            reason=reason,
        )
        entry.status = old["status"]
        entry.review_reason = old["review_reason"]
        if old.get("updated_at"):
            entry.updated_at = datetime.fromisoformat(old["updated_at"])
        restored.add(entry.id)
    return restored


def state_matches(doc: Document, change: StatusChange) -> bool:
    """True while the document still shows what `change` wrote (nothing else has changed it since)."""
    return (
        doc.status == change.new_status
        and doc.status_since == change.since
        and (doc.status_note or None) == (change.note or None)
        and doc.superseded_by_id == change.superseded_by_id
    )
