"""One run at a time: a second run is refused clearly, and a killed holder never blocks the next."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine

from cli import main
from cli.ops_cmds import EXIT_BUSY
from library.core import Library
from library.daily import apply_due_once
from library.runlock import LockBusy, run_lock
from tests.ops.support import kill_group, wait_for

HOLDER = """
import sys, time
from pathlib import Path
from library.runlock import run_lock
with run_lock(Path(sys.argv[1]), sys.argv[2]):
    Path(sys.argv[3]).write_text("held")
    time.sleep(600)
"""


def _hold(home: Path, name: str, tmp_path: Path) -> subprocess.Popen:
    """Another process takes the lock and keeps it until it is killed."""
    flag = tmp_path / f"{name}.held"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(home), name, str(flag)], start_new_session=True
    )
    wait_for(flag.exists, 30, "the other process to take the lock")
    return proc


def test_lock_is_exclusive_and_names_its_holder(tmp_path: Path) -> None:
    busy = pytest.raises(LockBusy, match=r"already running \(pid=\d+ since=")
    with run_lock(tmp_path, "reindex"), busy, run_lock(tmp_path, "reindex"):
        pass
    with run_lock(tmp_path, "reindex"):
        pass  # released on exit


def test_second_run_is_refused_and_a_killed_holder_leaves_no_stale_lock(
    ops_lib: Library, home: Path, tmp_path: Path
) -> None:
    holder = _hold(home, "reindex", tmp_path)
    try:
        busy = CliRunner().invoke(main, ["reindex"])
        assert busy.exit_code == EXIT_BUSY
        assert "already running" in busy.output and f"pid={holder.pid}" in busy.output
    finally:
        kill_group(holder)  # kill -9: no chance to clean up
    assert (home / "reindex.lock").exists(), "the lock file stays behind..."
    done = CliRunner().invoke(main, ["reindex"])
    assert done.exit_code == 0, done.output  # ...and does not block


def test_daily_transitions_run_once_per_day_across_processes(
    ops_lib: Library, home: Path, tmp_path: Path
) -> None:
    holder = _hold(home, "daily", tmp_path)
    try:
        assert apply_due_once(ops_lib, date(2030, 1, 1)) is None, "another worker is on it"
    finally:
        kill_group(holder)
    assert apply_due_once(ops_lib, date(2030, 1, 1)) == []
    assert apply_due_once(ops_lib, date(2030, 1, 1)) is None, "today is already done"
    assert apply_due_once(ops_lib, date(2030, 1, 2)) == []


@pytest.mark.postgres
def test_on_postgresql_an_advisory_lock_keeps_a_second_node_out(tmp_path: Path) -> None:
    """Two nodes have two homes (two lock files) but one database: the advisory lock decides."""
    url = os.environ.get("POLICYLIB_TEST_PG_URL")
    if not url:
        pytest.skip("POLICYLIB_TEST_PG_URL not set")
    node_a, node_b = create_engine(url), create_engine(url)
    try:
        busy = pytest.raises(LockBusy, match="another node")
        with (
            run_lock(tmp_path / "a", "reindex", node_a),
            busy,
            run_lock(tmp_path / "b", "reindex", node_b),
        ):
            pass
        with run_lock(tmp_path / "b", "reindex", node_b):
            pass  # released with the first node's connection
    finally:
        node_a.dispose()
        node_b.dispose()
