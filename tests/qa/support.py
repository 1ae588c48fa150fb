"""Helpers for the Q&A tests: paths of the sample data and seeds, ingesting seeds for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from library.core import Library
from library.ingest import ingest_paths

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_QA = ROOT / "data" / "qa" / "sample_qa.csv"
EVAL = ROOT / "data" / "eval" / "qa_eval.json"
SEEDS = ROOT.parent / "shared" / "seeds"


def seed(number: str) -> Path:
    found = sorted(SEEDS.glob(f"{number}_*.txt"))
    if not found:
        pytest.skip(f"seed {number} not found in {SEEDS}")
    return found[0]


def ingest_seeds(lib: Library, *numbers: str) -> dict[str, int]:
    """Ingest seeds through the real pipeline; {seed number: document id}."""
    report = ingest_paths(lib, [seed(n) for n in numbers], workers=1)
    ids = {}
    for f in report.files:
        assert f.outcome == "added", f
        ids[Path(f.path).name[:3]] = f.document_id
    return ids
