"""The search index in PostgreSQL, for several web nodes sharing one library.

The PostgreSQL implementation of `indexer.interface.SearchBackend` (upsert, delete, rebuild,
rollback, search, count, info, close), chosen with `POLICYLIB_SEARCH_BACKEND=postgres`. Every
node reads and writes the same tables, so a change made through one node is searchable on all of them as soon as its
transaction commits: no index files to copy, no refresh interval.

Tables, all a derived cache created on first use (not part of the application's schema or its
migrations; `policylib reindex` rebuilds them from the database at any time):

    policylib_search              a view on the live generation: what every search reads
    policylib_search_g<stamp>     one table per generation (rows of `postgres_rows.to_row`, GIN indexes)
    policylib_search_state        one row: live, previous (kept for rollback()), building
    policylib_search_generations  built_at, schema version, dictionary fingerprint and marked
                                  synonym phrases (`postgres_rows.PhraseMarks`) per generation
    policylib_search_journal      writes made while a rebuild runs, replayed before its swap
    policylib_search_g<stamp>_df  the word counts of one generation (`postgres_terms`)

Concurrency, with advisory locks (released by PostgreSQL when a holder's connection dies, so a
killed process never leaves a lock behind): writers take WRITE_LOCK shared for their transaction,
the swap takes it exclusively (in-flight writes finish first, later ones wait a moment); writers
also take TERMS_LOCK, one at a time, for the word counts they change; a rebuild
holds REBUILD_LOCK for its whole run, which is also how writers know a `building` generation is
really being built and not left by a crashed run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from multiprocessing import get_context
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool

from ..analyzer import Analyzer
from ..errors import IndexBusyError, IndexUnavailableError, RebuildError, SearchIndexError
from ..interface import (
    REBUILD_TIMEOUT,
    WRITE_TIMEOUT,
    IndexInfo,
    RecordsSource,
    SearchQuery,
    SearchResults,
    generation_stamp,
)
from ..records import IndexRecord
from .postgres_rows import COLUMNS, PhraseMarks, record_from_json, record_to_json, to_row
from .postgres_search import TermCounts, run_pg_search
from .postgres_terms import (
    GENERATIONS,
    TERMS_SUFFIX,
    change_terms,
    create_terms,
    has_terms,
    terms_table,
)

log = logging.getLogger("policylib.indexer")

SCHEMA_VERSION = 2  # 2: title_words, every position of a word
VIEW = "policylib_search"
STATE = "policylib_search_state"
JOURNAL = "policylib_search_journal"
TABLE_PREFIX = "policylib_search_g"
GENERATION_PATTERN = "^policylib_search_g[0-9]{8}t[0-9]{6}_[0-9a-f]{6}$"
PARALLEL_THRESHOLD = 400  # records; below this, worker processes cost more than they save
CHUNK = 64
POOL_MAX = 8
_LOCK_POLL = 0.1


def _advisory_key(name: str) -> int:
    return int.from_bytes(
        hashlib.sha256(f"policylib:search:{name}".encode()).digest()[:8], "big", signed=True
    )


WRITE_LOCK = _advisory_key("write")
REBUILD_LOCK = _advisory_key("rebuild")
SCHEMA_LOCK = _advisory_key("schema")
TERMS_LOCK = _advisory_key("terms")

_TABLE_DDL = """
CREATE TABLE {t} (
    id text PRIMARY KEY,
    kind text NOT NULL,
    status text NOT NULL,
    title text NOT NULL,
    title_key text NOT NULL,
    doc_number text,
    doc_number_norm text,
    issuer text,
    year text,
    level text,
    topic text,
    source_file text,
    signed_date date,
    published_date date,
    effective_date date,
    sort_date integer NOT NULL,
    related text[] NOT NULL,
    body_head text {compression} NOT NULL,
    title_words integer NOT NULL,
    body_words integer NOT NULL,
    folded text {compression} NOT NULL,
    head_tsv tsvector NOT NULL,
    body_tsv tsvector {compression} NOT NULL
)"""
_INDEX_DDL = (
    "CREATE INDEX {i} ON {t} USING gin (head_tsv)",
    "CREATE INDEX {i} ON {t} USING gin (body_tsv)",
    "CREATE INDEX {i} ON {t} (doc_number_norm)",
    "CREATE INDEX {i} ON {t} (title_key)",
)
_META_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {STATE} (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        live text NOT NULL, previous text, building text)""",
    f"""CREATE TABLE IF NOT EXISTS {GENERATIONS} (
        name text PRIMARY KEY, built_at timestamptz NOT NULL, schema integer NOT NULL,
        dictionary text NOT NULL, count integer NOT NULL DEFAULT 0)""",
    # The synonym phrases each generation's rows mark (`PhraseMarks`); NULL before marks were.
    f"ALTER TABLE {GENERATIONS} ADD COLUMN IF NOT EXISTS phrases jsonb",
    # The word totals of each generation (`postgres_terms`); NULL before they were kept.
    f"ALTER TABLE {GENERATIONS} ADD COLUMN IF NOT EXISTS title_words bigint",
    f"ALTER TABLE {GENERATIONS} ADD COLUMN IF NOT EXISTS body_words bigint",
    f"""CREATE TABLE IF NOT EXISTS {JOURNAL} (
        seq bigserial PRIMARY KEY, generation text NOT NULL, op text NOT NULL,
        payload jsonb NOT NULL)""",
)
_CASTS = {"head_tsv": "::tsvector", "body_tsv": "::tsvector", "related": "::text[]"}


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://...) as libpq takes it (postgresql://...)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in {"postgresql", "postgres"}:
        raise SearchIndexError(
            f"search_backend 'postgres' needs a PostgreSQL database URL, not {scheme or url!r}: "
            "set POLICYLIB_DATABASE_URL=postgresql+psycopg://user@host/db, or use "
            "POLICYLIB_SEARCH_BACKEND=whoosh"
        )
    return "postgresql://" + rest


