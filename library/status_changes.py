"""Status changes as the legal office's pages read them: the latest ones, one cleanup batch's, and
one document's status page. Every change is serialised by `validity.history.change_dict`, the one shape a
`StatusChange` has; these functions only choose which changes and what to put beside them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .documents import status_row
from .models import Document, StatusChange
from .validity.common import effective_status
from .validity.history import change_dict, status_history


def recent_changes(session: Session, limit: int = 10) -> list[dict]:
    """The newest changes across the library, each with its document's title (the dashboard)."""
    stmt = (
        select(StatusChange, Document.title)
        .join(Document, Document.id == StatusChange.document_id)
        .order_by(StatusChange.id.desc())
        .limit(limit)
    )
    return [change_dict(c) | {"title": t} for c, t in session.execute(stmt)]


def batch_changes(session: Session, batch_id: int) -> list[dict]:
    """The changes one cleanup batch made, in the order it made them, with title and 文号."""
    stmt = (
        select(StatusChange, Document.title, Document.doc_number)
        .join(Document, Document.id == StatusChange.document_id)
        .where(StatusChange.batch_id == batch_id)
        .order_by(StatusChange.id)
    )
    return [change_dict(c) | {"title": t, "doc_number": n} for c, t, n in session.execute(stmt)]


# What readers see of a change, under the names `/api/documents/<id>` has always used; the
# actor, the batch and the undo links stay inside the legal office.
PUBLIC_CHANGE_KEYS = {
    "old_status": "old_status",
    "old_status_label": "old_status_label",
    "new_status": "new_status",
    "new_status_label": "new_status_label",
    "since": "since",
    "basis": "basis_title",
    "basis_number": "basis_number",
    "reason": "reason",
    "note": "note",
    "superseded_by_id": "superseded_by",
    "at": "at",
}


def public_history(session: Session, doc_id: int) -> list[dict]:
    """A document's changes as its public page and the API show them, in the order they took
    effect (a change and its undo may share a time: then by id)."""
    stmt = (
        select(StatusChange)
        .where(StatusChange.document_id == doc_id)
        .order_by(StatusChange.at, StatusChange.id)
    )
    history = []
    for change in session.scalars(stmt):
        full = change_dict(change)
        item = {public: full[key] for key, public in PUBLIC_CHANGE_KEYS.items()}
        item["old_status_label"] = item["old_status_label"] if change.old_status else None
        history.append(item)
    return history


def document_status(session: Session, doc_id: int) -> dict | None:
    """One document's status page: its row, the status it shows, its history and the title of
    the document replacing it; None when there is no such document."""
    doc = session.get(Document, doc_id)
    if doc is None:
        return None
    data = status_row(doc) | {"effective_status": effective_status(doc)}
    data["history"] = status_history(session, doc_id)
    if doc.superseded_by_id:
        newer = session.get(Document, doc.superseded_by_id)
        data["superseded_by_title"] = newer.title if newer else None
    return data
