"""Documents listed newest first (the home page, `/api/documents`, the catalogue's rows) and the
counts the home page and the health report show.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Row, func, select

from indexer.records import CURRENT_STATUSES

from .core import Library
from .models import Document, QAEntry
from .models.documents import filed_order
from .related import doc_link
from .search_params import DEFAULT_PER_PAGE, PUBLIC_QA_STATUSES


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def filed_date() -> ColumnElement:
    """The date a reader files a document under: published, else signed, else effective (the
    index's year facet reads the same); lists run newest first by it (`filed_order`)."""
    return func.coalesce(Document.published_date, Document.signed_date, Document.effective_date)


def document_row(doc: Document | Row) -> dict:
    """One document in a listing (the home page, /api/documents, the catalogue)."""
    return {
        **doc_link(doc),
        "issuer": doc.issuer,
        "signed_date": _iso(doc.signed_date),
        "published_date": _iso(doc.published_date),
        "effective_date": _iso(doc.effective_date),
        "interprets": doc.interprets_id,
        "source_file": doc.source_file,
    }


def list_documents(
    lib: Library, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE, include_all: bool = False
) -> dict:
    """Newest first; like search, only current documents unless include_all."""
    stmt = select(Document)
    if not include_all:
        stmt = stmt.where(Document.status.in_(CURRENT_STATUSES))
    with lib.db.session() as session:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = session.scalars(
            stmt.order_by(filed_order().desc(), Document.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        results = [document_row(d) for d in rows]
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": max(1, -(-total // per_page)),
        "include_all": include_all,
        "results": results,
    }


def holdings(lib: Library) -> dict[str, int]:
    """What the home page and /healthz report: how much the library holds."""
    with lib.db.session() as session:
        by_kind = dict(
            session.execute(select(Document.kind, func.count()).group_by(Document.kind)).all()
        )
        current = session.scalar(
            select(func.count())
            .select_from(Document)
            .where(Document.kind == "document", Document.status.in_(CURRENT_STATUSES))
        )
        qa = session.scalar(
            select(func.count()).select_from(QAEntry).where(QAEntry.status.in_(PUBLIC_QA_STATUSES))
        )
    return {
        "documents": by_kind.get("document", 0),
        "current_documents": current or 0,
        "interpretations": by_kind.get("interpretation", 0),
        "qa": qa or 0,
    }
