"""Writing and reading the audit trail. Every mutating service calls `record` inside its transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .models import AuditEntry


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: object,
    before: dict | None = None,
    after: dict | None = None,
    basis: str | None = None,
    reason: str | None = None,
    batch_id: int | None = None,
) -> AuditEntry:
    """Append one entry; it commits or rolls back with the change it describes."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
        basis=basis,
        reason=reason,
        batch_id=batch_id,
    )
    session.add(entry)
    return entry


def query(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    batch_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int | None = 500,
    offset: int = 0,
) -> list[AuditEntry]:
    """Newest first. `action` matches a whole action or a family ("status" finds status.change)."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if action:
        stmt = stmt.where(
            or_(AuditEntry.action == action, AuditEntry.action.startswith(action.rstrip(".") + "."))
        )
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == str(entity_id))
    if batch_id is not None:
        stmt = stmt.where(AuditEntry.batch_id == batch_id)
    if start:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(start, time.min, UTC))
    if end:
        stmt = stmt.where(AuditEntry.at < datetime.combine(end + timedelta(days=1), time.min, UTC))
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return list(session.scalars(stmt))


def entry_dict(entry: AuditEntry) -> dict:
    return {
        "id": entry.id,
        "at": entry.at.isoformat() if entry.at else None,
        "actor": entry.actor,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
        "basis": entry.basis,
        "reason": entry.reason,
        "batch_id": entry.batch_id,
    }
