"""The Alembic migrations and the models describe the same schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from library.db import Database, alembic_config, include_object
from library.models import Base
from tests.db_backends import DB_BACKENDS, fresh_pg_database


@pytest.fixture(params=DB_BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    else:
        with fresh_pg_database() as url:
            yield url


def _diff(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            # SQLite cannot reflect an index on expressions, so the comparison skips them there
            # (and says so): test_expression_indexes_match_the_models_on_sqlite compares them.
            warnings.filterwarnings("ignore", r".*expression-based index")
            context = MigrationContext.configure(conn, opts={"include_object": include_object})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def _sqlite_indexes(url: str) -> dict[str, str]:
    """Each index's CREATE statement as SQLite keeps it, spacing and quoting evened out."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
        found = {name: re.sub(r"[\s\"]+", "", sql) for name, sql in rows if sql}
    engine.dispose()
    return found


def _upgrade_to_head(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    engine.dispose()


def test_upgrade_from_empty_matches_the_models(empty_url: str) -> None:
    _upgrade_to_head(empty_url)
    assert _diff(empty_url) == []


def test_fresh_database_is_stamped_at_head_and_reopens(empty_url: str) -> None:
    db = Database(empty_url)
    db.dispose()
    again = Database(empty_url)  # second open runs `upgrade head`, which must be a no-op
    tables = set(inspect(again.engine).get_table_names())
    assert {"documents", "alembic_version", "audit_log", "qa_entries"} <= tables
    again.dispose()
    assert _diff(empty_url) == []


def test_expression_indexes_match_the_models_on_sqlite(tmp_path: Path) -> None:
    """The indexes the comparison above cannot see on SQLite: the migrations must create each as
    the models declare it (on PostgreSQL compare_metadata reflects and compares them itself)."""
    migrated = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    _upgrade_to_head(migrated)
    declared = f"sqlite:///{tmp_path / 'declared.sqlite3'}"
    engine = create_engine(declared)
    Base.metadata.create_all(engine)
    engine.dispose()
    expected = _sqlite_indexes(declared)
    assert "ix_documents_filed" in expected
    assert _sqlite_indexes(migrated) == expected


@pytest.mark.postgres
def test_the_postgres_search_cache_is_not_part_of_the_schema() -> None:
    """Its tables live beside the schema: comparisons (and autogenerate) leave them alone."""
    from indexer.backends.postgres import PgSearchIndex

    with fresh_pg_database() as url:
        Database(url).dispose()
        index = PgSearchIndex(url)
        assert index.count() == 0  # tables made on first use
        index.close()
        engine = create_engine(url)
        tables = set(inspect(engine).get_table_names())
        engine.dispose()
        assert any(t.startswith("policylib_search") for t in tables)
        assert _diff(url) == []


def test_upgrade_to_0006_fills_the_title_keys_of_stored_documents(empty_url: str) -> None:
    """Documents stored before the keys existed are found by the proposals' key lookup."""
    engine = create_engine(empty_url)
    cfg = alembic_config(empty_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005_ocr")
        conn.execute(
            text(
                "INSERT INTO documents (kind, title, issuer, status, text, content_hash, evidence,"
                " warnings, source_file, source_format, source_missing, created_at, updated_at)"
                " VALUES ('document', :title, :issuer, 'valid', '', :hash, '{}', '[]', '', 'txt',"
                " false, '2024-01-01', '2024-01-01')"
            ),
            {
                "title": "宣汉县人民政府办公室關於加強政務公開工作的通知",
                "issuer": "宣汉县人民政府办公室",
                "hash": "0" * 64,
            },
        )
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        keys = conn.execute(text("SELECT title_key, title_key_short FROM documents")).one()
    engine.dispose()
    assert tuple(keys) == (
        "宣汉县人民政府办公室关于加强政务公开工作的通知",
        "关于加强政务公开工作的通知",
    )
