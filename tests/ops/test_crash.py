"""kill -9 the weekly run at its riskiest moments: the live index and the database stay as they
were, and the next run finishes the job."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from indexer.interface import SearchQuery
from library.core import Library
from library.ingest import BATCH_SIZE
from tests.ops.support import configure, kill_group, run_cli, start_paused_cli, wait_for, write_doc

QUERIES = ["养老保险", "就业创业", "税费减免", "第3号专项", "生育保险"]
# More than one ingest batch: the "ingest" kill lands after the first batch was committed, while
# the rest are being parsed; and more records than the "build" checkpoint waits for.
FIRST, ADDED = 6, BATCH_SIZE + 60


def _state(home: Path) -> dict:
    """What a user and the database would show, read by a fresh process's view of the home."""
    lib = Library.open(home)
    try:
        answers = {
            q: [
                h.id
                for h in lib.index.search(SearchQuery(text=q, include_all=True, per_page=100)).hits
            ]
            for q in QUERIES
        }
        info = lib.index.info()
        count = lib.index.count()
        with lib.db.engine.connect() as conn:
            docs = conn.scalar(text("SELECT count(*) FROM documents"))
            files = conn.scalar(text("SELECT count(*) FROM source_files"))
        sqlite = lib.db.engine.dialect.name == "sqlite"
    finally:
        lib.close()
    if sqlite:  # PostgreSQL has no such check: a killed client cannot damage its files
        db = sqlite3.connect(home / "policylib.sqlite3")
        try:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            db.close()
    return {
        "answers": answers,
        "generation": info["generation"],
        "count": count,
        "docs": docs,
        "files": files,
    }


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["ingest", "build", "swap"])
def test_kill_9_leaves_everything_as_it_was_and_the_next_run_completes(
    home: Path, source: Path, tmp_path: Path, phase: str
) -> None:
    configure(home, source_folders=[str(source)])
    first = run_cli(home, "reindex", "--json")
    assert first.returncode == 0, first.stderr
    before = _state(home)
    assert before["count"] == FIRST and all(before["answers"].values())

    for n in range(FIRST, FIRST + ADDED):
        write_doc(source, n)
    flag = tmp_path / "paused"
    proc = start_paused_cli(home, phase, flag, "reindex", "--full")
    wait_for(lambda: flag.exists() or proc.poll() is not None, 120, f"the run to reach {phase}")
    assert proc.poll() is None, proc.stderr.read()
    kill_group(proc)

    after = _state(home)
    assert after["answers"] == before["answers"], "the live index must answer exactly as before"
    assert after["generation"] == before["generation"] and after["count"] == before["count"]
    if phase == "ingest":
        # Stored batch by batch (a file's document and source row together or not at all): the
        # run stopped part-way, and the index never saw any of it.
        assert before["docs"] < after["docs"] < FIRST + ADDED
        assert after["docs"] == after["files"]
    else:
        # Ingest had committed, file by file; the index never saw it. The next run must rebuild.
        assert after["docs"] == FIRST + ADDED

    rerun = run_cli(home, "reindex", "--json")
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["status"] == "ok" and report["index"]["action"] == "rebuilt"
    if phase != "ingest":
        assert report["index"]["reason"] == "an earlier run stopped before its swap"
    final = _state(home)
    assert final["count"] == final["docs"] == FIRST + ADDED
    assert final["generation"] != before["generation"]
    index_dir = home / "index"
    generations = sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-"))
    assert len(generations) == 2, f"live + previous only, half-built ones removed: {generations}"
    assert not (index_dir / "journal").exists()
