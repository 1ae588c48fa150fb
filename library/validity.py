"""时效性: every status change, by hand, by a cleanup batch, or by the calendar, is recorded and traced.

A change writes the document, a `StatusChange` row (with the state before it, so a batch can be
undone exactly), an audit entry, the Q&A review flags, and mirrors onto the document's
interpretations, all in the caller's transaction; the search index is refreshed after the commit.
Replacement detection only ever creates proposals: the legal office decides.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from indexer.records import CURRENT_STATUSES
from parsers.docnumber import find_doc_numbers, looks_like_doc_number, normalize_doc_number

from . import audit, indexing
from .core import Library
from .models import (
    STATUS_LABELS,
    STATUSES,
    AppState,
    Document,
    QABasis,
    QAEntry,
    StatusChange,
    StatusProposal,
    utcnow,
)
from .qa.review import on_document_status_changed
from .status_labels import status_label
from .titles import title_keys

log = logging.getLogger("policylib.validity")

SYSTEM_ACTOR = "system"
DUE_STATE_KEY = "validity.due_transitions"
# Statuses a date may move a document out of; amended/repealed/expired are decisions that stay.
DATE_DRIVEN_FROM = ("valid", "partially_invalid", "not_yet_effective")
# The fields of a document that a status change writes, and an undo restores.
STATUS_FIELDS = ("status", "status_since", "status_note", "superseded_by_id", "updated_at")


class ValidityError(ValueError):
    """A status change that cannot be made; the message says why and what to do instead."""


@dataclass
class Touched:
    """What a unit of work changed, so the index can be refreshed once after the commit."""

    doc_ids: set[int] = field(default_factory=set)
    qa_ids: set[int] = field(default_factory=set)
    changes: list[StatusChange] = field(default_factory=list)

    def merge(self, other: Touched) -> Touched:
        self.doc_ids |= other.doc_ids
        self.qa_ids |= other.qa_ids
        self.changes += other.changes
        return self

    def refresh_index(self, lib: Library) -> None:
        indexing.refresh(lib, doc_ids=self.doc_ids, qa_ids=self.qa_ids)


def effective_status(doc: Document) -> str:
    """An interpretation has no validity of its own: it shows the status of the document it explains."""
    if doc.kind == "interpretation" and doc.interprets is not None:
        return doc.interprets.status
    return doc.status


def is_current(status: str) -> bool:
    return status in CURRENT_STATUSES


def split_basis(basis: str) -> tuple[str, str | None]:
    """The basis as written, and the 文号 it cites (the first one), for filtering and exports."""
    basis = basis.strip()
    numbers = find_doc_numbers(basis)
    return basis, (numbers[0].group(0) if numbers else None)


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _snapshot(doc: Document) -> dict:
    return {name: _iso(getattr(doc, name)) for name in STATUS_FIELDS}


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
            "updated_at": _iso(e.updated_at),
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


def _write_change(
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
    before = _snapshot(doc)
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
        after={k: _iso(getattr(doc, k)) for k in STATUS_FIELDS if k != "updated_at"},
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
                _write_change(
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
    touched = _write_change(
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
    current = _snapshot(doc)
    basis = f"撤销：{change.basis_title or ''}".strip("：")
    touched = Touched(doc_ids={doc.id})
    undo = StatusChange(
        document_id=doc.id,
        old_status=doc.status,
        new_status=before.get("status", change.old_status),
        since=_parse_date(before.get("status_since")),
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


def _parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def state_matches(doc: Document, change: StatusChange) -> bool:
    """True while the document still shows what `change` wrote (nothing else has changed it since)."""
    return (
        doc.status == change.new_status
        and doc.status_since == change.since
        and (doc.status_note or None) == (change.note or None)
        and doc.superseded_by_id == change.superseded_by_id
    )


# --- history ---------------------------------------------------------------------------------


def status_history(session: Session, document_id: int) -> list[dict]:
    """Every change of a document, oldest first, for its page and its JSON."""
    changes = session.scalars(
        select(StatusChange)
        .where(StatusChange.document_id == document_id)
        .order_by(StatusChange.id)
    ).all()
    reverted = {c.reverts_id for c in changes if c.reverts_id}
    return [change_dict(c, reverted=c.id in reverted) for c in changes]


def change_dict(change: StatusChange, *, reverted: bool = False) -> dict:
    return {
        "id": change.id,
        "document_id": change.document_id,
        "at": _iso(change.at),
        "actor": change.actor,
        "old_status": change.old_status,
        "old_status_label": status_label(change.old_status),
        "new_status": change.new_status,
        "new_status_label": status_label(change.new_status),
        "since": _iso(change.since),
        "basis": change.basis_title,
        "basis_number": change.basis_number,
        "reason": change.reason,
        "note": change.note,
        "superseded_by_id": change.superseded_by_id,
        "batch_id": change.batch_id,
        "reverts_id": change.reverts_id,
        "reverted": reverted,
    }


# --- date-driven transitions -------------------------------------------------------------------


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


def _due_for(doc: Document, today: date) -> tuple[str, date, str, str] | None:
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
        stmt = select(Document).where(
            Document.kind == "document",
            Document.status.in_(DATE_DRIVEN_FROM),
            or_(Document.effective_date.is_not(None), Document.expiry_date.is_not(None)),
        )
        # In id order on every database: the report and the audit log list them the same way.
        for doc in session.scalars(stmt.order_by(Document.id)).all():
            due = _due_for(doc, today)
            if due is None:
                continue
            status, since, basis, reason = due
            old = doc.status
            touched.merge(
                _write_change(
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


def _sync_interpretations(session: Session, today: date) -> Touched:
    """Interpretations linked after their document changed (e.g. ingested later) catch up here."""
    touched = Touched()
    stmt = select(Document).where(
        Document.kind == "interpretation", Document.interprets_id.is_not(None)
    )
    for interp in session.scalars(stmt.order_by(Document.id)).all():
        parent = interp.interprets
        if parent is None or interp.status == parent.status:
            continue
        touched.merge(
            _write_change(
                session,
                interp,
                parent.status,
                actor=SYSTEM_ACTOR,
                reason=f"随所解读文件《{parent.title}》（#{parent.id}）的状态",
                basis=f"所解读文件 #{parent.id}",
                since=parent.status_since or today,
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
        return _parse_date(state.value.get("date")) if state else None


def run_due_if_needed(lib: Library, today: date) -> list[DueTransition] | None:
    """The daily run, cheap to call often: does nothing if today's run already happened."""
    last = last_due_run(lib)
    if last is not None and last >= today:
        return None
    return apply_due_transitions(lib, today)


