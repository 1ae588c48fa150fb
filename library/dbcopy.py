"""Copy a library's database to another, empty one: the path from SQLite to PostgreSQL when a
deployment grows past one machine (docs/scaling.md).

Every table of the models is copied row for row with its ids, so links, audit entries and an
existing search index keep meaning the same records. Rows go in foreign-key order; a table that
points at itself (a document superseded by a newer one) gets those links in a second pass, since
the row pointed at may come later. On PostgreSQL the id sequences are then moved past the copied
ids, or the next insert would collide with a copied row. The target must be empty: copying into a
database that already holds a library would mix two of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Integer, Table, func, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError, OperationalError

from .db import Database
from .models import Base

log = logging.getLogger("policylib.dbcopy")

BATCH = 500


class CopyError(RuntimeError):
    """The copy cannot go on; nothing was written to the target, or it was rolled back."""


def copy_database(
    source_url: str, target_url: str, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every table from `source_url` to the empty database at `target_url` in one target
    transaction; returns rows copied per table."""
    if source_url == target_url:
        raise CopyError("source and target are the same database")
    try:
        probe = Database(target_url, create=False)
    except ArgumentError as exc:
        raise CopyError(
            f"not a database URL: {exc}; e.g. postgresql+psycopg://user@host/db"
        ) from None
    try:
        _refuse_non_empty(probe)
    except OperationalError as exc:
        raise CopyError(
            f"cannot reach the target database ({exc.orig}); check host, port, user and that "
            "the database exists (createdb)"
        ) from None
    finally:
        probe.dispose()
    source = Database(source_url)  # brings the source to the newest schema first
    target = Database(target_url)  # the same schema, stamped at the same revision
    try:
        counts: dict[str, int] = {}
        with source.engine.connect() as src, target.engine.begin() as dst:
            for table in Base.metadata.sorted_tables:
                counts[table.name] = _copy_table(src, dst, table)
                if progress:
                    progress(table.name, counts[table.name])
            if dst.dialect.name == "postgresql":
                _move_sequences(dst)
            _check_counts(src, dst, counts)
        log.info("database copied tables=%d rows=%d", len(counts), sum(counts.values()))
        return counts
    finally:
        source.dispose()
        target.dispose()


def _refuse_non_empty(target: Database) -> None:
    names = set(inspect(target.engine).get_table_names())
    ours = [t for t in Base.metadata.sorted_tables if t.name in names]
    with target.engine.connect() as conn:
        filled = sorted(t.name for t in ours if _rows(conn, t))
    if filled:
        raise CopyError(
            f"the target database already holds rows ({', '.join(filled[:5])}); copy into a new, "
            "empty database (createdb) so two libraries are never mixed"
        )


def _self_references(table: Table) -> list[str]:
    return [
        fk.parent.name
        for fk in table.foreign_keys
        if fk.column.table is table and fk.parent.nullable
    ]


def _copy_table(src: Connection, dst: Connection, table: Table) -> int:
    later = _self_references(table)
    pk = list(table.primary_key.columns)
    links: list[dict] = []
    copied = 0
    result = src.execution_options(yield_per=BATCH).execute(select(table).order_by(*pk))
    for rows in result.partitions(BATCH):
        batch = []
        for row in rows:
            values = dict(row._mapping)
            if later and any(values[c] is not None for c in later):
                links.append(
                    {**{c.name: values[c.name] for c in pk}, **{c: values[c] for c in later}}
                )
                values.update(dict.fromkeys(later))
            batch.append(values)
        dst.execute(table.insert(), batch)
        copied += len(batch)
    for link in links:
        where = [c == link[c.name] for c in pk]
        dst.execute(update(table).where(*where).values({c: link[c] for c in later}))
    return copied


def _move_sequences(dst: Connection) -> None:
    """Each serial id's sequence past the largest copied id (it still starts at 1 otherwise)."""
    for table in Base.metadata.sorted_tables:
        columns = list(table.primary_key.columns)
        if len(columns) != 1 or not isinstance(columns[0].type, Integer):
            continue
        sequence = dst.scalar(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": columns[0].name}
        )
        if sequence:
            top = dst.scalar(select(func.max(columns[0])))
            dst.execute(
                text("SELECT setval(:s, :v, :called)"),
                {"s": sequence, "v": top or 1, "called": top is not None},
            )


def _check_counts(src: Connection, dst: Connection, counts: dict[str, int]) -> None:
    for table in Base.metadata.sorted_tables:
        have, want = _rows(dst, table), _rows(src, table)
        if have != want or counts[table.name] != want:
            raise CopyError(
                f"table {table.name}: {want} rows in the source, {have} copied; nothing was kept"
            )


def _rows(conn: Connection, table: Table) -> int:
    return conn.scalar(select(func.count()).select_from(table))
