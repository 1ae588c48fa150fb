"""Keeps the search index in line with the database, which is the source of truth.

Every service that changes a document or a Q&A entry calls `refresh` after its commit, so search
reflects the change at once; `rebuild` recreates the whole index from the database. What a failed
refresh left behind waits in the index backlog (`index_backlog`) until a later one succeeds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from indexer.records import IndexRecord

from . import index_backlog
from .core import Library
from .models import Document, QAEntry

log = logging.getLogger("policylib.indexing")

# The web app retries a failed refresh at most this often per process (docs/operations.md).
CATCH_UP_EVERY_S = 10.0


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


def refresh(lib: Library, doc_ids: Iterable[int] = (), qa_ids: Iterable[int] = ()) -> bool:
    """Re-read the given rows after their commit, and every row still in the index backlog, and
    upsert them; rows gone from the DB are deleted. True when the index took them all.

    A failure of the index is logged and leaves the backlog rows in place (health warns, the next
    refresh retries); it never undoes or hides the committed change, so it is not raised.
    """
    with lib.db.session() as session:
        waiting = index_backlog.pending(session)
        more_docs, more_qa = index_backlog.split(r for _, r in waiting)
        doc_ids, qa_ids = set(doc_ids) | more_docs, set(qa_ids) | more_qa
        if not doc_ids and not qa_ids:
            return True
        records = [document_record(d) for d in _documents(session, doc_ids)]
        records += [qa_record(e) for e in _qa_entries(session, qa_ids)]
    found = {r.id for r in records}
    gone = ({f"doc:{i}" for i in doc_ids} | {f"qa:{i}" for i in qa_ids}) - found
    try:
        lib.index.upsert(records)
        if gone:
            lib.index.delete(gone)
    except Exception:  # any index failure: the backlog keeps the change for a retry
        log.exception("index refresh failed; index behind the database records=%d", len(records))
        return False
    with lib.db.session() as session:
        index_backlog.clear(session, (row_id for row_id, _ in waiting))
    log.info("index refreshed upserted=%d deleted=%d", len(records), len(gone))
    return True


def catch_up(lib: Library) -> bool | None:
    """Retry what the index backlog holds: True when the index caught up, False when the retry
    failed, None when nothing was waiting. The web app calls it on its request cycle (at most
    every `CATCH_UP_EVERY_S` per process), the daily job on each wake-up."""
    with lib.db.session() as session:
        if not index_backlog.pending(session, limit=1):
            return None
    return refresh(lib)


def count_records(lib: Library) -> int:
    with lib.db.session() as session:
        from sqlalchemy import func

        docs = session.scalar(select(func.count()).select_from(Document)) or 0
        qas = session.scalar(select(func.count()).select_from(QAEntry)) or 0
    return docs + qas


def rebuild(lib: Library) -> dict:
    """Build a fresh index beside the live one from the database and swap it in atomically.

    The backlog rows present before the build are covered by it and cleared after the swap.
    """
    with lib.db.session() as session:
        waiting = [row_id for row_id, _ in index_backlog.pending(session, limit=None)]
    built = lib.index.rebuild(all_records(lib), expected_count=count_records(lib))
    with lib.db.session() as session:
        index_backlog.clear(session, waiting)
    return built
