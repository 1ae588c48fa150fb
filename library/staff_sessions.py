"""Server-side sessions for staff: a signed-in browser holds a random token, the database its hash.

The cookie alone proves nothing: each request looks the token up, so signing out, disabling the
account or changing its password (all of which delete the rows) ends a session everywhere at once,
copied cookies included. A session also ends after `idle` without a request and `absolute` after
sign-in, whatever happens in between.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import StaffSession, User, utcnow

# last_seen_at is written at most this often, so a busy clerk's clicks are not one write each.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: User, limits: SessionLimits, now: datetime | None = None) -> str:
    """A new session for `user`; returns the token for the cookie. Sweeps out expired rows."""
    now = now or utcnow()
    session.execute(
        delete(StaffSession).where(
            (StaffSession.created_at < now - limits.absolute)
            | (StaffSession.last_seen_at < now - limits.idle)
        )
    )
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(token_hash=_hash(token), user_id=user.id, created_at=now, last_seen_at=now)
    )
    session.flush()
    return token


def resume(
    session: Session, token: str, limits: SessionLimits, now: datetime | None = None
) -> User | None:
    """The signed-in user if `token` names a live session of an enabled account, else None (and
    an expired session's row is deleted)."""
    now = now or utcnow()
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    expired = now - row.created_at > limits.absolute or now - row.last_seen_at > limits.idle
    if user is None or user.disabled or expired:
        session.delete(row)
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
    return user


def end(session: Session, token: str) -> None:
    """Sign one browser out: its token stops working even if the cookie was copied."""
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(token)))


def end_all(session: Session, user_id: int) -> None:
    """Sign an account out everywhere (disabled, or its password changed)."""
    session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))
