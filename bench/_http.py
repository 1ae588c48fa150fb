"""Helpers shared by the benches that search over HTTP (`http_search.py`, `province_search.py`):
a `policylib serve` process on 127.0.0.1, client threads sending the evaluation queries to
/api/search, latency percentiles and the server's memory read from /proc.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _common import ROOT

QUERIES = ROOT / "data" / "eval" / "lawref_queries.json"
POLICYLIB = Path(sys.executable).with_name("policylib")


def eval_queries() -> list[str]:
    return [q["query"] for q in json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(home: Path, backend: str, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYLIB_")}
    # every client asks from 127.0.0.1 as fast as it can: the per-client API limit would cap it
    env.update(
        POLICYLIB_HOME=str(home),
        POLICYLIB_SEARCH_BACKEND=backend,
        POLICYLIB_API_RATE_LIMIT="100000 per second",
    )
    if database_url:
        env["POLICYLIB_DATABASE_URL"] = database_url
    return env


def wait_ready(port: int, server: subprocess.Popen, deadline_s: float = 120) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"server exited with code {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)  # polling a starting server, not hiding a race
    sys.exit("server did not become ready in time")


@contextmanager
def serving(
    env: dict[str, str], server: str = "gunicorn", workers: int = 2, threads: int = 1
) -> Iterator[tuple[int, subprocess.Popen]]:
    """`policylib serve` on a free port of 127.0.0.1 until the block ends: (port, process)."""
    port = free_port()
    cmd = [POLICYLIB, "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--server", server, "--workers", str(workers)]
    cmd += ["--threads", str(threads)] if server == "gunicorn" else []
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        yield port, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def get_json(conn: http.client.HTTPConnection, path: str) -> tuple[int, dict | None]:
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    return resp.status, json.loads(body) if resp.status == 200 else None


def search_path(query: str, **params: str) -> str:
    return "/api/search?" + urllib.parse.urlencode({"q": query, **params})


def _client(port: int, queries: list[str], stop_at: float, out: list, errors: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = 0
    while time.monotonic() < stop_at:
        q = urllib.parse.quote(queries[i % len(queries)])
        i += 1
        started = time.perf_counter()
        try:
            conn.request("GET", f"/api/search?q={q}")
            resp = conn.getresponse()
            body = resp.read()
            ok = resp.status == 200 and b'"results"' in body
        except (OSError, http.client.HTTPException) as exc:
            errors.append(repr(exc))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        if ok:
            out.append(time.perf_counter() - started)
        else:
            errors.append(resp.status)


def load(port: int, clients: int, seconds: float) -> tuple[list[float], list]:
    """`clients` threads sending the evaluation queries without pause for `seconds`: the
    latencies (s) of the answered requests and the failures."""
    queries = eval_queries()
    latencies: list[float] = []
    errors: list = []
    stop_at = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_client, args=(port, queries[k:] + queries[:k], stop_at, latencies, errors)
        )
        for k in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


def percentiles_ms(latencies: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100) if len(ms) > 1 else [float("nan")] * 99
    return {"p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1), "p99_ms": round(q[98], 1)}


def process_tree(pid: int) -> list[int]:
    """The server and its worker processes (gunicorn forks)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(c for child in children for c in process_tree(int(child)))]


def memory_mb(pid: int) -> dict[str, float]:
    """Peak RSS (VmHWM) and, at the end, private memory (RssAnon) summed over the server's
    processes. RSS also counts the index files Whoosh maps, once per open searcher; those pages
    live in the page cache once, so RssAnon is the figure to size a machine by."""
    totals = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
    for p in process_tree(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            key = line.split(":")[0]
            if key in totals:
                totals[key] += int(line.split()[1])
    return {
        "server_peak_rss_mb": round(totals["VmHWM"] / 1024, 1),
        "server_private_mb_at_end": round(totals["RssAnon"] / 1024, 1),
        "server_mapped_files_mb_at_end": round(totals["RssFile"] / 1024, 1),
    }


def worker_memory_mb(pid: int) -> list[dict[str, float]]:
    """RSS, PSS (shared pages divided among the processes sharing them) and private memory of
    each worker of the server `pid` (gunicorn's arbiter left out), from smaps_rollup."""
    out = []
    for worker in process_tree(pid)[1:]:
        fields = {}
        for line in Path(f"/proc/{worker}/smaps_rollup").read_text().splitlines()[1:]:
            key, _, value = line.partition(":")
            fields[key] = int(value.split()[0])
        out.append(
            {
                "rss_mb": round(fields["Rss"] / 1024, 1),
                "pss_mb": round(fields["Pss"] / 1024, 1),
                "anon_mb": round(fields["Anonymous"] / 1024, 1),
            }
        )
    return out
