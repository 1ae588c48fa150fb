"""Keeps the search index in line with the database, which is the source of truth.

Every service that changes a document or a Q&A entry calls `refresh` after its commit, so search
reflects the change at once; `rebuild` recreates the whole index from the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from indexer.records import IndexRecord

from .core import Library
from .models import Document, QAEntry

log = logging.getLogger("policylib.indexing")


def document_record(doc: Document) -> IndexRecord:
    related = [f"doc:{doc.interprets_id}"] if doc.interprets_id else []
    related += [f"doc:{i.id}" for i in doc.interpretations]
    return IndexRecord(
        id=f"doc:{doc.id}",
        kind=doc.kind,
        title=doc.title,
        body=doc.text,
        status=doc.status,
        doc_number=doc.doc_number,
        doc_number_norm=doc.doc_number_norm,
        issuer=doc.issuer,
        level=doc.level,
        topic=doc.topic,
        signed_date=doc.signed_date,
        published_date=doc.published_date,
        effective_date=doc.effective_date,
        source_file=doc.source_file,
        related=related,
    )


def qa_record(entry: QAEntry) -> IndexRecord:
    return IndexRecord(
        id=f"qa:{entry.id}",
        kind="qa",
        title=entry.question,
        body=entry.answer,
        status=entry.status,
        issuer=entry.department,
        topic=entry.topic,
        related=[f"doc:{b.document_id}" for b in entry.bases if b.document_id],
        extra_terms=list(entry.similar or []),
    )


def _documents(session: Session, ids: Iterable[int] | None) -> Iterator[Document]:
    stmt = select(Document).options(selectinload(Document.interpretations))
    if ids is not None:
        stmt = stmt.where(Document.id.in_(list(ids)))
    yield from session.scalars(stmt.execution_options(yield_per=200))


def _qa_entries(session: Session, ids: Iterable[int] | None) -> Iterator[QAEntry]:
    stmt = select(QAEntry).options(selectinload(QAEntry.bases))
    if ids is not None:
        stmt = stmt.where(QAEntry.id.in_(list(ids)))
    yield from session.scalars(stmt.execution_options(yield_per=200))


def all_records(lib: Library) -> Iterator[IndexRecord]:
    """Every record the index should hold, streamed so a large library never sits in memory."""
    with lib.db.session() as session:
        for doc in _documents(session, None):
            yield document_record(doc)
        for entry in _qa_entries(session, None):
            yield qa_record(entry)


def refresh(lib: Library, doc_ids: Iterable[int] = (), qa_ids: Iterable[int] = ()) -> None:
    """Re-read the given rows after their commit and upsert them; rows gone from the DB are deleted."""
    doc_ids, qa_ids = set(doc_ids), set(qa_ids)
    if not doc_ids and not qa_ids:
        return
    with lib.db.session() as session:
        records = [document_record(d) for d in _documents(session, doc_ids)]
        records += [qa_record(e) for e in _qa_entries(session, qa_ids)]
    found = {r.id for r in records}
    wanted = {f"doc:{i}" for i in doc_ids} | {f"qa:{i}" for i in qa_ids}
    lib.index.upsert(records)
    if wanted - found:
        lib.index.delete(wanted - found)
    log.info("index refreshed upserted=%d deleted=%d", len(records), len(wanted - found))


def count_records(lib: Library) -> int:
    with lib.db.session() as session:
        from sqlalchemy import func

        docs = session.scalar(select(func.count()).select_from(Document)) or 0
        qas = session.scalar(select(func.count()).select_from(QAEntry)) or 0
    return docs + qas


def rebuild(lib: Library) -> dict:
    """Build a fresh index beside the live one from the database and swap it in atomically."""
    return lib.index.rebuild(all_records(lib), expected_count=count_records(lib))
