"""The Whoosh backend (`indexer.interface.SearchBackend`): the search index as files in the data
home; generations, one writer at a time, atomic swap, self-repair.

Layout of `path`:

    CURRENT         name of the live generation (replaced with os.replace: atomic)
    PREVIOUS        the generation before the last swap, kept for rollback()
    gen-*/          one Whoosh index each, plus policylib.json (schema version, built_at)
    write.lock      flock: one writer at a time, threads and processes alike
    rebuild.lock    flock: one rebuild at a time
    journal         exists while a rebuild runs; writes made meanwhile are replayed before the swap

Readers keep a searcher per thread and look for a newer generation (another process's commit or
swap) at most every REFRESH_SECONDS, so a write is visible everywhere well within a second. An
index that cannot be opened or read is rebuilt from `records_source()`, logged; without a source
the caller gets `IndexUnavailableError` saying how to rebuild it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import secrets
import shutil
import struct
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import FileIndex
from whoosh.reading import ReaderClosed
from whoosh.searching import Searcher

from ..analyzer import Analyzer
from ..errors import IndexUnavailableError, RebuildError, SearchIndexError
from ..interface import (
    REBUILD_TIMEOUT,
    WRITE_TIMEOUT,
    IndexInfo,
    RecordsSource,
    SearchQuery,
    SearchResults,
    generation_stamp,
)
from ..locks import FileLock
from ..records import IndexRecord
from ..schema import SCHEMA_VERSION, TEXT_FIELDS, build_schema, to_document
from . import whoosh_files
from .whoosh_build import build_directory
from .whoosh_search import WEIGHTING, run_search

log = logging.getLogger("policylib.indexer")
whoosh_files.install()

CURRENT = "CURRENT"
PREVIOUS = "PREVIOUS"
JOURNAL = "journal"
META = "policylib.json"
REFRESH_SECONDS = 0.05


# Exceptions that, raised while reading, mean damaged files rather than a bug in this code.
DATA_ERRORS = (
    OSError,
    EOFError,
    struct.error,
    pickle.UnpicklingError,
    zlib.error,
    UnicodeDecodeError,
    ValueError,
    IndexError,
    KeyError,
    AssertionError,
)


class SearchIndex:
    """The Whoosh backend of `indexer.interface.SearchBackend` (see the module docstring)."""

    backend = "whoosh"

    def __init__(
        self,
        path: Path,
        dictionary_dir: Path | None = None,
        records_source: RecordsSource | None = None,
        *,
        write_timeout: float = WRITE_TIMEOUT,
        rebuild_timeout: float = REBUILD_TIMEOUT,
        procs: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.analyzer = Analyzer(dictionary_dir)
        self.schema = build_schema(self.analyzer)
        self.records_source = records_source
        self.write_timeout = write_timeout
        self.rebuild_timeout = rebuild_timeout
        self.procs = procs
        self._lock = threading.RLock()  # guards _ix, _gen, _stamp
        self._ix: FileIndex | None = None
        self._gen: str | None = None
        self._stamp: tuple | None = None
        self._version = 0  # bumped by this object's writes: its own searchers refresh at once
        self._local = threading.local()
        self._searchers: weakref.WeakSet[Searcher] = weakref.WeakSet()
        self._held_by_thread = threading.local()  # depth of this thread's write lock

    # ------------------------------------------------------------------ public API

    def upsert(self, records: Iterable[IndexRecord]) -> None:
        """Add or replace records by id; visible to search when this returns."""
        records = list(records)
        if records:
            self._write(("upsert", records))

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            self._write(("delete", ids))

    def rebuild(
        self,
        records: Iterable[IndexRecord],
        expected_count: int | None = None,
        before_swap: Callable[[], None] | None = None,
    ) -> dict:
        """Build a new generation beside the live one, check it, swap it in; keep the old one.

        `before_swap` runs after the checks, just before the swap: raising there keeps the live
        index (the weekly run's crash tests also stop the process at this moment)."""
        lock = FileLock(self.path / "rebuild.lock", self.rebuild_timeout, "rebuild the index")
        self.path.mkdir(parents=True, exist_ok=True)
        with lock:
            return self._rebuild_locked(records, expected_count, before_swap)

    def rollback(self) -> None:
        """Make the previous generation live again (and the current one the previous)."""
        with self._write_lock():
            current, previous = self._read_pointer(CURRENT), self._read_pointer(PREVIOUS)
            if not previous or not (self.path / previous / META).exists():
                raise SearchIndexError(
                    f"no previous index to roll back to in {self.path}; rebuild instead"
                )
            self._write_pointer(PREVIOUS, current or previous)
            self._write_pointer(CURRENT, previous)
            log.info("index rolled back path=%s from=%s to=%s", self.path, current, previous)
            self._reopen()

    def search(self, query: SearchQuery) -> SearchResults:
        return self._read(lambda s: run_search(s, self.analyzer, query))

    def count(self) -> int:
        return self._read(lambda s: s.doc_count())

    def info(self) -> IndexInfo:
        self._ensure_open()
        gen_dir = self.path / str(self._gen)
        meta = _read_meta(gen_dir)
        return {
            "backend": self.backend,
            "count": self.count(),
            "built_at": meta.get("built_at"),
            "size_bytes": _size(gen_dir),
            "path": str(gen_dir),
            "generation": gen_dir.name,
            "previous": self._read_pointer(PREVIOUS),
            "building": self._building(),
            "schema_version": meta.get("schema"),
            "dictionary_changed": meta.get("dictionary") != self.analyzer.dictionary.fingerprint,
        }

    def close(self) -> None:
        with self._lock:
            for searcher in list(self._searchers):
                with contextlib.suppress(ReaderClosed):  # closed by a failed read already
                    searcher.close()
            self._searchers = weakref.WeakSet()
            self._local = threading.local()
            self._ix = self._gen = self._stamp = None

    # ------------------------------------------------------------------ opening

    def _ensure_open(self, repair: bool = True) -> FileIndex:
        """The live generation, reopened when the pointer changed; repaired when unreadable.

        Never waits for a file lock while holding the thread lock: a writer thread of this
        process may hold the file lock and need the thread lock to finish."""
        with self._lock:
            if self._ix is not None and self._pointer_stamp() == self._stamp:
                return self._ix
        if self._read_pointer(CURRENT) is None and not self._generations():
            self._create_empty()
        with self._lock:
            try:
                return self._open_current()
            except SearchIndexError:
                raise
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
        if not repair:
            raise _Unreadable(reason)
        self._recover(reason)
        with self._lock:
            return self._open_current()

    def _open_current(self) -> FileIndex:
        stamp = self._pointer_stamp()
        name = self._read_pointer(CURRENT)
        if name is None:
            raise FileNotFoundError(f"{self.path / CURRENT} is missing")
        ix = whoosh_index.open_dir(str(self.path / name), schema=self.schema)
        _probe(ix, self.path / name)
        self._ix, self._gen, self._stamp = ix, name, stamp
        self._version += 1
        return ix

    def _reopen(self) -> None:
        """Open the generation just made live; a failure here is an error, not a repair."""
        with self._lock:
            self._ix = None
        self._ensure_open(repair=False)

    def _create_empty(self) -> None:
        with self._write_lock():
            if self._read_pointer(CURRENT) is not None:
                return
            name = _new_generation_name()
            (self.path / name).mkdir()
            whoosh_index.create_in(str(self.path / name), self.schema)
            self._write_meta(self.path / name, 0)
            self._write_pointer(CURRENT, name)
            log.info("index created path=%s generation=%s", self.path, name)

    def _recover(self, reason: str) -> None:
        if self.records_source is None:
            raise IndexUnavailableError(
                f"the search index at {self.path} cannot be read ({reason}); rebuild it from the "
                "database with `policylib index rebuild`"
            )
        log.error(
            "index unreadable path=%s reason=%r action=rebuild_from_records", self.path, reason
        )
        lock = FileLock(self.path / "rebuild.lock", self.rebuild_timeout, "repair the index")
        with lock:
            if self._readable():  # another process may have repaired it while we waited
                log.info("index repaired by another process path=%s", self.path)
                return
            records, expected = self.records_source()
            report = self._rebuild_locked(records, expected)
        log.warning(
            "index rebuilt after corruption path=%s count=%d seconds=%.1f",
            self.path,
            report["count"],
            report["seconds"],
        )

    # ------------------------------------------------------------------ reading

    def _read(self, fn):
        """Run fn(searcher). A failure is retried on a fresh searcher (files replaced under an old
        reader); a second failure that looks like damaged files repairs the index and retries."""
        for attempt in range(3):
            try:
                return fn(self._searcher())
            except SearchIndexError:
                raise
            except Exception as exc:
                if attempt == 0:
                    self._drop_searcher()
                    continue
                if attempt == 1 and _looks_damaged(exc, self._readable):
                    self._drop_searcher()
                    with self._lock:
                        self._ix = None
                    self._recover(f"{type(exc).__name__}: {exc}")
                    continue
                raise
        raise AssertionError("unreachable")

    def _searcher(self) -> Searcher:
        ix = self._ensure_open()
        loc = self._local
        searcher: Searcher | None = getattr(loc, "searcher", None)
        now = time.monotonic()
        if searcher is None or loc.ix is not ix:
            if searcher is not None:
                searcher.close()
            searcher = ix.searcher(weighting=WEIGHTING)
            self._searchers.add(searcher)
        elif loc.version != self._version or now - loc.checked > REFRESH_SECONDS:
            if not searcher.up_to_date():
                # Not searcher.refresh(): Whoosh reuses segment readers by segment id there, so
                # deletions made since (an upsert replacing a record) stay invisible.
                searcher.close()
                searcher = ix.searcher(weighting=WEIGHTING)
                self._searchers.add(searcher)
        else:
            return searcher
        loc.searcher, loc.ix, loc.version, loc.checked = searcher, ix, self._version, now
        return searcher

    def _drop_searcher(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            self._searchers.discard(searcher)  # close() must not close it a second time
            with contextlib.suppress(Exception):  # it is being thrown away
                searcher.close()
        self._local.searcher = None
        with self._lock:
            self._stamp = None  # force a reopen from disk

    def _readable(self) -> bool:
        try:
            name = self._read_pointer(CURRENT)
            if name is None:
                return False
            _probe(
                whoosh_index.open_dir(str(self.path / name), schema=self.schema), self.path / name
            )
            return True
        except Exception:
            return False

    # ------------------------------------------------------------------ writing

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        """The file lock, re-entrant within a thread (creating the first generation happens
        inside a write)."""
        depth = getattr(self._held_by_thread, "depth", 0)
        if depth:
            self._held_by_thread.depth = depth + 1
            try:
                yield
            finally:
                self._held_by_thread.depth = depth
            return
        self.path.mkdir(parents=True, exist_ok=True)
        with FileLock(self.path / "write.lock", self.write_timeout):
            self._held_by_thread.depth = 1
            try:
                yield
            finally:
                self._held_by_thread.depth = 0

    def _write(self, op: tuple[str, list]) -> None:
        """Apply one write under the lock. Damage found while writing is repaired outside the
        lock (a rebuild needs it) and the write is applied again."""
        for attempt in range(2):
            try:
                with self._write_lock():
                    ix = self._ensure_open(repair=False)
                    _apply(ix, [op])
                    self._journal(op)
                    self._version += 1
                return
            except _Unreadable as exc:
                if attempt:
                    raise IndexUnavailableError(
                        f"the index at {self.path} is still unreadable after a rebuild: {exc}"
                    ) from exc
                self._recover(str(exc))
            except SearchIndexError:
                raise
            except Exception as exc:
                if attempt or not _looks_damaged(exc, self._readable):
                    raise
                with self._lock:
                    self._ix = None
                self._recover(f"{type(exc).__name__}: {exc}")

    def _journal(self, op: tuple[str, list]) -> None:
        """While a rebuild runs, remember the write so the new generation gets it too."""
        journal = self.path / JOURNAL
        if not journal.exists():
            return
        if not _held(self.path / "rebuild.lock"):  # left behind by a crashed rebuild
            journal.unlink(missing_ok=True)
            return
        with journal.open("ab") as fh:
            pickle.dump(op, fh, protocol=pickle.HIGHEST_PROTOCOL)

    # ------------------------------------------------------------------ rebuilding

    def _rebuild_locked(
        self,
        records: Iterable[IndexRecord],
        expected: int | None,
        before_swap: Callable[[], None] | None = None,
    ) -> dict:
        started = time.monotonic()
        name = _new_generation_name()
        gen_dir = self.path / name
        journal = self.path / JOURNAL
        self._remove_stale_generations(keep={name})
        gen_dir.mkdir()
        with self._write_lock():
            journal.write_bytes(b"")
        try:
            stats = build_directory(gen_dir, self.schema, records, self.procs)
            if expected is not None and stats.count != expected:
                raise RebuildError(
                    f"rebuild read {stats.count} records but {expected} were expected; the live "
                    "index was kept. Run the rebuild again when no import is running."
                )
            with self._write_lock():
                ix = whoosh_index.open_dir(str(gen_dir), schema=self.schema)
                _apply(ix, _read_journal(journal))
                journal.unlink(missing_ok=True)
                count = _verify(ix, self.analyzer, stats.probe_title)
                self._write_meta(gen_dir, count)
                if before_swap:
                    before_swap()
                old = self._read_pointer(CURRENT)
                if old and (self.path / old).exists():
                    self._write_pointer(PREVIOUS, old)
                self._write_pointer(CURRENT, name)
                self._reopen()
        except BaseException:
            journal.unlink(missing_ok=True)
            shutil.rmtree(gen_dir, ignore_errors=True)
            raise
        self._remove_stale_generations(keep=set())
        report = {
            "count": count,
            "seconds": round(time.monotonic() - started, 2),
            "size_bytes": _size(gen_dir),
            "path": str(gen_dir),
            "previous": old,
        }
        log.info("index rebuilt path=%s count=%d seconds=%.1f", gen_dir, count, report["seconds"])
        return report

    def _building(self) -> str | None:
        """The generation a rebuild (of any process) is writing now, if one runs."""
        if not _held(self.path / "rebuild.lock"):
            return None
        kept = {self._read_pointer(CURRENT), self._read_pointer(PREVIOUS)}
        return max((g.name for g in self._generations() if g.name not in kept), default=None)

    def _remove_stale_generations(self, keep: set[str]) -> None:
        """Generations neither live nor kept for rollback (e.g. left by a crashed rebuild)."""
        keep = keep | {self._read_pointer(CURRENT), self._read_pointer(PREVIOUS)}
        for gen in self._generations():
            if gen.name not in keep:
                shutil.rmtree(gen, ignore_errors=True)

    # ------------------------------------------------------------------ files

    def _generations(self) -> list[Path]:
        if not self.path.exists():
            return []
        return sorted(p for p in self.path.iterdir() if p.is_dir() and p.name.startswith("gen-"))

    def _read_pointer(self, which: str) -> str | None:
        try:
            name = (self.path / which).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def _pointer_stamp(self) -> tuple | None:
        try:
            st = os.stat(self.path / CURRENT)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _write_pointer(self, which: str, name: str) -> None:
        tmp = self.path / f".{which}.{os.getpid()}.{secrets.token_hex(4)}"
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path / which)
        _fsync_dir(self.path)

    def _write_meta(self, gen_dir: Path, count: int) -> None:
        meta = {
            "schema": SCHEMA_VERSION,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "count": count,
            "dictionary": self.analyzer.dictionary.fingerprint,
        }
        (gen_dir / META).write_text(json.dumps(meta), encoding="utf-8")


def _looks_damaged(exc: BaseException, readable: Callable[[], bool]) -> bool:
    """Whether a failure while reading or writing means damaged files, not a bug here: the index
    no longer opens, or Whoosh itself failed decoding its files (a data error raised in its own
    code). A bug in this package must surface, not trigger a rebuild on every search."""
    if not readable():
        return True
    if not isinstance(exc, DATA_ERRORS):
        return False
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return last is not None and f"{os.sep}whoosh{os.sep}" in last


def _apply(ix: FileIndex, ops: Iterable[tuple[str, list]]) -> None:
    ops = list(ops)
    if not ops:
        return
    writer = ix.writer()
    try:
        for kind, items in ops:
            for item in items:
                if kind == "upsert":
                    writer.update_document(**to_document(item))
                else:
                    writer.delete_by_term("id", item)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise


def _read_journal(journal: Path) -> Iterator[tuple[str, list]]:
    if not journal.exists():
        return
    with journal.open("rb") as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return


def _verify(ix: FileIndex, analyzer: Analyzer, probe_title: str | None) -> int:
    """A new generation must open, hold its records and answer a query before it goes live."""
    with ix.searcher(weighting=WEIGHTING) as searcher:
        count = searcher.doc_count()
        if probe_title and count:
            found = run_search(searcher, analyzer, SearchQuery(text=probe_title, include_all=True))
            if not found.total:
                raise RebuildError(
                    f"the rebuilt index did not find {probe_title!r}; the live index was kept"
                )
    return count


def _probe(ix: FileIndex, gen_dir: Path) -> None:
    """Open every segment and read a little of each part, so damage shows now, not mid-search."""
    meta = _read_meta(gen_dir)
    if meta.get("schema") != SCHEMA_VERSION:
        raise StaleIndexError(
            f"index schema {meta.get('schema')} is not {SCHEMA_VERSION} (or {META} is missing)"
        )
    with ix.reader() as reader:
        total = reader.doc_count_all()
        for docnum in {0, total - 1} if total else ():
            if not reader.is_deleted(docnum):
                reader.stored_fields(docnum)
        if not total:
            return
        for fieldname in TEXT_FIELDS:
            for term in _first(reader.lexicon(fieldname)):
                list(reader.postings(fieldname, term).all_ids())
        reader.column_reader("title_key")


class StaleIndexError(Exception):
    """An index from another schema version: rebuilt like a damaged one."""


class _Unreadable(Exception):
    """Raised inside the write lock so the repair happens after it is released."""


def _first(it: Iterable) -> list:
    for item in it:
        return [item]
    return []


def _read_meta(gen_dir: Path) -> dict:
    try:
        return json.loads((gen_dir / META).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _size(directory: Path) -> int:
    try:
        return sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
    except FileNotFoundError:
        return 0


def _new_generation_name() -> str:
    return f"gen-{generation_stamp()}-{os.getpid()}-{secrets.token_hex(3)}"


def _held(lock_path: Path) -> bool:
    """Whether some process holds the flock on lock_path right now."""
    import fcntl

    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
