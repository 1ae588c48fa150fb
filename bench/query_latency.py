"""In-process query latency over the evaluation queries, on the whole lawref index.

Every query of data/eval/lawref_queries.json (and the held-out file) is run through
`SearchIndex.search` (default view, first page of 10, with facets, snippets and highlighting)
after one first pass (timed apart: cold caches, the first query after opening); each is then
timed REPEAT times. Targets: p50 <= 10 ms, p95 <= 50 ms.
The machine's 2 cores are shared, so CPU time per query is printed beside wall time.

    .venv/bin/python bench/query_latency.py [--index PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lawref import DEFAULT_INDEX, ROOT, open_index, write_result  # noqa: E402

from indexer.search import SearchQuery  # noqa: E402

EVAL_FILES = ("lawref_queries.json", "lawref_queries_holdout.json")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    queries = [
        q["query"]
        for name in EVAL_FILES
        for q in json.loads((ROOT / "data" / "eval" / name).read_text(encoding="utf-8"))["queries"]
    ]
    index = open_index(args.index)
    first = []
    for q in queries:  # first pass: cold column and word caches (reported apart), then warm
        w = time.perf_counter()
        index.search(SearchQuery(text=q))
        first.append((time.perf_counter() - w) * 1000)
    wall, cpu = [], []
    for _ in range(args.repeat):
        for q in queries:
            w, c = time.perf_counter(), time.process_time()
            index.search(SearchQuery(text=q))
            wall.append((time.perf_counter() - w) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    index.close()
    result = {
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
    for key, value in result.items():
        print(f"{key:>14}: {value}")
    print(f"{'':>14}  -> {write_result('query_latency', result)}")


if __name__ == "__main__":
    main()
