"""Metadata accuracy on real government files: runs the realdocs scorer and keeps its figures.

    .venv/bin/python bench/realdocs.py [--realdocs DIR]

`../shared/realdocs/score.py` ingests the files into a fresh home with this checkout's
`policylib`, compares title, 文号, issuer, 成文日期 and kind with the hand labels, and writes
per-file results; this script prints the per-field figures and keeps them, with the wrong
extractions, in `bench/results/realdocs.json`. Target: ≥ 95 % on every field.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, write_results

REALDOCS = Path(os.environ.get("POLICYLIB_REALDOCS", ROOT.parent / "shared" / "realdocs"))
TARGET = 0.95


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--realdocs", type=Path, default=REALDOCS, help="the realdocs folder")
    args = ap.parse_args()
    scorer = args.realdocs / "score.py"
    if not scorer.exists():
        sys.exit(
            f"realdocs not found at {args.realdocs}; pass --realdocs or set POLICYLIB_REALDOCS"
        )
    policylib = Path(sys.executable).parent / "policylib"
    with tempfile.TemporaryDirectory(prefix="realdocs-bench-") as tmp:
        out = Path(tmp) / "scores.json"
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, str(scorer), "--policylib", str(policylib), "--json", str(out), "-q"],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        if not out.exists():
            sys.exit(f"the scorer wrote no results (exit {run.returncode}):\n{run.stderr[-2000:]}")
        scores = json.loads(out.read_text(encoding="utf-8"))
    hits, totals = scores["hits"], scores["totals"]
    fields = {f: f"{hits[f]}/{totals[f]} ({hits[f] / totals[f]:.1%})" for f in totals if totals[f]}
    wrong = [
        {"file": name, "field": f, "expected": r["expected"], "got": r["got"]}
        for name, result in scores["results"].items()
        for f, r in result["fields"].items()
        if not r["ok"]
    ]
    below = [f for f in totals if totals[f] and hits[f] / totals[f] < TARGET]
    write_results(
        "realdocs",
        {
            "files": len(scores["results"]),
            "fields": fields,
            "failed_files": len(scores["failed"]),
            "wrong": wrong,
            "seconds": round(seconds, 1),
            "target": f"≥ {TARGET:.0%} every field",
            "met": not below,
        },
    )
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