def _safe_url(url: str) -> str:
    """The URL without its password, for info() and logs."""
    scheme, _, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    return f"{scheme}://{creds.split(':')[0]}{at}{host}" if at else url


def _new_generation_name() -> str:
    # lower case: an unquoted table name in psql folds to it
    return f"{TABLE_PREFIX}{generation_stamp().lower()}_{secrets.token_hex(3)}"


def _rows_of(chunk: list[IndexRecord], analyzer: Analyzer, marks: PhraseMarks) -> list[tuple]:
    """A chunk of records as rows with `marks` (also the worker processes' entry point)."""
    return [to_row(r, analyzer, marks) for r in chunk]


class PgSearchIndex:
    """See the module docstring. `url` is the library's database URL (SQLAlchemy or libpq form)."""

    backend = "postgres"

    def __init__(
        self,
        url: str,
        dictionary_dir: Path | None = None,
        records_source: RecordsSource | None = None,
        *,
        write_timeout: float = WRITE_TIMEOUT,
        rebuild_timeout: float = REBUILD_TIMEOUT,
        procs: int | None = None,
    ) -> None:
        self.url = libpq_url(url)
        self.path = _safe_url(self.url)
        self.analyzer = Analyzer(dictionary_dir)
        self.records_source = records_source
        self.write_timeout = write_timeout
        self.rebuild_timeout = rebuild_timeout
        self.procs = procs
        self.counts = TermCounts()
        self._marks: dict[str, PhraseMarks] = {}
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._pool_pid = 0
        self._ready = False

    # ------------------------------------------------------------------ public API

    def upsert(self, records: Iterable[IndexRecord]) -> None:
        """Add or replace records by id; searchable on every node when this returns."""
        records = list(records)
        if records:
            self._write("upsert", records)

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            self._write("delete", ids)

    def rebuild(
        self,
        records: Iterable[IndexRecord],
        expected_count: int | None = None,
        before_swap: Callable[[], None] | None = None,
    ) -> dict:
        """Build a new generation table beside the live one, check it, swap the view to it in one
        transaction; the old one is kept for rollback(). `before_swap` runs inside the swap
        transaction: raising there (or the process dying) keeps the live generation."""
        self._ensure(replacing=True)
        with self._rebuild_lock():
            return self._rebuild_locked(records, expected_count, before_swap)

    def rollback(self) -> None:
        """Make the previous generation live again (and the current one the previous)."""
        self._ensure()
        with self._connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            live, previous, _ = self._state(conn)
            if not previous or not self._table_exists(conn, previous):
                raise SearchIndexError(
                    "no previous search generation to roll back to in PostgreSQL; rebuild instead"
                )
            if not has_terms(conn, previous):
                create_terms(conn, previous)
            conn.execute(
                sql.SQL("UPDATE {} SET live = %s, previous = %s").format(sql.Identifier(STATE)),
                (previous, live),
            )
            self._point_view(conn, previous)
        log.info("index rolled back backend=postgres from=%s to=%s", live, previous)

    def search(self, query: SearchQuery) -> SearchResults:
        def read(conn: psycopg.Connection) -> SearchResults:
            live, _, _ = self._state(conn)
            return run_pg_search(conn, self, VIEW, live, query, self._marks_of(conn, live))

        return self._read(read)

    def count(self) -> int:
        return self._read(
            lambda conn: conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(VIEW))
            ).fetchone()[0]
        )

    def info(self) -> IndexInfo:
        def read(conn: psycopg.Connection) -> IndexInfo:
            live, previous, building = self._state(conn)
            row = conn.execute(
                sql.SQL(
                    "SELECT g.built_at, g.schema, g.dictionary, g.phrases::text, "
                    "pg_total_relation_size(%s::regclass), "
                    "(SELECT count(*) FROM {}) FROM {} g WHERE g.name = %s"
                ).format(sql.Identifier(VIEW), sql.Identifier(GENERATIONS)),
                (live, live),
            ).fetchone()
            built_at, schema, dictionary, phrases, size, count = row or (None,) * 4 + (0, 0)
            return {
                "backend": self.backend,
                "count": count,
                "built_at": built_at.isoformat(timespec="seconds") if built_at else None,
                "size_bytes": size,
                "path": f"{self.path}#{live}",
                "generation": live,
                "previous": previous,
                "building": building,
                "schema_version": schema,
                "dictionary_changed": dictionary != self.analyzer.dictionary.fingerprint
                or not PhraseMarks.from_json(phrases).covers(PhraseMarks.of(self.analyzer)),
            }

        return self._read(read)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None and self._pool_pid == os.getpid():
                self._pool.close()
            self._pool = None
            self._ready = False

    # ------------------------------------------------------------------ connections

    def _connection(self):
        """A pooled connection (commit on success, rollback on error). A pool made before a fork
        belongs to the parent: the child opens its own."""
        with self._lock:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=POOL_MAX,
                    kwargs={"prepare_threshold": None, "row_factory": tuple_row},
                    open=True,
                    timeout=self.write_timeout,
                    name="policylib-search",
                )
                self._pool_pid = os.getpid()
            pool = self._pool
        try:
            return pool.connection()
        except psycopg.OperationalError as exc:
            raise IndexUnavailableError(_unreachable(exc)) from exc

    def _read(self, fn):
        """Run fn(conn); a missing table (dropped by hand, or never created) is repaired once."""
        self._ensure()
        for attempt in range(2):
            try:
                with self._connection() as conn:
                    return fn(conn)
            except psycopg.errors.UndefinedTable:
                if attempt:
                    raise
                self._ready = False
                self._ensure()
            except psycopg.OperationalError as exc:
                raise IndexUnavailableError(_unreachable(exc)) from exc
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ schema

    def _ensure(self, replacing: bool = False) -> None:
        """Create the tables on first use; repair a live generation that is gone or stale, unless
        the caller is `replacing` it with a rebuild anyway (which needs no records source)."""
        if self._ready:
            return
        repair: str | None = None
        try:
            with self._connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                for ddl in _META_DDL:
                    conn.execute(ddl)
                state = self._state(conn, missing_ok=True)
                if state is None:
                    name = _new_generation_name()
                    self._create_table(conn, name, indexes=True)
                    conn.execute(
                        sql.SQL("INSERT INTO {} (live) VALUES (%s)").format(sql.Identifier(STATE)),
                        (name,),
                    )
                    self._record_generation(conn, name, PhraseMarks.of(self.analyzer))
                    create_terms(conn, name)
                    self._point_view(conn, name)
                    log.info("index created backend=postgres generation=%s", name)
                else:
                    repair = self._check_live(conn, state[0])
        except psycopg.OperationalError as exc:
            raise IndexUnavailableError(_unreachable(exc)) from exc
        if repair and replacing:
            return  # checked again on the next use, after the rebuild
        if repair:
            self._repair(repair)
        self._ready = True

    def _check_live(self, conn: psycopg.Connection, live: str) -> str | None:
        """Why the live generation cannot serve (None when it can); a missing view is remade."""
        if not self._table_exists(conn, live):
            return f"live generation table {live} is missing"
        schema = conn.execute(
            sql.SQL("SELECT schema FROM {} WHERE name = %s").format(sql.Identifier(GENERATIONS)),
            (live,),
        ).fetchone()
        if not schema or schema[0] != SCHEMA_VERSION:
            return f"generation {live} has schema {schema and schema[0]}, not {SCHEMA_VERSION}"
        if not self._table_exists(conn, VIEW):
            self._point_view(conn, live)
        if not has_terms(conn, live):  # built by a version that kept no word counts
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            create_terms(conn, live)
            log.info("index word counts made backend=postgres generation=%s", live)
        return None

    def _repair(self, reason: str) -> None:
        if self.records_source is None:
            raise IndexUnavailableError(
                f"the PostgreSQL search index cannot be used ({reason}); rebuild it from the "
                "database with `policylib reindex --full`"
            )
        log.error("index unusable backend=postgres reason=%r action=rebuild_from_records", reason)
        with self._rebuild_lock():
            with self._connection() as conn:
                state = self._state(conn)
                if self._check_live(conn, state[0]) is None:
                    return  # another node repaired it while we waited
            records, expected = self.records_source()
            report = self._rebuild_locked(records, expected)
        log.warning(
            "index rebuilt after damage backend=postgres count=%d seconds=%.1f",
            report["count"],
            report["seconds"],
        )

    def _create_table(self, conn: psycopg.Connection, name: str, indexes: bool) -> None:
        """Long values compressed with lz4 where the server has it: a search unpacks the body
        vectors of every row it ranks, and lz4 unpacks several times faster than pglz."""
        lz4 = conn.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        ).fetchone()
        compression = sql.SQL("COMPRESSION lz4" if lz4 and lz4[0] else "")
        conn.execute(sql.SQL(_TABLE_DDL).format(t=sql.Identifier(name), compression=compression))
        if indexes:
            self._create_indexes(conn, name)

    @staticmethod
    def _create_indexes(conn: psycopg.Connection, name: str) -> None:
        for n, ddl in enumerate(_INDEX_DDL):
            index = sql.Identifier(f"{name}_{n}")
            conn.execute(sql.SQL(ddl).format(i=index, t=sql.Identifier(name)))

    @staticmethod
    def _point_view(conn: psycopg.Connection, name: str) -> None:
        """Readers follow the view: replacing it in the swap transaction is the atomic swap."""
        conn.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(sql.Identifier(VIEW)))
        conn.execute(
            sql.SQL("CREATE VIEW {} AS SELECT * FROM {}").format(
                sql.Identifier(VIEW), sql.Identifier(name)
            )
        )

    def _record_generation(self, conn: psycopg.Connection, name: str, marks: PhraseMarks) -> None:
        """The generation's row; its counts are filled by `create_terms`."""
        conn.execute(
            sql.SQL(
                "INSERT INTO {} (name, built_at, schema, dictionary, phrases) "
                "VALUES (%s, now(), %s, %s, %s)"
            ).format(sql.Identifier(GENERATIONS)),
            (name, SCHEMA_VERSION, self.analyzer.dictionary.fingerprint, marks.to_json()),
        )
        self._marks[name] = marks

    def _marks_of(self, conn: psycopg.Connection, name: str) -> PhraseMarks:
        """The phrases generation `name` marks: fixed for its life, so read once per process."""
        marks = self._marks.get(name)
        if marks is None:
            row = conn.execute(
                sql.SQL("SELECT phrases::text FROM {} WHERE name = %s").format(
                    sql.Identifier(GENERATIONS)
                ),
                (name,),
            ).fetchone()
            marks = PhraseMarks.from_json(row[0] if row else None)
            if len(self._marks) > 16:
                self._marks.clear()
            self._marks[name] = marks
        return marks

    @staticmethod
    def _state(conn: psycopg.Connection, missing_ok: bool = False) -> tuple | None:
        row = conn.execute(
            sql.SQL("SELECT live, previous, building FROM {}").format(sql.Identifier(STATE))
        ).fetchone()
        if row is None and not missing_ok:
            raise psycopg.errors.UndefinedTable("search state row missing")
        return row

    @staticmethod
    def _table_exists(conn: psycopg.Connection, name: str) -> bool:
        return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]

    # ------------------------------------------------------------------ writing

    def _write(self, op: str, items: list) -> None:
        """One transaction: the live table, and the journal when a rebuild is running."""
        self._ensure()
        rows: dict[str, list[tuple]] = {}  # by the generation whose marks they carry
        if op == "upsert":
            with self._connection() as conn:
                live, _, _ = self._state(conn)
                rows[live] = self._rows_for(conn, live, items)
        for attempt in range(2):
            try:
                with self._connection() as conn, conn.transaction():
                    conn.execute(f"SET LOCAL lock_timeout = {int(self.write_timeout * 1000)}")
                    conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", (WRITE_LOCK,))
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (TERMS_LOCK,))
                    live, _, building = self._state(conn)
                    if op == "upsert" and live not in rows:  # swapped since the rows were made
                        rows[live] = self._rows_for(conn, live, items)
                    self._apply(conn, live, op, rows[live] if op == "upsert" else items)
                    if building and self._rebuild_running(conn):
                        payload = [record_to_json(r) for r in items] if op == "upsert" else items
                        conn.execute(
                            sql.SQL(
                                "INSERT INTO {} (generation, op, payload) VALUES (%s, %s, %s)"
                            ).format(sql.Identifier(JOURNAL)),
                            (building, op, json.dumps(payload, ensure_ascii=False)),
                        )
                return
            except psycopg.errors.LockNotAvailable as exc:
                raise IndexBusyError(
                    "could not write to the search index: the index swap or another write held "
                    f"it for more than {self.write_timeout:g} s; try again in a moment"
                ) from exc
            except psycopg.errors.UndefinedTable:
                if attempt:
                    raise
                self._ready = False
                self._ensure()
            except psycopg.OperationalError as exc:
                raise IndexUnavailableError(_unreachable(exc)) from exc

    def _rows_for(
        self, conn: psycopg.Connection, generation: str, records: list[IndexRecord]
    ) -> list[tuple]:
        return _rows_of(records, self.analyzer, self._marks_of(conn, generation))

    @staticmethod
    def _apply(conn: psycopg.Connection, table: str, op: str, items: list) -> None:
        """Upsert rows or delete ids in `table`, and count the old rows' words out and the new
        rows' words in (`postgres_terms`), in the caller's transaction."""
        ids = [row[0] for row in items] if op == "upsert" else list(items)
        change_terms(conn, table, ids, -1)
        if op == "upsert":
            PgSearchIndex._upsert_rows(conn, table, items)
            change_terms(conn, table, ids, 1)
        else:
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(sql.Identifier(table)), (ids,)
            )

    @staticmethod
    def _upsert_rows(conn: psycopg.Connection, table: str, rows: list[tuple]) -> None:
        rows = sorted(rows, key=lambda r: r[0])  # one order for every writer: no deadlocks
        values = sql.SQL(", ").join(sql.SQL("%s" + _CASTS.get(c, "")) for c in COLUMNS)
        updates = sql.SQL(", ").join(
            sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in COLUMNS[1:]
        )
        stmt = sql.SQL("INSERT INTO {t} ({cols}) VALUES ({v}) ON CONFLICT (id) DO UPDATE SET {u}")
        stmt = stmt.format(
            t=sql.Identifier(table),
            cols=sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
            v=values,
            u=updates,
        )
        with conn.cursor() as cur:
            cur.executemany(stmt, rows)

    @staticmethod
    def _rebuild_running(conn: psycopg.Connection) -> bool:
        """Whether some session holds the rebuild lock (a `building` left by a crash is not)."""
        free = conn.execute(
            "SELECT pg_try_advisory_xact_lock_shared(%s)", (REBUILD_LOCK,)
        ).fetchone()[0]
        return not free

    # ------------------------------------------------------------------ rebuilding

    def _rebuild_lock(self):
        return _SessionLock(self.url, REBUILD_LOCK, self.rebuild_timeout, "rebuild the index")

    def _rebuild_locked(
        self,
        records: Iterable[IndexRecord],
        expected: int | None,
        before_swap: Callable[[], None] | None = None,
    ) -> dict:
        started = time.monotonic()
        name = _new_generation_name()
        marks = PhraseMarks.of(self.analyzer)
        with self._connection() as conn:
            self._drop_stale(conn, keep=set())
            with conn.transaction():
                self._create_table(conn, name, indexes=False)
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                conn.execute(
                    sql.SQL("UPDATE {} SET building = %s").format(sql.Identifier(STATE)), (name,)
                )
        try:
            count, probe = self._load(name, records, marks)
            if expected is not None and count != expected:
                raise RebuildError(
                    f"rebuild read {count} records but {expected} were expected; the live "
                    "index was kept. Run the rebuild again when no import is running."
                )
            with self._connection() as conn:
                with conn.transaction():
                    conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
                    self._create_indexes(conn, name)
                conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(name)))
                conn.commit()
                with conn.transaction():  # writers meanwhile go to the journal, not to `name`
                    self._record_generation(conn, name, marks)
                    create_terms(conn, name)
                self._verify(conn, name, probe, marks)
                conn.commit()
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                    self._replay_journal(conn, name, marks)
                    count = conn.execute(
                        sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))
                    ).fetchone()[0]
                    if before_swap:
                        before_swap()
                    live, _, _ = self._state(conn)
                    conn.execute(
                        sql.SQL("UPDATE {} SET live = %s, previous = %s, building = NULL").format(
                            sql.Identifier(STATE)
                        ),
                        (name, live),
                    )
                    self._point_view(conn, name)
        except BaseException:
            self._abandon(name)
            raise
        with self._connection() as conn:
            self._drop_stale(conn, keep=set())
            size = conn.execute("SELECT pg_total_relation_size(%s::regclass)", (name,)).fetchone()[
                0
            ]
        self.counts.clear()
        report = {
            "count": count,
            "seconds": round(time.monotonic() - started, 2),
            "size_bytes": size,
            "path": f"{self.path}#{name}",
            "previous": live,
        }
        log.info(
            "index rebuilt backend=postgres generation=%s count=%d seconds=%.1f",
            name,
            count,
            report["seconds"],
        )
        return report

    def _load(
        self, name: str, records: Iterable[IndexRecord], marks: PhraseMarks
    ) -> tuple[int, str | None]:
        """COPY every record into the new table (rows made on every core for a big library)."""
        seen: set[str] = set()
        probe: str | None = None
        copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
        )
        with self._connection() as conn, conn.cursor() as cur, cur.copy(copy) as out:
            for row in self._rows(records, marks):
                if row[0] in seen:
                    log.warning("duplicate record skipped id=%s", row[0])
                    continue
                seen.add(row[0])
                out.write_row(row)
                if probe is None and row[4]:  # a title with a usable key
                    probe = row[3]
        return len(seen), probe

    def _rows(self, records: Iterable[IndexRecord], marks: PhraseMarks) -> Iterator[tuple]:
        it = iter(records)
        head = list(islice(it, PARALLEL_THRESHOLD))
        procs = self.procs or os.cpu_count() or 1
        if len(head) < PARALLEL_THRESHOLD or procs < 2:
            for record in head:
                yield to_row(record, self.analyzer, marks)
            for record in it:
                yield to_row(record, self.analyzer, marks)
            return
        # spawn, not fork: a forked child would share this process's database sockets
        with ProcessPoolExecutor(procs, mp_context=get_context("spawn")) as pool:
            pending: deque = deque()
            chunks = _chunks(head, it)
            for chunk in chunks:
                pending.append(pool.submit(_rows_of, chunk, self.analyzer, marks))
                if len(pending) >= procs * 3:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()

    def _verify(
        self, conn: psycopg.Connection, name: str, probe: str | None, marks: PhraseMarks
    ) -> None:
        """A new generation must answer a query before it goes live."""
        if not probe:
            return
        query = SearchQuery(text=probe, include_all=True)
        found = run_pg_search(conn, self, name, name, query, marks)
        if not found.total:
            raise RebuildError(f"the rebuilt index did not find {probe!r}; the live index was kept")

    def _replay_journal(self, conn: psycopg.Connection, name: str, marks: PhraseMarks) -> None:
        rows = conn.execute(
            sql.SQL("SELECT op, payload FROM {} WHERE generation = %s ORDER BY seq").format(
                sql.Identifier(JOURNAL)
            ),
            (name,),
        ).fetchall()
        for op, payload in rows:
            if op == "upsert":
                records = [record_from_json(p) for p in payload]
                self._apply(conn, name, op, _rows_of(records, self.analyzer, marks))
            else:
                self._apply(conn, name, op, list(payload))
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE generation = %s").format(sql.Identifier(JOURNAL)),
            (name,),
        )
        if rows:
            log.info("index journal replayed backend=postgres writes=%d", len(rows))

    def _abandon(self, name: str) -> None:
        """After a failed build: its table and journal go, the live generation stays."""
        try:
            with self._connection() as conn, conn.transaction():
                conn.execute(
                    sql.SQL("UPDATE {} SET building = NULL WHERE building = %s").format(
                        sql.Identifier(STATE)
                    ),
                    (name,),
                )
                conn.execute(
                    sql.SQL("DELETE FROM {} WHERE generation = %s").format(sql.Identifier(JOURNAL)),
                    (name,),
                )
                conn.execute(
                    sql.SQL("DELETE FROM {} WHERE name = %s").format(sql.Identifier(GENERATIONS)),
                    (name,),
                )
                _drop_generation(conn, name)
        except Exception:
            log.exception("could not clean up the failed generation %s", name)

    def _drop_stale(self, conn: psycopg.Connection, keep: set[str]) -> None:
        """Generation tables neither live nor kept for rollback (e.g. left by a killed rebuild)."""
        with conn.transaction():
            live, previous, _ = self._state(conn)
            keep = keep | {live, previous}
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND (tablename ~ %s OR tablename ~ %s)",
                (GENERATION_PATTERN, GENERATION_PATTERN[:-1] + TERMS_SUFFIX + "$"),
            ).fetchall()
            for (table,) in tables:
                if table.removesuffix(TERMS_SUFFIX) not in keep:
                    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE NOT (name = ANY(%s))").format(
                    sql.Identifier(GENERATIONS)
                ),
                (list(keep - {None}),),
            )
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE NOT (generation = ANY(%s))").format(
                    sql.Identifier(JOURNAL)
                ),
                (list(keep - {None}),),
            )
            conn.execute(sql.SQL("UPDATE {} SET building = NULL").format(sql.Identifier(STATE)))


