"""The Alembic migrations and the models describe the same schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from library.db import Database, alembic_config
from library.models import Base


def test_upgrade_from_empty_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_fresh_database_is_stamped_at_head_and_reopens(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    db = Database(url)
    db.dispose()
    again = Database(url)  # second open runs `upgrade head`, which must be a no-op
    tables = set(inspect(again.engine).get_table_names())
    assert {"documents", "alembic_version", "audit_log", "qa_entries"} <= tables
    again.dispose()
