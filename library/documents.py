"""Reading documents out of the store as plain dicts: the shape the CLI, API and pages share."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .models import STATUS_LABELS, Document
from .status_labels import status_label

DATE_FIELDS = ("signed_date", "published_date", "effective_date", "expiry_date")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def document_dict(doc: Document, *, with_text: bool = False) -> dict:
    """The contract of `docs show --json` and `/api/documents/<id>`; add keys, never rename."""
    data = {
        "id": doc.id,
        "title": doc.title,
        "kind": doc.kind,
        "doc_number": doc.doc_number,
        "issuer": doc.issuer,
        **{f: _iso(getattr(doc, f)) for f in DATE_FIELDS},
        "status": doc.status,
        "status_label": status_label(doc.status),
        "status_since": _iso(doc.status_since),
        "level": doc.level,
        "topic": doc.topic,
        "interprets": doc.interprets_id,
        "interprets_ref": doc.interprets_ref,
        "superseded_by": doc.superseded_by_id,
        "source_file": doc.source_file,
        "source_format": doc.source_format,
        "source_missing": doc.source_missing,
        "evidence": {k: v for k, v in (doc.evidence or {}).items() if isinstance(v, dict)},
        "warnings": list(doc.warnings or []),
        "corrections": dict(doc.corrections or {}),
        # Scans: true when pages were read by OCR, with the page count and mean confidence.
        "ocr": doc.ocr is not None,
        "ocr_pages": list(doc.ocr["ocr_pages"]) if doc.ocr else [],
        "pages": doc.ocr["pages"] if doc.ocr else None,
        "ocr_mean_confidence": doc.ocr["mean_confidence"] if doc.ocr else None,
    }
    if with_text:
        data["text"] = doc.text
    return data


def staff_listing(
    session: Session,
    *,
    kind: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, list[Document]]:
    """Every document in id order, whatever its status: what staff and scripts list (`docs list`).

    The public lists are another question (newest first, current only): `listings.list_documents`.
    """
    stmt = select(Document)
    if kind:
        stmt = stmt.where(Document.kind == kind)
    if status:
        stmt = stmt.where(Document.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.order_by(Document.id).offset(offset)
    if limit:
        stmt = stmt.limit(limit)
    return total, list(session.scalars(stmt))


def status_row(doc: Document) -> dict:
    """A document as the legal office's status pages list it: what its status is and since when."""
    return {
        "id": doc.id,
        "title": doc.title,
        "doc_number": doc.doc_number,
        "issuer": doc.issuer,
        "status": doc.status,
        "status_label": status_label(doc.status),
        "status_since": _iso(doc.status_since),
        "status_note": doc.status_note,
        "superseded_by_id": doc.superseded_by_id,
        "effective_date": _iso(doc.effective_date),
        "expiry_date": _iso(doc.expiry_date),
        "kind": doc.kind,
        "interprets_id": doc.interprets_id,
    }


def find_documents(
    session: Session, *, q: str = "", status: str = "", offset: int = 0, limit: int = 50
) -> tuple[int, list[dict]]:
    """Normative documents whose title or 文号 contains `q`, newest first, as `status_row`s:
    the legal office's finder. An unknown `status` filters nothing."""
    stmt = select(Document).where(Document.kind == "document")
    if q:
        like = f"%{q}%"
        # ilike: PostgreSQL's LIKE tells Gb from gb, SQLite's does not; the clerk means either
        stmt = stmt.where(or_(Document.title.ilike(like), Document.doc_number.ilike(like)))
    if status in STATUS_LABELS:
        stmt = stmt.where(Document.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    docs = session.scalars(stmt.order_by(Document.id.desc()).offset(offset).limit(limit))
    return total, [status_row(d) for d in docs]


def document_kind(session: Session, doc_id: int) -> str | None:
    """ "document" or "interpretation"; None when there is no such document."""
    return session.scalar(select(Document.kind).where(Document.id == doc_id))


def interprets(session: Session, interp_id: int, doc_id: int) -> bool:
    """Whether the interpretation `interp_id` is linked to the document `doc_id`."""
    target = session.scalar(select(Document.interprets_id).where(Document.id == interp_id))
    return target == doc_id
