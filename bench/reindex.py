"""The weekly run over the whole lawref corpus: a first run (everything new) against a second run
with nothing changed, which must take a small fraction of it; and a --full run for comparison.

    .venv/bin/python bench/reindex.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import tomli_w
from _common import require_lawref, write_results

from library.core import Library
from library.reindex import ReindexReport, run_reindex


def _timed(lib: Library, full: bool = False) -> tuple[float, ReindexReport]:
    start = time.perf_counter()
    report = run_reindex(lib, full=full)
    return time.perf_counter() - start, report


def _figures(seconds: float, report: ReindexReport) -> dict:
    return {
        "seconds": round(seconds, 2),
        "counts": report.counts,
        "index": report.index.get("action"),
        "index_count": report.index.get("count"),
        "index_mb": round((report.index.get("size_bytes") or 0) / 1e6, 1),
        "timings": report.timings,
    }


def main() -> None:
    corpus = require_lawref()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "config.toml").write_text(tomli_w.dumps({"source_folders": [str(corpus)]}))
        lib = Library.open(home)
        first_s, first = _timed(lib)
        second_s, second = _timed(lib)
        full_s, full = _timed(lib, full=True)
        lib.close()
    write_results(
        "reindex",
        {
            "files": sum(first.counts.values()),
            "first_run": _figures(first_s, first),
            "second_run_nothing_changed": _figures(second_s, second),
            "second_over_first": round(second_s / first_s, 4),
            "full_run_nothing_changed": _figures(full_s, full),
        },
    )


if __name__ == "__main__":
    main()
