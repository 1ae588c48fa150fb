"""Search over HTTP with concurrent clients against a real server on the whole lawref library.

A fresh home gets the corpus ingested and indexed (or --home reuses one), `policylib serve` starts
on 127.0.0.1 as a separate process, and N client threads (default 8) send the evaluation queries of
data/eval/lawref_queries.json to /api/search for a fixed time. Prints requests/s, latency p50/p95/
p99, failed requests and the server's peak memory (VmHWM). Target (issue 3): p95 <= 100 ms with 8
clients on 2 cores.

    .venv/bin/python bench/http_search.py [--clients 8] [--seconds 30] [--home PATH]
        [--backend whoosh|postgres] [--database-url URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from _common import ROOT, require_lawref, write_results

from webapp.server import SERVERS

QUERIES = ROOT / "data" / "eval" / "lawref_queries.json"
POLICYLIB = Path(sys.executable).with_name("policylib")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(home: Path, backend: str, database_url: str | None) -> dict[str, str]:
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


def _prepare(home: Path, env: dict[str, str]) -> float:
    """Ingest the corpus (a batch this size ends in a full index build); the seconds it took."""
    started = time.perf_counter()
    cmd = [POLICYLIB, "ingest", str(require_lawref())]
    subprocess.run(cmd, env=env, check=False, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _wait_ready(port: int, server: subprocess.Popen, deadline_s: float = 120) -> None:
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


def _tree(pid: int) -> list[int]:
    """The server and its worker processes (gunicorn forks)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(c for child in children for c in _tree(int(child)))]


def _memory_mb(pid: int) -> dict[str, float]:
    """Peak RSS (VmHWM) and, at the end, private memory (RssAnon) summed over the server's
    processes. RSS also counts the index files Whoosh maps, once per open searcher; those pages
    live in the page cache once, so RssAnon is the figure to size a machine by."""
    totals = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
    for p in _tree(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            key = line.split(":")[0]
            if key in totals:
                totals[key] += int(line.split()[1])
    return {
        "server_peak_rss_mb": round(totals["VmHWM"] / 1024, 1),
        "server_private_mb_at_end": round(totals["RssAnon"] / 1024, 1),
        "server_mapped_files_mb_at_end": round(totals["RssFile"] / 1024, 1),
    }


def _load(port: int, clients: int, seconds: float) -> tuple[list[float], list]:
    queries = [q["query"] for q in json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--home", type=Path, help="reuse a home that already holds the corpus")
    ap.add_argument("--backend", choices=["whoosh", "postgres"], default="whoosh")
    ap.add_argument("--database-url", help="PostgreSQL URL (needed for --backend postgres)")
    ap.add_argument("--server", choices=SERVERS, default="waitress")
    ap.add_argument("--workers", type=int, default=4, help="waitress: threads; gunicorn: processes")
    ap.add_argument("--threads", type=int, default=1, help="gunicorn: threads per process")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp) / "home"
        env = _env(home, args.backend, args.database_url)
        prepare_s = None if args.home else round(_prepare(home, env), 1)
        port = _free_port()
        cmd = [POLICYLIB, "serve", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--server", args.server, "--workers", str(args.workers)]
        cmd += ["--threads", str(args.threads)] if args.server == "gunicorn" else []
        server = subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_ready(port, server)
            _load(port, args.clients, min(5.0, args.seconds))  # warm caches, not measured
            client_cpu = time.process_time()
            latencies, errors = _load(port, args.clients, args.seconds)
            # the clients share the server's cores: their own CPU is what they took from it
            client_cpu = time.process_time() - client_cpu
            memory = _memory_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100) if len(ms) > 1 else [float("nan")] * 99
    write_results(
        f"http_search_{args.backend}_{args.server}",
        {
            "backend": args.backend,
            "clients": args.clients,
            "server": args.server,
            "server_workers": args.workers,
            "server_threads": args.threads if args.server == "gunicorn" else args.workers,
            "seconds": args.seconds,
            "prepare_seconds": prepare_s,
            "requests": len(ms),
            "failed_requests": len(errors),
            "requests_per_s": round(len(ms) / args.seconds, 1),
            "p50_ms": round(q[49], 1),
            "p95_ms": round(q[94], 1),
            "p99_ms": round(q[98], 1),
            "client_cpu_ms_per_request": round(client_cpu * 1000 / max(len(ms), 1), 2),
            **memory,
            "target_p95_ms": 100,
            "load_average_after": os.getloadavg()[0],
        },
    )


if __name__ == "__main__":
    main()
