"""The hotline's high-frequency policy Q&A base and its usage log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

QA_STATUSES = ("draft", "published", "needs_review", "retired")
QA_STATUS_LABELS = {
    "draft": "草稿",
    "published": "已发布",
    "needs_review": "待复核",
    "retired": "已停用",
}


class QAEntry(Base):
    __tablename__ = "qa_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), index=True)
    question: Mapped[str] = mapped_column(Text)
    similar: Mapped[list] = mapped_column(default=list)  # 相似问法
    answer: Mapped[str] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(50), index=True)
    department: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    review_reason: Mapped[str | None] = mapped_column(Text)
    review_by: Mapped[date | None]
    last_reviewed_at: Mapped[datetime | None]
    owner: Mapped[str | None] = mapped_column(String(100))
    # interpretation | import | manual
    source: Mapped[str] = mapped_column(String(20), default="manual")
    source_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    bases: Mapped[list[QABasis]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="QABasis.id"
    )


class QABasis(Base):
    """A policy basis of an entry: resolved to a document when the library has it, else kept as given."""

    __tablename__ = "qa_bases"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("qa_entries.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    ref: Mapped[str] = mapped_column(String(500))

    entry: Mapped[QAEntry] = relationship(back_populates="bases")


class QAVersion(Base):
    __tablename__ = "qa_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("qa_entries.id"), index=True)
    version: Mapped[int]
    snapshot: Mapped[dict] = mapped_column(default=dict)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class QATopic(Base):
    __tablename__ = "qa_topics"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)


class QueryLog(Base):
    """A search typed by an agent or the public; what it found and what was done with it."""

    __tablename__ = "query_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(20))  # hotline|public|api
    query: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text, default="")
    result_count: Mapped[int] = mapped_column(default=0)
    top_entry_id: Mapped[int | None]
    user: Mapped[str | None] = mapped_column(String(100))


class QAEvent(Base):
    __tablename__ = "qa_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("qa_entries.id"), index=True)
    query_id: Mapped[int | None] = mapped_column(ForeignKey("query_log.id"), index=True)
    event: Mapped[str] = mapped_column(String(20))  # open|copy|solved|not_helpful
    user: Mapped[str | None] = mapped_column(String(100))
