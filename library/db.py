"""The database: engine, sessions and schema creation/upgrade.

A fresh database is created from the models and stamped at the newest Alembic revision (Alembic's
own recipe); an existing one is upgraded through the migrations. Both paths end on the same schema,
which tests/test_migrations.py checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, inspect, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .models import Base
from .private_files import touch_private

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _without_nul(value: object) -> object:
    return value.replace("\x00", "") if isinstance(value, str) and "\x00" in value else value


def _clean_parameters(params: object) -> object:
    if isinstance(params, dict):
        return {k: _without_nul(v) for k, v in params.items()}
    if isinstance(params, list | tuple):
        if params and isinstance(params[0], dict | list | tuple):  # executemany
            return [_clean_parameters(p) for p in params]
        return type(params)(_without_nul(v) for v in params)
    return params


def _drop_nul_characters(engine: Engine) -> None:
    """PostgreSQL text cannot hold NUL, SQLite's can: a NUL pasted into a form or carried by an
    imported sheet would store on one and fail with a DataError on the other. It is dropped from
    every text parameter on both, as the parsers drop control characters from documents."""

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _clean(conn, cursor, statement, parameters, context, executemany):
        return statement, _clean_parameters(parameters)


_BEGIN_PENDING = "policylib.sqlite_begin_pending"
_READS = ("SELECT", "PRAGMA")


def _sqlite_transactions(engine: Engine) -> None:
    """SQLAlchemy's documented pysqlite recipe: the driver's own transaction handling is turned
    off and SQLAlchemy's `begin` event decides when BEGIN is emitted.

    Left to itself, Python's sqlite3 begins a transaction only before an INSERT/UPDATE/DELETE, so a
    SAVEPOINT issued first became the outermost transaction and its RELEASE committed at once: a
    batch that failed later kept its first rows, stored but never indexed. Here BEGIN is emitted
    before the first statement of a transaction that is not a plain read, a SAVEPOINT included, so
    a savepoint is always nested and a rollback undoes everything.

    Why not BEGIN at once, as the recipe's simplest form does: in WAL mode a transaction that read
    first takes a snapshot, and when another connection commits before it writes, its write fails
    at once with "database is locked" (SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out). The
    hotline's query log reads then writes on every search; measured with three such writers and
    one plain writer for 5 s, BEGIN-at-once failed 775 of about 2,100 transactions, this form none
    (the reads before the first write see the latest data, as they always did).
    """

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # the driver issues no BEGIN/COMMIT of its own
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn) -> None:
        conn.info[_BEGIN_PENDING] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _sqlite_begin_before_write(conn, cursor, statement, *_args) -> None:
        if conn.info.get(_BEGIN_PENDING) and statement.lstrip()[:6].upper() not in _READS:
            conn.info[_BEGIN_PENDING] = False
            cursor.execute("BEGIN")


def _create_private_file(url: str) -> None:
    """The SQLite file holds password hashes: create it 0600 before SQLite does (with 0644 less
    the umask); SQLite gives its -wal and -shm files the database file's mode."""
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        if not path.exists() and path.parent.is_dir():
            touch_private(path)


def make_engine(url: str) -> Engine:
    """SQLite gets WAL and a busy timeout so web workers and a CLI run can share one file, and
    real transactions (see `_sqlite_transactions`)."""
    if url.startswith("sqlite"):
        _create_private_file(url)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _drop_nul_characters(engine)
        _sqlite_transactions(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True)
    _drop_nul_characters(engine)
    return engine


# Tables (and the view) the PostgreSQL search backend keeps beside the schema: a derived cache it
# creates itself (indexer/backends/postgres.py), never part of the models or the migrations.
SEARCH_CACHE_PREFIX = "policylib_search"


def include_object(obj, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """Alembic's filter: autogenerate and schema comparisons leave the search cache alone."""
    return not (type_ == "table" and reflected and (name or "").startswith(SEARCH_CACHE_PREFIX))


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def init_schema(engine: Engine) -> None:
    """Create or upgrade the schema so the code and the database agree before anything else runs."""
    url = engine.url.render_as_string(hide_password=False)
    cfg = alembic_config(url)
    tables = set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        if "documents" not in tables:
            Base.metadata.create_all(conn)
            command.stamp(cfg, "head")
        else:
            command.upgrade(cfg, "head")


class Database:
    """One engine and its session factory for the lifetime of a process."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if create:
            init_schema(self.engine)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on any error so nothing half-done is stored."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
