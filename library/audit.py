"""Writing and reading the audit trail. Every mutating service calls `record` inside its transaction."""

from __future__ import annotations

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
