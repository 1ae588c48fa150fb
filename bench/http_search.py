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
import os
import subprocess
import tempfile
import time
from pathlib import Path

from _common import require_lawref, write_results
from _http import POLICYLIB, load, memory_mb, percentiles_ms, server_env, serving

from webapp.server import SERVERS


def _prepare(home: Path, env: dict[str, str]) -> float:
    """Ingest the corpus (a batch this size ends in a full index build); the seconds it took."""
    started = time.perf_counter()
    cmd = [POLICYLIB, "ingest", str(require_lawref())]
    subprocess.run(cmd, env=env, check=False, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


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
        env = server_env(home, args.backend, args.database_url)
        prepare_s = None if args.home else round(_prepare(home, env), 1)
        with serving(env, args.server, args.workers, args.threads) as (port, server):
            load(port, args.clients, min(5.0, args.seconds))  # warm caches, not measured
            client_cpu = time.process_time()
            latencies, errors = load(port, args.clients, args.seconds)
            # the clients share the server's cores: their own CPU is what they took from it
            client_cpu = time.process_time() - client_cpu
            memory = memory_mb(server.pid)
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
            "requests": len(latencies),
            "failed_requests": len(errors),
            "requests_per_s": round(len(latencies) / args.seconds, 1),
            **percentiles_ms(latencies),
            "client_cpu_ms_per_request": round(client_cpu * 1000 / max(len(latencies), 1), 2),
            **memory,
            "target_p95_ms": 100,
            "load_average_after": os.getloadavg()[0],
        },
    )


if __name__ == "__main__":
    main()
