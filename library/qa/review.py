"""Keeping answers honest: an entry whose policy basis stops being current goes back for review."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.records import CURRENT_STATUSES

from .. import audit
from ..models import Document, QABasis, QAEntry
from ..status_labels import status_label


def on_document_status_changed(session: Session, document_id: int, actor: str) -> list[int]:
    """Flag published entries resting on a document that is no longer current; return their ids.

    Called by the validity service inside the same transaction as the status change, so the
    answer and its basis can never disagree in the stored data.
    """
    doc = session.get(Document, document_id)
    if doc is None or doc.status in CURRENT_STATUSES:
        return []
    stmt = (
        select(QAEntry)
        .join(QABasis, QABasis.entry_id == QAEntry.id)
        .where(QABasis.document_id == document_id, QAEntry.status == "published")
    )
    flagged = []
    for entry in session.scalars(stmt).unique():
        reason = f"依据文件《{doc.title}》已变为“{status_label(doc.status)}”"
        audit.record(
            session,
            actor=actor,
            action="qa.needs_review",
            entity_type="qa",
            entity_id=entry.id,
            before={"status": entry.status},
            after={"status": "needs_review", "review_reason": reason},
            reason=reason,
        )
        entry.status = "needs_review"
        entry.review_reason = reason
        flagged.append(entry.id)
    return flagged
