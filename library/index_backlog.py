"""The index backlog: search records the database changed and the index has not caught up with.

The database is the source of truth and the index is refreshed after each commit. When that refresh
fails (index folder unwritable, disk full, the search table locked), the change is committed but
search is stale: a repealed document would still be shown as current. So every flush that changes a
document, a Q&A entry or its bases also inserts a row here, in the same transaction as the change;
only a successful refresh deletes the rows it covered. A row still here is what `health` reports as
"index behind the database", and what the next refresh, the web app's next request cycle and the
daily job retry.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import chain

from sqlalchemy import delete, event, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from .models import Document, IndexBacklog, QABasis, QAEntry, utcnow

# At most this many rows are retried at once; the rest wait for the next call.
RETRY_BATCH = 5000
_SKIP = "policylib.index_backlog.skip"


def track(factory: sessionmaker) -> None:
    """Record the changed search records of every flush made by sessions of `factory`."""
    event.listen(factory, "after_flush", _record_changes)


def _history_ids(obj: object, attr: str) -> set[int]:
    """Current and previous values of a foreign key, so both ends of a moved link are refreshed."""
    hist = inspect(obj).attrs[attr].history
    return {v for v in chain(hist.added, hist.unchanged, hist.deleted) if v}


def _records_of(obj: object) -> set[str]:
    if isinstance(obj, Document):
        related = _history_ids(obj, "interprets_id")
        return {f"doc:{obj.id}"} | {f"doc:{i}" for i in related}
    if isinstance(obj, QAEntry):
        return {f"qa:{obj.id}"}
    if isinstance(obj, QABasis):
        return {f"qa:{i}" for i in _history_ids(obj, "entry_id")}
    return set()


def skip(session: Session) -> None:
    """This session's changes reach the index by a rebuild its caller runs (the weekly reindex
    ingests with index=False, then rebuilds): recording them would let a refresh write them
    into the live index before the swap, and a rollback would no longer go back to before."""
    session.info[_SKIP] = True


def _record_changes(session: Session, _flush_context: object) -> None:
    """after_flush: ids are assigned and session.new/dirty/deleted still show what was flushed."""
    if session.info.get(_SKIP):
        return
    records: set[str] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        records |= _records_of(obj)
    if records:
        now = utcnow()
        session.connection().execute(
            IndexBacklog.__table__.insert(), [{"record": r, "at": now} for r in sorted(records)]
        )


def pending(session: Session, limit: int | None = RETRY_BATCH) -> list[tuple[int, str]]:
    """(row id, record) of the oldest rows waiting, at most `limit`."""
    stmt = select(IndexBacklog.id, IndexBacklog.record).order_by(IndexBacklog.id).limit(limit)
    return [(r.id, r.record) for r in session.execute(stmt)]


def split(records: Iterable[str]) -> tuple[set[int], set[int]]:
    """("doc:1", "qa:2", …) as (document ids, Q&A entry ids)."""
    doc_ids, qa_ids = set(), set()
    for record in records:
        kind, _, raw = record.partition(":")
        (doc_ids if kind == "doc" else qa_ids).add(int(raw))
    return doc_ids, qa_ids


def behind_statuses(session: Session, doc_ids: Iterable[int]) -> dict[int, str]:
    """The database's status of those of `doc_ids` whose index entry has not caught up: while a
    refresh keeps failing, search must not show a repealed document as current. One indexed lookup
    per page of hits, answered from an empty table when all is well."""
    refs = [f"doc:{i}" for i in doc_ids]
    if not refs:
        return {}
    stmt = select(IndexBacklog.record).where(IndexBacklog.record.in_(refs))
    waiting, _ = split(session.scalars(stmt))
    if not waiting:
        return {}
    rows = session.execute(select(Document.id, Document.status).where(Document.id.in_(waiting)))
    return {row.id: row.status for row in rows}


def clear(session: Session, row_ids: Iterable[int]) -> None:
    """Delete exactly the rows a successful refresh covered: rows written meanwhile stay."""
    ids = sorted(set(row_ids))
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        session.execute(delete(IndexBacklog).where(IndexBacklog.id.in_(ids[start : start + 900])))


def summary(session: Session) -> dict:
    """{"records": distinct records waiting, "since": when the oldest was changed (ISO) or None}."""
    count = session.scalar(select(func.count(func.distinct(IndexBacklog.record)))) or 0
    oldest: datetime | None = session.scalar(select(func.min(IndexBacklog.at)))
    if oldest is not None and oldest.tzinfo is None:  # SQLite returns min() as naive text
        oldest = datetime.fromisoformat(str(oldest))
    return {"records": count, "since": oldest.isoformat() if oldest else None}
