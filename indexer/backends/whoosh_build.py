"""Bulk build of a fresh index directory, on every core.

Each core runs a worker process with its own `BulkSegmentWriter` (`whoosh_segment.py`), which
writes one segment of the index; the parent reads the records, hands them out in batches and
commits the segments together, with no merge at the end. Segmenting is cheap with rjieba; what
costs is Whoosh's own Python per posting, which the bulk writer cuts. Small builds stay in one
process, where starting workers would cost more than it saves.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import queue
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

from whoosh import fields, index

from ..errors import RebuildError
from ..records import IndexRecord
from ..schema import title_key, to_document
from .whoosh_segment import BulkSegmentWriter, supports

log = logging.getLogger("policylib.indexer")

PARALLEL_THRESHOLD = 400  # records; below this one process is faster
WRITER_MEMORY_MB = 128
BATCH = 32  # records per hand-out to a worker
_WAIT_S = 1.0  # how often the parent looks whether its workers are still alive


@dataclass
class BuildStats:
    count: int
    probe_title: str | None  # a title the finished index must find


def build_directory(
    directory: Path, schema: fields.Schema, records: Iterable[IndexRecord], procs: int | None = None
) -> BuildStats:
    ix = index.create_in(str(directory), schema)
    it = iter(records)
    head = list(islice(it, PARALLEL_THRESHOLD))
    procs = procs or os.cpu_count() or 1
    stats = BuildStats(0, None)
    unique = _unique(chain(head, it), stats)
    if len(head) >= PARALLEL_THRESHOLD and procs > 1:
        segments = _build_parallel(directory, schema, unique, procs)
        # A fresh index has no segments of its own: the workers' ones are the whole index.
        ix.writer().commit(mergetype=lambda _writer, _old: segments)
    else:
        writer = _writer(ix)
        try:
            for record in unique:
                writer.add_document(**to_document(record))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
    return stats


def _writer(ix: index.FileIndex, **kwargs: object):
    if supports(ix.schema):
        return BulkSegmentWriter(ix, limitmb=WRITER_MEMORY_MB, **kwargs)
    return ix.writer(limitmb=WRITER_MEMORY_MB, **kwargs)


def _unique(records: Iterable[IndexRecord], stats: BuildStats) -> Iterator[IndexRecord]:
    """The records with a duplicate id left out (logged), counted, and a probe title noted."""
    seen: set[str] = set()
    for record in records:
        if record.id in seen:
            log.warning("duplicate record skipped id=%s", record.id)
            continue
        seen.add(record.id)
        stats.count += 1
        if stats.probe_title is None and title_key(record.title or ""):
            stats.probe_title = record.title
        yield record


def _build_parallel(
    directory: Path, schema: fields.Schema, records: Iterable[IndexRecord], procs: int
) -> list:
    """The segments written by `procs` worker processes from the records, handed out in batches."""
    ctx = multiprocessing.get_context()
    jobs = ctx.Queue(procs * 4)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=_work, args=(str(directory), schema, jobs, results))
        for _ in range(procs)
    ]
    for worker in workers:
        worker.start()
    try:
        it = iter(records)
        while batch := list(islice(it, BATCH)):
            _put(jobs, batch, workers, results)
        for _ in workers:
            _put(jobs, None, workers, results)
        outcomes = [_get(results, workers) for _ in workers]
        for worker in workers:
            worker.join()
    except BaseException:
        for worker in workers:
            worker.terminate()
        jobs.cancel_join_thread()  # batches no one will read must not hold this process at exit
        raise
    failed = [detail for ok, detail in outcomes if not ok]
    if failed:
        raise RebuildError(f"an index writer process failed: {failed[0]}")
    return [segment for _, segment in outcomes if segment is not None]


def _work(directory: str, schema: fields.Schema, jobs, results) -> None:
    """A worker: write every batch it gets into one segment; report it (or the error).

    Python's cycle collector is off in the worker: indexing makes a list per word of every
    document, and each few hundred of them made the collector walk the growing pool of postings
    again (a tenth of the worker's CPU). The build makes no reference cycles to collect, and
    the process ends with its segment."""
    gc.disable()
    try:
        ix = index.open_dir(directory, schema=schema)
        writer = _writer(ix, _lk=False)
        while (batch := jobs.get()) is not None:
            for record in batch:
                writer.add_document(**to_document(record))
        if writer.doc_count():
            results.put((True, writer._finalize_segment()))
        else:
            writer._close_segment()
            results.put((True, None))
    except BaseException:
        results.put((False, traceback.format_exc(limit=8)))


def _put(jobs, item: object, workers: list, results) -> None:
    while True:
        try:
            jobs.put(item, timeout=_WAIT_S)
            return
        except queue.Full:
            if _stopped(workers):
                reported = _get(results, workers)
                raise RebuildError(
                    f"the index writer processes stopped early: {reported[1]}"
                ) from None


def _get(results, workers: list) -> tuple[bool, object]:
    """The next worker's outcome; an error when none can come any more (a worker was killed)."""
    while True:
        try:
            return results.get(timeout=_WAIT_S)
        except queue.Empty:
            if _stopped(workers):
                try:  # the last outcome may still be on its way
                    return results.get(timeout=_WAIT_S)
                except queue.Empty:
                    codes = [w.exitcode for w in workers]
                    raise RebuildError(
                        f"an index writer process ended without a result (exit codes {codes})"
                    ) from None


def _stopped(workers: list) -> bool:
    """True when a worker was killed or crashed, or when none is left to take work."""
    codes = [w.exitcode for w in workers]
    return any(code not in (None, 0) for code in codes) or None not in codes
