"""How long the command line takes to start: `policylib --help` and one `policylib status set`
on a small real data home made from data/samples, each run as a fresh process (what an operator
or a cron job pays), several times; prints the median and minimum of each.

    .venv/bin/python bench/cli_startup.py [--runs 7] [--label before]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, write_results

POLICYLIB = Path(sys.executable).with_name("policylib")
SAMPLES = ROOT / "data" / "samples"


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one `policylib` process, start to exit. CPU time
    is the steadier figure on a shared machine, where wall time includes waiting for a core.
    A failure stops the bench."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([str(POLICYLIB), *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"policylib {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def _figures(runs: list[tuple[float, float]]) -> dict:
    wall = [w for w, _ in runs]
    cpu = [c for _, c in runs]
    return {
        "median_s": round(statistics.median(wall), 3),
        "min_s": round(min(wall), 3),
        "cpu_median_s": round(statistics.median(cpu), 3),
        "cpu_min_s": round(min(cpu), 3),
        "runs_s": [round(t, 3) for t in wall],
    }


def _first_document(env: dict[str, str]) -> int:
    """The id of one ingested document, found through the CLI's own JSON output."""
    proc = subprocess.run(
        [str(POLICYLIB), "ingest", "--json", str(SAMPLES)],
        env=env,
        capture_output=True,
        text=True,
    )
    report = json.loads(proc.stdout)
    return next(f["document_id"] for f in report["files"] if f.get("document_id"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--label", default="", help="a suffix for the JSON file, e.g. before")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "POLICYLIB_HOME": home}
        doc_id = _first_document(env)
        # Warm the file cache and move off whatever status the sample had, so each timed run changes it.
        _run(["status", "set", str(doc_id), "expired", "--reason", "warm", "--basis", "b"], env)
        help_times = [_run(["--help"], env) for _ in range(args.runs)]
        status_times = []
        for i in range(args.runs):
            new = "valid" if i % 2 == 0 else "repealed"
            cmd = ["status", "set", str(doc_id), new, "--reason", "bench", "--basis", "bench"]
            status_times.append(_run(cmd, env))
    name = "cli_startup" + (f"_{args.label}" if args.label else "")
    write_results(
        name,
        {
            "runs": args.runs,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "help": _figures(help_times),
            "status_set": _figures(status_times),
        },
    )


if __name__ == "__main__":
    main()
