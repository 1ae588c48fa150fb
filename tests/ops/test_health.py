"""/healthz for monitoring: status, counts, index age, the last weekly run, and what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import insert

from cli import main
from library.core import Library
from library.models import Document
from library.reindex import ReindexError, run_reindex
from webapp import create_app


def _healthz(lib: Library) -> tuple[int, dict]:
    """The full report, as monitoring with the health token sees it."""
    lib.settings.health_token = "monitoring"
    app = create_app(lib, config={"TESTING": True})
    resp = app.test_client().get("/healthz", headers={"Authorization": "Bearer monitoring"})
    return resp.status_code, resp.get_json()


def test_healthz_after_a_good_run(ops_lib: Library) -> None:
    report = run_reindex(ops_lib)
    code, body = _healthz(ops_lib)
    assert code == 200 and body["status"] == "ok", body["problems"]
    assert body["documents"] == 6 and body["by_status"] == {"valid": 6}
    assert body["index"]["count"] == 6 and body["index"]["matches_database"] is True
    assert 0 <= body["index"]["age_seconds"] < 600
    last = body["last_reindex"]
    assert last["status"] == "ok" and last["finished_at"] == report.finished_at
    assert last["counts"]["added"] == 6 and last["index_action"] == "rebuilt"


def test_a_configured_library_that_never_ran_the_weekly_job_warns(ops_lib: Library) -> None:
    code, body = _healthz(ops_lib)
    assert code == 200 and body["status"] == "warning"
    assert any("no reindex has run yet" in p for p in body["problems"])


def test_a_failed_run_and_an_index_behind_the_database_warn(ops_lib: Library, source: Path) -> None:
    run_reindex(ops_lib)
    source.rename(source.with_name("gone"))
    with pytest.raises(ReindexError):
        run_reindex(ops_lib)
    with ops_lib.db.session() as s:  # written past the ORM, so no index backlog row either
        s.execute(insert(Document).values(title="未入索引的文件", content_hash="0" * 64))
    code, body = _healthz(ops_lib)
    assert code == 200, "still serving: a load balancer must keep this node"
    assert body["status"] == "warning"
    assert any(p.startswith("last reindex failed") for p in body["problems"])
    assert any(p.startswith("index holds 6 records, database 7") for p in body["problems"])


def test_health_command_exit_codes(ops_lib: Library) -> None:
    assert CliRunner().invoke(main, ["health"]).exit_code == 1  # warning: never ran
    run_reindex(ops_lib)
    result = CliRunner().invoke(main, ["health", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "ok"