# --- replacement proposals ---------------------------------------------------------------------


def _same_title(session: Session, keys: set[str], *where: object) -> list[Document]:
    """Documents sharing a title key (see `title_keys`); compared without loading any text."""
    rows = session.execute(select(Document.id, Document.title, Document.issuer).where(*where))
    ids = [i for i, t, issuer in rows if title_keys(t, issuer) & keys]
    return list(session.scalars(select(Document).where(Document.id.in_(ids)))) if ids else []


def _find_by_ref(session: Session, ref: str, exclude: int) -> list[Document]:
    """Documents a 同时废止 clause names, by 文号 when it is one, else by normalised title."""
    ref = ref.strip().strip("《》")
    if not ref:
        return []
    if looks_like_doc_number(ref):
        stmt = select(Document).where(
            Document.doc_number_norm == normalize_doc_number(ref),
            Document.kind == "document",
            Document.id != exclude,
        )
        return list(session.scalars(stmt))
    keys = title_keys(ref)
    return _same_title(session, keys, Document.kind == "document", Document.id != exclude)


def _doc_date(doc: Document) -> tuple:
    """Ordering of versions: the dates the documents carry, the order they arrived as a last resort."""
    day = doc.effective_date or doc.published_date or doc.signed_date
    return (day or date.min, doc.id)


def _older_versions(session: Session, doc: Document) -> list[tuple[Document, Document]]:
    """(older, newer) pairs of the same normalised title from the same issuer."""
    if not doc.title or not doc.issuer:
        return []
    same = _same_title(
        session,
        title_keys(doc.title, doc.issuer),
        Document.kind == "document",
        Document.issuer == doc.issuer,
        Document.id != doc.id,
    )
    return [(o, doc) if _doc_date(o) < _doc_date(doc) else (doc, o) for o in same]


def _propose(
    session: Session, target: Document, status: str, source: Document, reason: str
) -> StatusProposal | None:
    if target.status in ("repealed", "expired") or target.status == status:
        return None
    exists = session.scalar(
        select(StatusProposal.id).where(
            StatusProposal.document_id == target.id,
            StatusProposal.source_document_id == source.id,
            StatusProposal.proposed_status == status,
        )
    )
    if exists:
        return None
    proposal = StatusProposal(
        document_id=target.id, proposed_status=status, source_document_id=source.id, reason=reason
    )
    session.add(proposal)
    session.flush()
    audit.record(
        session,
        actor=SYSTEM_ACTOR,
        action="proposal.create",
        entity_type="document",
        entity_id=target.id,
        after={"proposal": proposal.id, "proposed_status": status, "source": source.id},
        reason=reason,
    )
    return proposal


def _replaces_refs(doc: Document) -> list[str]:
    """What the document says it replaces: ingest keeps a list; a parser's Evidence dict joins
    the titles/文号 with ；."""
    raw = (doc.evidence or {}).get("replaces") or []
    if isinstance(raw, dict):
        raw = str(raw.get("value") or "").split("；")
    return [str(r).strip() for r in raw if str(r).strip()]


