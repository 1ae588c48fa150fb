"""`policylib`, stopped at a named moment of the weekly run, for the crash and scale-out tests:

    python tests/ops/paused_cli.py PHASE FLAGFILE ARGS...

runs `policylib ARGS...`; when the run reaches PHASE it writes FLAGFILE and waits there to be
killed. Phases: `ingest` (the first file whose row changed is stored), `build` (BUILD_PAUSE_AFTER
records handed to the index builder), `swap` (the new generation checked, just before it goes
live). The product has no such hook: this script wraps the functions the run calls.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from cli import main
from indexer.backends.postgres import PgSearchIndex
from indexer.backends.whoosh import SearchIndex
from library import indexing, reindex

BUILD_PAUSE_AFTER = 50  # records; tests/ops/test_crash.py adds more than this
PAUSE_LIMIT_S = 300


def pause_here(phase: str, flag: Path) -> None:
    flag.write_text(f"{phase} {os.getpid()}", encoding="utf-8")
    time.sleep(PAUSE_LIMIT_S)
    sys.exit(f"the pause at {phase} was never ended")


def install(phase: str, flag: Path) -> None:
    if phase == "ingest":
        ingest_paths = reindex.ingest_paths

        def paused_ingest(*args, progress=None, **kwargs):
            def on_file(outcome) -> None:
                if outcome.outcome != "unchanged":
                    pause_here(phase, flag)
                if progress:
                    progress(outcome)

            return ingest_paths(*args, progress=on_file, **kwargs)

        reindex.ingest_paths = paused_ingest
    elif phase == "build":
        all_records = indexing.all_records

        def paused_records(lib):
            for n, record in enumerate(all_records(lib), start=1):
                if n == BUILD_PAUSE_AFTER:
                    pause_here(phase, flag)
                yield record

        indexing.all_records = paused_records
    elif phase == "swap":
        for backend in (SearchIndex, PgSearchIndex):
            backend.rebuild = _paused_rebuild(backend.rebuild, lambda: pause_here(phase, flag))
    else:
        sys.exit(f"unknown phase {phase!r}: ingest, build or swap")


def _paused_rebuild(rebuild, pause):
    def paused(self, records, expected_count=None, before_swap=None):
        return rebuild(self, records, expected_count, before_swap=pause)

    return paused


if __name__ == "__main__":
    install(sys.argv[1], Path(sys.argv[2]))
    main(sys.argv[3:])
