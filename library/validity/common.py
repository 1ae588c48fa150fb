"""What every validity workflow shares: the error, the touched-rows record, labels and small helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from indexer.records import CURRENT_STATUSES
from parsers.docnumber import find_doc_numbers

from .. import indexing
from ..core import Library
from ..models import STATUSES, Document, StatusChange

SYSTEM_ACTOR = "system"
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


def iso(value: object) -> object:
    return value.isoformat() if isinstance(value, date | datetime) else value


def snapshot(doc: Document) -> dict:
    return {name: iso(getattr(doc, name)) for name in STATUS_FIELDS}


def parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


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