def propose_replacements(session: Session, doc: Document) -> list[StatusProposal]:
    """Proposals (never changes) for what a newly stored document replaces; ingest calls this."""
    if doc.kind != "document":
        return []
    made: list[StatusProposal] = []
    for ref in _replaces_refs(doc):
        for target in _find_by_ref(session, ref, exclude=doc.id):
            reason = f"《{doc.title}》称“{ref}”同时废止"
            p = _propose(session, target, "repealed", doc, reason)
            made += [p] if p else []
    for older, newer in _older_versions(session, doc):
        reason = f"同一发文机关（{doc.issuer}）发布了同名的新版本《{newer.title}》（#{newer.id}）"
        p = _propose(session, older, "amended", newer, reason)
        made += [p] if p else []
    if made:
        log.info("proposals created source=%s count=%d", doc.id, len(made))
    return made


def pending_proposals(session: Session) -> list[StatusProposal]:
    return list(
        session.scalars(
            select(StatusProposal)
            .where(StatusProposal.state == "pending")
            .order_by(StatusProposal.id)
        )
    )


def proposal_dict(session: Session, p: StatusProposal) -> dict:
    doc = session.get(Document, p.document_id)
    source = session.get(Document, p.source_document_id) if p.source_document_id else None
    return {
        "id": p.id,
        "document_id": p.document_id,
        "document_title": doc.title if doc else None,
        "document_number": doc.doc_number if doc else None,
        "current_status": doc.status if doc else None,
        "proposed_status": p.proposed_status,
        "proposed_status_label": status_label(p.proposed_status),
        "source_document_id": p.source_document_id,
        "source_title": source.title if source else None,
        "source_number": source.doc_number if source else None,
        "reason": p.reason,
        "state": p.state,
        "created_at": _iso(p.created_at),
        "resolved_by": p.resolved_by,
        "resolved_at": _iso(p.resolved_at),
        "resolution_reason": p.resolution_reason,
    }


def _pending(session: Session, proposal_id: int) -> StatusProposal:
    p = session.get(StatusProposal, proposal_id)
    if p is None:
        raise ValidityError(f"建议 #{proposal_id} 不存在。")
    if p.state != "pending":
        raise ValidityError(f"建议 #{proposal_id} 已处理（{p.state}），不能再次处理。")
    return p


def default_basis(session: Session, p: StatusProposal) -> str:
    source = session.get(Document, p.source_document_id) if p.source_document_id else None
    if source is None:
        return ""
    return f"《{source.title}》" + (f"（{source.doc_number}）" if source.doc_number else "")


def confirm_proposal(
    lib: Library,
    proposal_id: int,
    *,
    actor: str,
    basis: str | None = None,
    reason: str | None = None,
    today: date | None = None,
) -> StatusChange:
    """Accept a proposal: the status change it suggested, linked to the replacing document."""
    with lib.db.session() as session:
        p = _pending(session, proposal_id)
        touched = set_status(
            session,
            p.document_id,
            p.proposed_status,
            actor=actor,
            reason=reason or p.reason,
            basis=basis or default_basis(session, p),
            superseded_by_id=p.source_document_id,
            today=today,
        )
        p.state, p.resolved_by, p.resolved_at = "accepted", actor, utcnow()
        p.resolution_reason = reason
        audit.record(
            session,
            actor=actor,
            action="proposal.accept",
            entity_type="document",
            entity_id=p.document_id,
            after={"proposal": p.id, "status": p.proposed_status},
            basis=basis,
            reason=reason or p.reason,
        )
        change = touched.changes[0]
    touched.refresh_index(lib)
    return change


def reject_proposal(lib: Library, proposal_id: int, *, actor: str, reason: str) -> StatusProposal:
    """Reject with a reason, so the same suggestion is not raised again for this pair."""
    if not reason.strip():
        raise ValidityError("请填写不采纳的理由。")
    with lib.db.session() as session:
        p = _pending(session, proposal_id)
        p.state, p.resolved_by, p.resolved_at = "rejected", actor, utcnow()
        p.resolution_reason = reason.strip()
        audit.record(
            session,
            actor=actor,
            action="proposal.reject",
            entity_type="document",
            entity_id=p.document_id,
            after={"proposal": p.id},
            reason=reason.strip(),
        )
    return p


def status_counts(session: Session) -> dict[str, int]:
    """Documents per status (normative documents only), every status present even at zero."""
    stmt = (
        select(Document.status, func.count())
        .where(Document.kind == "document")
        .group_by(Document.status)
    )
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(dict(session.execute(stmt).all()))
    return counts
