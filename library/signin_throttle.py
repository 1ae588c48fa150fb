"""Failed sign-ins, counted per account and per client address, answered with growing waits.

A hard block after N failures lets anyone lock everyone out (behind a proxy every user shares one
address) and lets an attacker lock a clerk out by typing her name. Here each key gets a few free
failures, then every further failure doubles the wait before the next attempt is heard (1 s, 2 s,
4 s … up to `max_delay`). The client key is strict (it stops one machine guessing); the account
key is lenient (it slows a guess spread over many machines without handing one attacker the
power to lock the account). The counts live in the database, so every web process and node sees
the same ones; a key is forgotten after `forget_after` without failures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .models import SignInFailure, utcnow


@dataclass(frozen=True)
class Policy:
    free_failures: int
    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=1)

    def delay(self, failures: int) -> timedelta:
        """The wait after the `failures`-th failure in a row."""
        extra = failures - self.free_failures
        if extra <= 0:
            return timedelta(0)
        return min(self.max_delay, self.base_delay * 2 ** min(extra - 1, 30))


CLIENT = Policy(free_failures=5)
ACCOUNT = Policy(free_failures=20)


def client_key(address: str | None) -> str:
    return f"client:{(address or 'unknown')[:150]}"


def account_key(name: str) -> str:
    return f"account:{name.strip().lower()[:150]}"


def wait_seconds(session: Session, keys: list[str], now: datetime | None = None) -> int:
    """Whole seconds until any of `keys` may try again; 0 when all may try now."""
    now = now or utcnow()
    until = session.scalars(
        select(SignInFailure.blocked_until).where(
            SignInFailure.key.in_(keys), SignInFailure.blocked_until > now
        )
    ).all()
    return max((math.ceil((u - now).total_seconds()) for u in until), default=0)


def record_failure(session: Session, key: str, policy: Policy, now: datetime | None = None) -> int:
    """Count one failure for `key` (atomically, whatever other processes do at the same moment);
    returns the count."""
    now = now or utcnow()
    _forget_stale(session, policy, now)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stale = SignInFailure.last_failure_at < now - policy.forget_after
    stmt = (
        insert(SignInFailure)
        .values(key=key, failures=1, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=[SignInFailure.key],
            set_={
                "failures": case((stale, 1), else_=SignInFailure.failures + 1),
                "last_failure_at": now,
            },
        )
        .returning(SignInFailure.failures)
    )
    failures = session.execute(stmt).scalar_one()
    delay = policy.delay(failures)
    session.execute(
        update(SignInFailure)
        .where(SignInFailure.key == key)
        .values(blocked_until=now + delay if delay else None)
        .execution_options(synchronize_session=False)
    )
    return failures


def _forget_stale(session: Session, policy: Policy, now: datetime) -> None:
    """Drop keys quiet for longer than they are remembered, so names typed by guessers do not
    pile up in the table."""
    session.execute(
        delete(SignInFailure).where(
            SignInFailure.last_failure_at < now - max(policy.forget_after, policy.max_delay),
            SignInFailure.blocked_until.is_(None) | (SignInFailure.blocked_until < now),
        )
    )


def clear(session: Session, key: str) -> None:
    """A successful sign-in forgets the account's failures."""
    session.execute(delete(SignInFailure).where(SignInFailure.key == key))
