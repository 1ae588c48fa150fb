"""A document's status history as its page and its JSON show it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import StatusChange
from ..status_labels import status_label
from .common import iso


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
        "at": iso(change.at),
        "actor": change.actor,
        "old_status": change.old_status,
        "old_status_label": status_label(change.old_status),
        "new_status": change.new_status,
        "new_status_label": status_label(change.new_status),
        "since": iso(change.since),
        "basis": change.basis_title,
        "basis_number": change.basis_number,
        "reason": change.reason,
        "note": change.note,
        "superseded_by_id": change.superseded_by_id,
        "batch_id": change.batch_id,
        "reverts_id": change.reverts_id,
        "reverted": reverted,
    }
