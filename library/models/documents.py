"""Documents (normative documents and interpretations), their source files and revisions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    event,
    func,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

KINDS = ("document", "interpretation")


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="document")
    title: Mapped[str] = mapped_column(String(500), default="", index=True)
    doc_number: Mapped[str | None] = mapped_column(String(100))
    doc_number_norm: Mapped[str | None] = mapped_column(String(100), index=True)
    issuer: Mapped[str | None] = mapped_column(String(200), index=True)
    # The title as `library.titles.title_keys` compares it, and the same without a leading issuer
    # name; kept by `_keep_title_keys` on every flush, so a 同时废止 clause or an older version of
    # the same title is found by an index lookup instead of reading every title.
    title_key: Mapped[str | None] = mapped_column(String(500), index=True)
    title_key_short: Mapped[str | None] = mapped_column(String(500), index=True)
    signed_date: Mapped[date | None]
    published_date: Mapped[date | None]
    effective_date: Mapped[date | None]
    expiry_date: Mapped[date | None]
    level: Mapped[str | None] = mapped_column(String(50))
    topic: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30), default="valid", index=True)
    status_since: Mapped[date | None]
    status_note: Mapped[str | None] = mapped_column(Text)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    evidence: Mapped[dict] = mapped_column(default=dict)
    warnings: Mapped[list] = mapped_column(default=list)
    # Set when pages were read by OCR: pages, ocr_pages, mean_confidence, engine.
    ocr: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), default=None)
    interprets_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # What the interpretation names as its document (title and/or 文号) until that document arrives.
    interprets_ref: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), default=None)
    source_file: Mapped[str] = mapped_column(String(500), default="")
    source_format: Mapped[str] = mapped_column(String(10), default="")
    original_sha256: Mapped[str | None] = mapped_column(String(64))
    original_size: Mapped[int | None]
    source_missing: Mapped[bool] = mapped_column(default=False)
    # Fields a clerk corrected by hand: {field: {"value", "parser", "by", "at", "reason"}}; ingest
    # keeps these values over the parser's and records the parser's latest guess beside them.
    corrections: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), default=None)
    # The check queue's state: which reasons a clerk has dealt with, by whom and when; cleared
    # when a changed file is re-parsed, so a new parse is checked again.
    review: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    interprets: Mapped[Document | None] = relationship(
        remote_side=[id], foreign_keys=[interprets_id], back_populates="interpretations"
    )
    interpretations: Mapped[list[Document]] = relationship(
        foreign_keys=[interprets_id], back_populates="interprets"
    )
    sources: Mapped[list[SourceFile]] = relationship(back_populates="document")
    revisions: Mapped[list[DocumentRevision]] = relationship(
        back_populates="document", order_by="DocumentRevision.id"
    )


@event.listens_for(Document, "before_insert")
@event.listens_for(Document, "before_update")
def _keep_title_keys(_mapper, _connection, doc: Document) -> None:
    doc.title_key, doc.title_key_short = stored_title_keys(doc.title, doc.issuer)


def stored_title_keys(title: str | None, issuer: str | None) -> tuple[str | None, str | None]:
    """(normalised title, the same without its issuer prefix or None): `title_keys` as columns."""
    from ..titles import normalize_title, title_keys  # opencc loads only when a title is stored

    full = normalize_title(title) or None
    short = [k for k in title_keys(title, issuer) if k != full]
    return full, (short[0] if short else None)


class SourceFile(Base):
    """One file seen on disk. Several files (the same text as docx and pdf) may map to one document."""

    __tablename__ = "source_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1000), unique=True)
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None]
    mtime: Mapped[float | None]
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    last_outcome: Mapped[str] = mapped_column(String(20), default="")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    missing: Mapped[bool] = mapped_column(default=False)

    document: Mapped[Document | None] = relationship(back_populates="sources")


class DocumentRevision(Base):
    """The previous text and metadata of a document, kept whenever a changed file is re-parsed."""

    __tablename__ = "document_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    metadata_json: Mapped[dict] = mapped_column(default=dict)
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="revisions")


def filed_order() -> ColumnElement:
    """The public listings' order, newest filed first: published, else signed, else effective
    date, and undated documents last (a floor date instead of NULLS LAST, which SQLite refuses
    in an index), so one index serves both databases."""
    return func.coalesce(
        Document.published_date,
        Document.signed_date,
        Document.effective_date,
        literal_column("'0001-01-01'"),
    )


Index("ix_documents_kind_status", Document.kind, Document.status)
# With it the home page reads ten rows instead of sorting the library (lawref x10: 107 -> 0.3 ms).
Index("ix_documents_filed", filed_order().desc(), Document.id.desc())
# Partial: most documents interpret nothing, and a full index's statistics count all their NULLs
# as one value, so after ANALYZE SQLite thought every lookup matched the whole table and scanned
# it (34 ms a search page at lawref x10 instead of 0.2 ms).
Index(
    "ix_documents_interprets_id",
    Document.interprets_id,
    sqlite_where=Document.interprets_id.is_not(None),
    postgresql_where=Document.interprets_id.is_not(None),
)
