"""Helpers for the Q&A tests: paths of the sample data and seeds, ingesting seeds for real."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from library.core import Library
from library.ingest import ingest_paths

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_QA = ROOT / "data" / "qa" / "sample_qa.csv"
EVAL = ROOT / "data" / "eval" / "qa_eval.json"
SEEDS = ROOT / "data" / "samples"  # byte-identical copies of shared/seeds


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


def build_qa_library(lib: Library) -> dict[str, int]:
    """Seeds 000, 003 and 004 ingested for real, then the sample Q&A base imported, as the demo
    does; returns {seed number: document id}."""
    from library.qa.importer import import_file

    ids = ingest_seeds(lib, "000", "003", "004")
    report = import_file(lib, SAMPLE_QA, actor="test", write=True)
    assert report.counts["error"] == 0, report.to_dict()
    return ids


PASSWORD = "correct horse battery staple"
ACCOUNTS = {"admin": "admin1", "editor": "editor1", "agent": "agent1", "legal": "clerk"}


def add_accounts(lib: Library) -> dict[str, str]:
    """One account per role, all with PASSWORD."""
    from library.users import add_user

    with lib.db.session() as s:
        for role, name in ACCOUNTS.items():
            add_user(s, name, role, PASSWORD, actor="test")
    return ACCOUNTS


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert m, "no csrf token on the page"
    return m.group(1)


def sign_in(client, name: str) -> None:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
