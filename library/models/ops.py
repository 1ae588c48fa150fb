"""Operational records: key/value state such as the last reindex report, and the index backlog."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class AppState(Base):
    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IndexBacklog(Base):
    """A search record ("doc:12", "qa:3") changed in the database and not yet refreshed in the
    index. Written in the same transaction as the change, deleted only after a successful refresh,
    so a failed refresh leaves a durable trace that health reports and the next refresh retries."""

    __tablename__ = "index_backlog"

    id: Mapped[int] = mapped_column(primary_key=True)
    record: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
