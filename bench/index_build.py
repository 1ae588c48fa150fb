"""Full build of the whole lawref corpus (3,424 files, ~20 M characters) on this machine.

Reads every file with the project's parser first (timed apart), then times `SearchIndex.rebuild`:
segmentation and Whoosh writing on every core, the checks and the atomic swap. Target: <= 60 s.
With `--backend postgres` the same records go into the PostgreSQL search tables instead
(segmentation in this process's workers, tsvector and GIN work in the database server).

With `--home HOME` it times what `policylib reindex --full` spends nearly all its time on instead:
`library.indexing.rebuild` of that data home's index from its database (the records read with
SQLAlchemy, the writer processes, the checks and the swap), with the CPU seconds of the parent
and of the writer processes, per document, and the load average before and after; the home's
index gets a new generation (use a copy of a home you must not change).

    .venv/bin/python bench/index_build.py [--index PATH] [--procs N] [--backend whoosh|postgres]
    .venv/bin/python bench/index_build.py --home HOME
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lawref import (
    DEFAULT_INDEX,
    LAWREF,
    add_backend_options,
    make_index,
    records,
    result_name,
    write_result,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    ap.add_argument("--corpus", type=Path, default=LAWREF)
    ap.add_argument("--procs", type=int, default=None, help="writer processes (default: cores)")
    ap.add_argument("--home", type=Path, help="rebuild this data home's index from its database")
    add_backend_options(ap)
    args = ap.parse_args()
    if args.home:
        rebuild_home(args.home)
        return
    if not (args.corpus / "metadata.csv").exists():
        sys.exit(f"lawref corpus not found at {args.corpus}")

    started = time.perf_counter()
    recs = list(records(args.corpus))
    read_s = time.perf_counter() - started
    chars = sum(len(r.title) + len(r.body) for r in recs)

    index = make_index(args.backend, args.index, args.pg_url, procs=args.procs)
    started = time.perf_counter()
    report = index.rebuild(recs, expected_count=len(recs))
    build_s = time.perf_counter() - started
    index.close()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "backend": args.backend,
        "files": len(recs),
        "characters": chars,
        "cores": os.cpu_count(),
        "read_parse_seconds": round(read_s, 2),
        "build_seconds": round(build_s, 2),
        "chars_per_second": round(chars / build_s),
        "count": report["count"],
        "size_mb": round(report["size_bytes"] / 2**20, 1),
        "peak_rss_mb_parent": round(peak_mb),
        "target_build_seconds": 60,
        "path": report["path"],
        "load_average_1m_after": round(os.getloadavg()[0], 2),
    }
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    print(f"{'':>22}  -> {write_result(result_name('index_build', args.backend), result)}")


def rebuild_home(home: Path) -> None:
    """`library.indexing.rebuild` of a data home, timed (see the module docstring)."""
    from library import indexing
    from library.core import Library

    lib = Library.open(home)
    load_before = os.getloadavg()
    started, cpu_started = time.perf_counter(), time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = indexing.rebuild(lib)
    wall = time.perf_counter() - started
    parent_cpu = time.process_time() - cpu_started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    backend = lib.settings.search_backend
    lib.close()
    count = report["count"]
    result = {
        "home": str(home),
        "backend": backend,
        "count": count,
        "cores": os.cpu_count(),
        "wall_seconds": round(wall, 1),
        "parent_cpu_seconds": round(parent_cpu, 1),
        "writer_processes_cpu_seconds": round(workers_cpu, 1),
        "cpu_ms_per_document": round((parent_cpu + workers_cpu) / max(count, 1) * 1000, 2),
        "size_mb": round(report["size_bytes"] / 2**20, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    for key, value in result.items():
        print(f"{key:>30}: {value}")
    print(f"{'':>30}  -> {write_result('index_rebuild_home', result)}")


if __name__ == "__main__":
    main()
