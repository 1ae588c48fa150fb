"""Helpers shared by the bench scripts: where the corpus is, and how figures are written."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LAWREF = Path(os.environ.get("POLICYLIB_LAWREF", ROOT.parent / "shared" / "corpus" / "lawref"))

sys.path.insert(0, str(ROOT))


def require_lawref() -> Path:
    if not (LAWREF / "metadata.csv").exists():
        sys.exit(f"lawref corpus not found at {LAWREF}; set POLICYLIB_LAWREF")
    return LAWREF


def speed_probe(rounds: int = 3) -> float:
    """CPU seconds of a fixed pure-Python loop (best of `rounds`): how fast this machine runs
    Python right now. The shared VM's speed moves by half within minutes (the same loop took
    0.8 s and 1.5 s an hour apart), and CPU seconds are blind to it, so every figure that
    compares runs taken at different times carries the probe taken beside it."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        total = 0
        for i in range(3_000_000):
            total += i
        best = min(best, time.process_time() - started)
    return round(best, 3)


def db_speed_probe(database_url: str, rounds: int = 3) -> float:
    """Milliseconds the PostgreSQL server takes for a fixed statement (best of `rounds`): the
    server's speed right now. Search there is ranking over buffers in memory, and the server's
    speed moved apart from the Python probe's (the same library answered with p50 55 ms one
    evening and 91 ms the next morning with the Python probe at its fastest both times)."""
    import psycopg

    from indexer.backends.postgres import libpq_url

    best = float("inf")
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        for _ in range(rounds):
            started = time.perf_counter()
            conn.execute("SELECT sum(x) FROM generate_series(1, 1000000) x").fetchone()
            best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def write_results(name: str, figures: dict) -> Path:
    """Print the figures and keep them as JSON beside the others, stamped with the machine."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    figures = {
        "bench": name,
        "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **figures,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    for key, value in figures.items():
        if key not in {"bench", "machine"}:
            print(f"{key}: {value}")
    print(f"written: {path}")
    return path
