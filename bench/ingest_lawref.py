"""Parse + store the whole lawref corpus into a fresh home; print files/s and MB/s.

Target (issue 2): under 60 s on a 2-core machine. The index is built separately (bench/index_build.py),
so this measures exactly what `policylib ingest --no-index` does.

    .venv/bin/python bench/ingest_lawref.py
"""

from __future__ import annotations

import tempfile
import time

from _common import require_lawref, write_results

from library.core import Library
from library.ingest import ingest_paths


def main() -> None:
    corpus = require_lawref()
    files = [p for p in corpus.rglob("*.md") if p.name.lower() != "readme.md"]
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    with tempfile.TemporaryDirectory() as home:
        lib = Library.open(home)
        start = time.perf_counter()
        report = ingest_paths(lib, [corpus], index=False)
        seconds = time.perf_counter() - start
        again = time.perf_counter()
        second = ingest_paths(lib, [corpus], index=False)
        rerun = time.perf_counter() - again
        lib.close()
    write_results(
        "ingest_lawref",
        {
            "files": len(report.files),
            "counts": report.counts,
            "megabytes": round(megabytes, 1),
            "seconds": round(seconds, 2),
            "files_per_s": round(len(report.files) / seconds, 1),
            "mb_per_s": round(megabytes / seconds, 2),
            "target_seconds": 60,
            "rerun_seconds_nothing_changed": round(rerun, 2),
            "rerun_counts": second.counts,
        },
    )


if __name__ == "__main__":
    main()
