"""Replacement proposals: what a newly stored document replaces, proposed (never changed) for the
legal office to confirm or reject."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from parsers.docnumber import looks_like_doc_number, normalize_doc_number

from .. import audit
from ..core import Library
from ..models import Document, StatusChange, StatusProposal, utcnow
from ..status_labels import status_label
from ..titles import title_keys
from .common import SYSTEM_ACTOR, ValidityError, iso
from .status import set_status

log = logging.getLogger("policylib.validity")


def _same_title(session: Session, keys: set[str], *where: object) -> list[Document]:
    """Documents sharing a title key (see `title_keys`), found through the stored, indexed keys."""
    if not keys:
        return []
    stmt = select(Document).where(
        or_(Document.title_key.in_(keys), Document.title_key_short.in_(keys)), *where
    )
    return list(session.scalars(stmt.order_by(Document.id)))


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
        "created_at": iso(p.created_at),
        "resolved_by": p.resolved_by,
        "resolved_at": iso(p.resolved_at),
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
