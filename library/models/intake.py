"""Upload batches from the legal office's intake desk, kept in the database so that any web
worker can show a batch's progress and result, and a page reload loses nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

UPLOAD_STATES = ("queued", "running", "done", "failed")


class UploadBatch(Base):
    __tablename__ = "upload_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int] = mapped_column(default=0)  # files to ingest (refused ones not counted)
    processed: Mapped[int] = mapped_column(default=0)
    # One dict per file, in upload order: name, outcome, document_id, error, title.
    files: Mapped[list] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(Text)
