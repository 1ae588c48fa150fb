"""Validity history: every status change, the legal office's cleanup batches, and proposals."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .documents import Document

# Statuses and their Chinese labels, in the order the legal office thinks of them.
STATUS_LABELS = {
    "valid": "现行有效",
    "not_yet_effective": "尚未生效",
    "amended": "已修改",
    "partially_invalid": "部分失效",
    "expired": "失效",
    "repealed": "已废止",
}
STATUSES = tuple(STATUS_LABELS)


class StatusChange(Base):
    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    old_status: Mapped[str | None] = mapped_column(String(30))
    new_status: Mapped[str] = mapped_column(String(30))
    since: Mapped[date | None]
    basis_title: Mapped[str | None] = mapped_column(String(500))
    basis_number: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)  # e.g. which part is invalid
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("cleanup_batches.id"), index=True)
    # The document's status fields (and Q&A entries flagged) before this change, so an undo can
    # restore the identical state; and, for an undo, the change it reverts.
    before: Mapped[dict | None] = mapped_column(default=None)
    reverts_id: Mapped[int | None] = mapped_column(ForeignKey("status_changes.id"))

    document: Mapped[Document] = relationship(foreign_keys=[document_id])


class CleanupBatch(Base):
    """One applied cleanup sheet; undoing it reverts every change it made, as one transaction."""

    __tablename__ = "cleanup_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(500))
    basis_title: Mapped[str | None] = mapped_column(String(500))
    basis_number: Mapped[str | None] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    row_count: Mapped[int] = mapped_column(default=0)
    changed_count: Mapped[int] = mapped_column(default=0)
    summary: Mapped[dict] = mapped_column(default=dict)  # rows per preview outcome
    undone_at: Mapped[datetime | None]
    undone_by: Mapped[str | None] = mapped_column(String(100))


class StatusProposal(Base):
    """A change the system suspects (a newer version, a 同时废止 clause) awaiting the legal office."""

    __tablename__ = "status_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    proposed_status: Mapped[str] = mapped_column(String(30))
    source_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending|accepted|rejected
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None]
    resolution_reason: Mapped[str | None] = mapped_column(Text)