def _drop_generation(conn: psycopg.Connection, name: str) -> None:
    for table in (terms_table(name), name):
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))


def _chunks(head: list[IndexRecord], it: Iterator[IndexRecord]) -> Iterator[list[IndexRecord]]:
    for i in range(0, len(head), CHUNK):
        yield head[i : i + CHUNK]
    while chunk := list(islice(it, CHUNK)):
        yield chunk


class _SessionLock:
    """An exclusive advisory lock held by its own connection for as long as a rebuild runs;
    waits up to `timeout`, then IndexBusyError. PostgreSQL drops it if this process dies."""

    def __init__(self, url: str, key: int, timeout: float, what: str) -> None:
        self.url, self.key, self.timeout, self.what = url, key, timeout, what
        self.conn: psycopg.Connection | None = None

    def __enter__(self) -> _SessionLock:
        try:
            self.conn = psycopg.connect(self.url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise IndexUnavailableError(_unreachable(exc)) from exc
        deadline = time.monotonic() + self.timeout
        while not self.conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0]:
            if time.monotonic() >= deadline:
                self.conn.close()
                raise IndexBusyError(
                    f"could not {self.what}: another node has been rebuilding the search index "
                    f"for more than {self.timeout:g} s; try again later"
                )
            time.sleep(_LOCK_POLL)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            self.conn.close()  # closing the session releases the lock


def _unreachable(exc: Exception) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"the PostgreSQL search index cannot be reached ({first}); check that the database "
        "server is up and POLICYLIB_DATABASE_URL is right"
    )


__all__ = ["PgSearchIndex", "libpq_url"]
