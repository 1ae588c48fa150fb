"""Search keeps answering, over real HTTP, while a full reindex rebuilds and swaps the index; the
running server serves the new generation without a restart."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.conftest import LAWREF
from tests.ops.support import Server, configure, http_get, run_cli, start_cli, write_doc

# Several source folders of the lawref corpus (a few hundred laws), read in place, never copied;
# one run takes every folder of it (3,424 laws, 20 M characters), as the weekly run would.
LAWREF_FOLDERS = ["经济法", "行政法", "社会法", "宪法相关法"]
LAWREF_QUERIES = ["个人所得税", "行政处罚", "社会保险", "全国人民代表大会", "价格", "行政许可"]
GENERATED_QUERIES = ["养老保险", "就业创业", "税费减免", "生育保险", "城市更新"]


def _sources(tmp_path: Path, whole: bool) -> tuple[list[str], list[str]]:
    if (LAWREF / "metadata.csv").exists():
        names = (
            [d.name for d in sorted(LAWREF.iterdir()) if d.is_dir()] if whole else LAWREF_FOLDERS
        )
        return [str(LAWREF / f) for f in names], LAWREF_QUERIES
    folder = tmp_path / "generated"
    folder.mkdir()
    for n in range(300):
        write_doc(folder, n)
    return [str(folder)], GENERATED_QUERIES


class Searcher(threading.Thread):
    """Asks the server one query after another until stopped; records every outcome."""

    def __init__(self, base: str, queries: list[str]) -> None:
        super().__init__(daemon=True)
        self.base, self.queries = base, queries
        self.done = threading.Event()
        self.ok = 0
        self.failures: list[str] = []
        self.totals: dict[str, set[int]] = {q: set() for q in queries}

    def run(self) -> None:
        n = 0
        while not self.done.is_set():
            q = self.queries[n % len(self.queries)]
            n += 1
            url = f"{self.base}/api/search?all=1&q={urllib.parse.quote(q)}"
            try:
                code, body = http_get(url, timeout=15)
                if code != 200:
                    self.failures.append(f"{q}: HTTP {code} {body[:200]!r}")
                    continue
                self.totals[q].add(json.loads(body)["total"])
                self.ok += 1
            except Exception as exc:
                self.failures.append(f"{q}: {type(exc).__name__}: {exc}")


MONITORING = {"Authorization": "Bearer monitoring"}  # /healthz in full, index generation included


@pytest.mark.slow
@pytest.mark.parametrize(("server", "whole"), [("waitress", False), ("gunicorn", True)])
def test_no_request_fails_during_a_full_reindex(
    home: Path, tmp_path: Path, server: str, whole: bool
) -> None:
    folders, queries = _sources(tmp_path, whole)
    # the searchers ask as fast as they can from one address: no rate limit for them
    configure(
        home, source_folders=folders, health_token="monitoring", api_rate_limit="1000 per second"
    )
    first = run_cli(home, "reindex", "--json", timeout=900)
    assert first.returncode == 0, first.stderr
    documents = json.loads(first.stdout)["index"]["count"]
    assert documents >= (3000 if whole and queries is LAWREF_QUERIES else 200)

    live = Server(home, "--server", server, "--workers", "2")
    clients = [Searcher(live.url, queries) for _ in range(2)]
    try:
        generation = json.loads(http_get(live.url + "/healthz", headers=MONITORING)[1])["index"][
            "generation"
        ]
        for c in clients:
            c.start()
        run = start_cli(home, "reindex", "--full", "--json")
        before_run = sum(c.ok for c in clients)
        out, err = run.communicate(timeout=900)
        during = sum(c.ok for c in clients) - before_run
        assert run.returncode == 0, err
        report = json.loads(out)
        assert report["index"]["action"] == "rebuilt"
        settle = sum(c.ok for c in clients) + 20
        deadline = time.monotonic() + 60
        while sum(c.ok for c in clients) < settle and time.monotonic() < deadline:
            time.sleep(0.05)
        health = json.loads(http_get(live.url + "/healthz", headers=MONITORING)[1])
    finally:
        for c in clients:
            c.done.set()
        for c in clients:
            c.join(timeout=30)
        live.stop()

    failures = [f for c in clients for f in c.failures]
    assert failures == [], failures[:5]
    assert during > 10, "searches must have run while the reindex did"
    assert health["index"]["generation"] != generation, "the new index is served without restart"
    assert health["index"]["generation"] == Path(report["index"]["path"]).name
    assert health["last_reindex"]["status"] == "ok"
    for q in queries:
        totals = set().union(*(c.totals[q] for c in clients))
        assert len(totals) == 1 and totals != {0}, f"{q}: totals {totals} changed across the swap"
