"""Several nodes, one library: two `policylib serve` processes with homes of their own on one
PostgreSQL database and its search backend (docs/scaling.md). A change made through one node is
seen by the other within a second; only one node runs the weekly reindex at a time."""

from __future__ import annotations

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.ops_cmds import EXIT_BUSY
from library.core import Library
from library.users import add_user
from tests.db_backends import clean_environment, fresh_pg_database
from tests.ops.support import (
    Server,
    configure,
    kill_group,
    run_cli,
    start_paused_cli,
    wait_for,
    write_doc,
)
from tests.web_sample import Sample, build_sample

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PASSWORD = "correct horse battery staple"
SHARED_SECRET = "the-same-secret-on-every-node"


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """Two node homes sharing a fresh database, the postgres search backend and one secret key:
    the database and backend from the environment, the key from each node's config.toml, as a
    deployment's configuration management would write it."""
    clean_environment(monkeypatch)
    homes = tmp_path / "node-a", tmp_path / "node-b"
    for home in homes:
        configure(home, secret_key=SHARED_SECRET)
    with fresh_pg_database() as url:
        monkeypatch.setenv("POLICYLIB_DATABASE_URL", url)
        monkeypatch.setenv("POLICYLIB_SEARCH_BACKEND", "postgres")
        yield homes


class Browser:
    """An HTTP client with a cookie jar, for one node or (same cookies) another."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def get(self, url: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(url))

    def post(self, url: str, form: dict[str, str]) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode()
        return self._open(urllib.request.Request(url, data=data, method="POST"))

    def json(self, url: str) -> dict:
        status, body = self.get(url)
        assert status == 200, (url, status, body[:300])
        return json.loads(body)

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=10) as resp:
                return resp.status, resp.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    def csrf(self, url: str) -> str:
        status, html = self.get(url)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert status == 200 and found, f"no csrf token on {url}"
        return found.group(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 303 is an answer to check, not to follow


def _library(home: Path) -> Sample:
    lib = Library.open(home)
    try:
        sample = build_sample(lib)
        with lib.db.session() as s:
            add_user(s, "clerk", "legal", PASSWORD, actor="test")
        return sample
    finally:
        lib.close()


def test_a_status_change_on_one_node_is_seen_on_the_other_within_a_second(
    cluster: tuple[Path, Path],
) -> None:
    home_a, home_b = cluster
    sample = _library(home_a)
    node_a, node_b = Server(home_a), Server(home_b)
    try:
        reader = Browser()
        search = f"{node_b.url}/api/search?q=" + urllib.parse.quote("宣府办〔2023〕41号")
        document = f"{node_b.url}/api/documents/{sample.doc}"
        assert reader.json(search)["results"][0]["id"] == sample.doc
        assert reader.json(document)["status"] == "valid"

        clerk = Browser()
        token = clerk.csrf(f"{node_a.url}/login")
        status, _ = clerk.post(
            f"{node_a.url}/login", {"name": "clerk", "password": PASSWORD, "csrf_token": token}
        )
        assert status == 303
        url = f"{node_a.url}/legal/documents/{sample.doc}/status"
        form = {
            "csrf_token": clerk.csrf(url),
            "status": "repealed",
            "basis": "关于公布规范性文件清理结果的决定（宣府发〔2024〕1号）",
            "reason": "清理：废止",
            "confirmed": "1",
        }
        status, body = clerk.post(url, form)
        assert status == 303, body[:500]
        changed = time.monotonic()

        def seen_on_b() -> bool:
            current = [r["id"] for r in reader.json(search)["results"]]
            everything = {r["id"]: r["status"] for r in reader.json(search + "&all=1")["results"]}
            page = reader.json(document)
            return (
                sample.doc not in current
                and everything.get(sample.doc) == "repealed"
                and page["status"] == "repealed"
            )

        while not seen_on_b():
            assert time.monotonic() - changed < 1.0, "node B still shows the old status"
        # The same session works on node B too (one secret key): no sticky sessions needed.
        status, body = clerk.get(f"{node_b.url}/legal/documents/{sample.doc}/status?format=json")
        assert status == 200 and json.loads(body)["status"] == "repealed"
    finally:
        node_a.stop()
        node_b.stop()


def test_only_one_node_runs_the_weekly_reindex(cluster: tuple[Path, Path], tmp_path: Path) -> None:
    """Two homes, two lock files: the PostgreSQL advisory lock is what keeps node B out."""
    home_a, home_b = cluster
    source = tmp_path / "shared-source"  # the source folder on shared storage
    source.mkdir()
    for n in range(4):
        write_doc(source, n)
    for home in cluster:
        configure(home, source_folders=[str(source)])
    flag = tmp_path / "paused"
    running = start_paused_cli(home_a, "swap", flag, "reindex", "--full")
    try:
        wait_for(lambda: flag.exists() or running.poll() is not None, 120, "node A's run")
        assert running.poll() is None, running.stderr.read()
        busy = run_cli(home_b, "reindex")
        assert busy.returncode == EXIT_BUSY, busy.stdout + busy.stderr
        # node B's own lock file was free: the database's advisory lock refused it
        assert "another node" in busy.stdout + busy.stderr
    finally:
        kill_group(running)  # its connection dies with it, and the advisory lock with that
    done = run_cli(home_b, "reindex", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "ok" and report["index"]["count"] == 4
