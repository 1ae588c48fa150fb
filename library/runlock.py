"""One run at a time: an exclusive lock that no crash can leave stuck.

The lock is `flock` on a file in the data home. The kernel drops it when the holding process exits
for any reason, `kill -9` included, so a lock file left behind never blocks the next run; the pid and
start time written into it only serve the "busy" message. When the database is PostgreSQL, several
nodes with separate homes share one library, so a session-level advisory lock on the database is
taken as well: PostgreSQL drops it when the holding connection dies, the same guarantee across hosts.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine


class LockBusy(RuntimeError):
    """Another process holds the lock; the message names it so the operator can decide."""


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key per lock name, the type pg_try_advisory_lock takes."""
    return int.from_bytes(
        hashlib.sha256(f"policylib:{name}".encode()).digest()[:8], "big", signed=True
    )


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            raise LockBusy(f"already running ({holder}); lock file {path}") from None
        os.ftruncate(fd, 0)
        os.pwrite(
            fd,
            f"pid={os.getpid()} since={datetime.now().isoformat(timespec='seconds')}".encode(),
            0,
        )
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


@contextmanager
def _advisory_lock(engine: Engine, name: str) -> Iterator[None]:
    conn: Connection = engine.connect()
    try:
        key = _advisory_key(name)
        if not conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}):
            raise LockBusy(f"already running on another node (PostgreSQL advisory lock {name})")
        try:
            yield
        finally:
            with suppress(Exception):
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        conn.close()


@contextmanager
def run_lock(home: Path, name: str, engine: Engine | None = None) -> Iterator[None]:
    """Hold the lock `name` for the body or raise LockBusy at once; never waits."""
    with _file_lock(home / f"{name}.lock"):
        if engine is not None and engine.dialect.name == "postgresql":
            with _advisory_lock(engine, name):
                yield
        else:
            yield
