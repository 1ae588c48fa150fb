"""Search over HTTP on a built library (lawref x1 or a province-sized x10): what issue 17 asks of
the searching half, measured against a real server.

gunicorn (2 workers x 1 thread, the default on 2 cores) serves `home` on 127.0.0.1; then:
- /api/search with 1 client and with 4 clients (the evaluation queries without pause):
  p50/p95/p99 and requests/s;
- each worker's memory after that load (RSS, PSS, private);
- writes: `policylib status set DOC repealed` on a document the queries find, the latency of
  the next queries (the first one after a write pays whatever the write made a worker reopen),
  and how long from the start of the command until the document is gone from default search;
  then the status is set back (measured the same way) so the home is left as it was.
The load average is recorded at the start and at the end: the machine is shared. So are the
machine's speed for Python (`probe_s`) and, on postgres, the server's (`db_probe_ms`),
taken before the server starts.

bench/province.py builds the x1 and x10 homes and calls `measure` on each; by hand:

    .venv/bin/python bench/province_search.py --home PATH [--backend whoosh|postgres]
        [--database-url URL] [--seconds 20]

Targets at x10 (issue 17): Whoosh p95 <= 50 ms (1 client), <= 150 ms (4 clients), first query
after a write <= 300 ms, <= 600 MB per worker; PostgreSQL p95 <= 100 ms / <= 250 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import time
from pathlib import Path

from _common import db_speed_probe, speed_probe, write_results
from _http import (
    POLICYLIB,
    eval_queries,
    get_json,
    load,
    percentiles_ms,
    search_path,
    server_env,
    serving,
    worker_memory_mb,
)

WARM_SECONDS = 20.0
WRITES = 3  # documents repealed (and set back) one after another
QUERIES_AFTER_WRITE = 4  # enough for both workers to have answered one
GONE_TIMEOUT_S = 60.0


def _latency_run(port: int, clients: int, seconds: float) -> dict:
    latencies, errors = load(port, clients, seconds)
    return {
        "clients": clients,
        "requests": len(latencies),
        "failed_requests": len(errors),
        "requests_per_s": round(len(latencies) / seconds, 1),
        **percentiles_ms(latencies),
    }


def _documents_to_write(conn: http.client.HTTPConnection, count: int) -> list[tuple[int, str]]:
    """(id, title) of current documents the evaluation queries find, one per query."""
    found: list[tuple[int, str]] = []
    for query in eval_queries():
        _, body = get_json(conn, search_path(query, type="doc"))
        for hit in (body or {}).get("results", []):
            doc_id = int(str(hit["id"]).removeprefix("doc:"))
            if hit.get("status") == "valid" and doc_id not in {d for d, _ in found}:
                found.append((doc_id, hit["title"]))
                break
        if len(found) == count:
            return found
    raise SystemExit("no current document found by the evaluation queries")


def _shows(conn: http.client.HTTPConnection, doc_id: int, title: str) -> bool:
    _, body = get_json(conn, search_path(title, type="doc"))
    return any(
        int(str(h["id"]).removeprefix("doc:")) == doc_id for h in (body or {}).get("results", [])
    )


def _write_once(
    port: int, env: dict[str, str], doc_id: int, title: str, status: str, queries: list[str]
) -> dict:
    """Set a status, then time the next queries and the wait until search agrees."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    cmd = [POLICYLIB, "status", "set", str(doc_id), status]
    cmd += ["--reason", "基准测试", "--basis", "bench/province_search.py"]
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    command_s = time.perf_counter() - started
    after = []
    for query in queries[:QUERIES_AFTER_WRITE]:
        t = time.perf_counter()
        get_json(conn, search_path(query))
        after.append((time.perf_counter() - t) * 1000)
    want_shown = status == "valid"
    while _shows(conn, doc_id, title) != want_shown:
        if time.perf_counter() - started > GONE_TIMEOUT_S:
            raise SystemExit(f"document {doc_id} still not {status} in search after 60 s")
        time.sleep(0.05)  # polling the server for the change to show, not hiding a race
    return {
        "status": status,
        "command_s": round(command_s, 2),
        "first_query_ms": round(after[0], 1),
        "max_of_next_queries_ms": round(max(after), 1),
        "until_search_agrees_s": round(time.perf_counter() - started, 2),
    }


def _writes(port: int, env: dict[str, str]) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    queries = eval_queries()
    rounds = []
    for n, (doc_id, title) in enumerate(_documents_to_write(conn, WRITES)):
        mix = queries[n * 7 :] + queries[: n * 7]  # not the same cached query every time
        rounds.append(_write_once(port, env, doc_id, title, "repealed", mix))
        rounds.append(_write_once(port, env, doc_id, title, "valid", mix[3:]))
    repeal = [r for r in rounds if r["status"] == "repealed"]
    return {
        "first_query_after_write_ms_median": statistics.median(r["first_query_ms"] for r in rounds),
        "first_query_after_write_ms_max": max(r["max_of_next_queries_ms"] for r in rounds),
        "status_set_until_gone_s_median": statistics.median(
            r["until_search_agrees_s"] for r in repeal
        ),
        "status_set_command_s_median": statistics.median(r["command_s"] for r in rounds),
        "write_rounds": rounds,
    }


def measure(
    home: Path, backend: str, database_url: str | None, seconds: float = 20.0
) -> dict[str, object]:
    """Every figure of the module docstring for one built home (its index must be built)."""
    env = server_env(home, backend, database_url)
    load_before = os.getloadavg()
    probes = {"probe_s": speed_probe()}
    if backend == "postgres" and database_url:
        probes["db_probe_ms"] = db_speed_probe(database_url)
    with serving(env, "gunicorn", workers=2, threads=1) as (port, server):
        # Warm both workers (each query answered by each several times), not measured: a
        # server that has run a while has read the postings of the words people ask about.
        load(port, 2, WARM_SECONDS)
        one = _latency_run(port, 1, seconds)
        four = _latency_run(port, 4, seconds)
        workers = worker_memory_mb(server.pid)
        writes = _writes(port, env)
    return {
        "backend": backend,
        "home": str(home),
        "server": "gunicorn 2 workers x 1 thread",
        "seconds_per_run": seconds,
        "one_client": one,
        "four_clients": four,
        "worker_memory_mb": workers,
        "max_worker_rss_mb": max(w["rss_mb"] for w in workers),
        "max_worker_pss_mb": max(w["pss_mb"] for w in workers),
        **writes,
        **probes,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True, help="a home whose index is built")
    ap.add_argument("--backend", choices=["whoosh", "postgres"], default="whoosh")
    ap.add_argument("--database-url", help="PostgreSQL URL (needed for --backend postgres)")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each latency run")
    ap.add_argument("--label", default="", help="appended to the results file name")
    args = ap.parse_args()
    figures = measure(args.home, args.backend, args.database_url, args.seconds)
    write_results(f"province_search_{args.backend}{args.label}", figures)


if __name__ == "__main__":
    main()
