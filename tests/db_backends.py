"""The database backends every database test runs on, and fresh PostgreSQL databases for them.

SQLite needs nothing: a data home holds its file. PostgreSQL tests use the server named by
POLICYLIB_TEST_PG_URL (`.ci/run` starts one on 127.0.0.1 and sets it); each test or module gets a
database of its own, dropped afterwards. Imported by tests/conftest.py and by module-scoped
fixtures elsewhere (pytest puts the project root on sys.path).
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from indexer.backends.postgres import libpq_url

PG_URL = os.environ.get("POLICYLIB_TEST_PG_URL", "")
DB_BACKENDS = ("sqlite", "postgresql")
# Never cleared from a test's environment: they say where the test servers and corpus are.
KEPT = {"POLICYLIB_TEST_PG_URL", "POLICYLIB_LAWREF"}


@functools.cache
def pg_unavailable() -> str | None:
    """Why the PostgreSQL variants cannot run here, or None when they can."""
    if not PG_URL:
        return "POLICYLIB_TEST_PG_URL is not set (.ci/run sets it after starting PostgreSQL)"
    import psycopg

    try:
        psycopg.connect(libpq_url(PG_URL), connect_timeout=5).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at POLICYLIB_TEST_PG_URL is unreachable: {str(exc).strip()[:200]}"
    return None


@contextmanager
def fresh_pg_database(prefix: str = "policylib_test") -> Iterator[str]:
    """A new, empty database on the test server (as a SQLAlchemy URL), dropped afterwards with
    whatever is still connected to it; skips the test when there is no server."""
    reason = pg_unavailable()
    if reason:
        pytest.skip(reason)
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq_url(PG_URL), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(libpq_url(PG_URL), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clean_environment(mp: pytest.MonkeyPatch) -> None:
    """POLICYLIB_* variables from the developer's shell must not leak into a test."""
    for key in list(os.environ):
        if key.startswith("POLICYLIB_") and key not in KEPT:
            mp.delenv(key)


@contextmanager
def module_environment(env: dict[str, str]) -> Iterator[pytest.MonkeyPatch]:
    """A clean POLICYLIB_* environment plus `env` (from the `module_db` fixture), for a library
    shared by a module's tests."""
    with pytest.MonkeyPatch.context() as mp:
        clean_environment(mp)
        for key, value in env.items():
            mp.setenv(key, value)
        yield mp
