"""In-process query latency over the evaluation queries, on the whole lawref index.

Every query of data/eval/lawref_queries.json (and the held-out file) is run through
`SearchIndex.search` (default view, first page of 10, with facets, snippets and highlighting)
after one first pass (timed apart: cold caches, the first query after opening); each is then
timed REPEAT times. Targets: p50 <= 10 ms, p95 <= 50 ms.
The machine's 2 cores are shared, so CPU time per query is printed beside wall time (for the
postgres backend most of the work is in the database server: its CPU is not in that figure).
Then throughput: CLIENTS processes (default: one per core) each run the queries in a loop for
SECONDS; queries per second is what they completed together, the load average is printed beside.

    .venv/bin/python bench/query_latency.py [--index PATH] [--repeat N] [--clients N]
        [--seconds S] [--backend whoosh|postgres] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lawref import (
    DEFAULT_INDEX,
    ROOT,
    add_backend_options,
    open_index,
    result_name,
    write_result,
)

from indexer.interface import SearchQuery
from library.search_params import doc_numbers_in

EVAL_FILES = ("lawref_queries.json", "lawref_queries_holdout.json")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _client(args: argparse.Namespace, queries: list[str], offset: int) -> int:
    """One throughput client: its own index handle, the queries in a loop until time is up."""
    index = open_index(args.index, backend=args.backend, pg_url=args.pg_url)
    for q in queries:  # warm, as a long-running server is
        index.search(SearchQuery(text=q, doc_numbers=doc_numbers_in(q)))
    done, i = 0, offset
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        q = queries[i % len(queries)]
        index.search(SearchQuery(text=q, doc_numbers=doc_numbers_in(q)))
        done += 1
        i += 1
    index.close()
    return done


def throughput(args: argparse.Namespace, queries: list[str]) -> dict:
    started = time.perf_counter()
    with ProcessPoolExecutor(args.clients) as pool:
        futures = [pool.submit(_client, args, queries, n * 7) for n in range(args.clients)]
        done = sum(f.result() for f in futures)
    elapsed = time.perf_counter() - started
    return {
        "clients": args.clients,
        "seconds": args.seconds,
        # the clients' warm-up is inside `elapsed` but not in `done`: a conservative figure
        "queries_per_second": round(done / min(elapsed, args.seconds), 1),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--clients", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seconds", type=float, default=10.0)
    add_backend_options(ap)
    args = ap.parse_args()
    queries = [
        q["query"]
        for name in EVAL_FILES
        for q in json.loads((ROOT / "data" / "eval" / name).read_text(encoding="utf-8"))["queries"]
    ]
    load_before = [round(x, 2) for x in os.getloadavg()]
    index = open_index(args.index, backend=args.backend, pg_url=args.pg_url)
    first = []
    for q in queries:  # first pass: cold column and word caches (reported apart), then warm
        w = time.perf_counter()
        index.search(SearchQuery(text=q, doc_numbers=doc_numbers_in(q)))
        first.append((time.perf_counter() - w) * 1000)
    wall, cpu = [], []
    for _ in range(args.repeat):
        for q in queries:
            w, c = time.perf_counter(), time.process_time()
            index.search(SearchQuery(text=q, doc_numbers=doc_numbers_in(q)))
            wall.append((time.perf_counter() - w) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    index.close()
    result = {
        "backend": args.backend,
        "load_average_before": load_before,
        "queries": len(queries),
        "runs": len(wall),
        "wall_ms_p50": round(percentile(wall, 50), 2),
        "wall_ms_p95": round(percentile(wall, 95), 2),
        "wall_ms_max": round(max(wall), 2),
        "wall_ms_mean": round(statistics.mean(wall), 2),
        "cpu_ms_p50": round(percentile(cpu, 50), 2),
        "cpu_ms_p95": round(percentile(cpu, 95), 2),
        "first_pass_ms_p50": round(percentile(first, 50), 2),
        "first_pass_ms_p95": round(percentile(first, 95), 2),
        "target_ms_p50": 10,
        "target_ms_p95": 50,
    }
    if args.clients > 0:
        result["throughput"] = throughput(args, queries)
    for key, value in result.items():
        print(f"{key:>14}: {value}")
    print(f"{'':>14}  -> {write_result(result_name('query_latency', args.backend), result)}")


if __name__ == "__main__":
    main()
