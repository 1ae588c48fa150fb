"""Shared fixtures: a real data home on disk, a Library on it, and the paths of real input files."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from library.core import Library

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
LAWREF = Path(os.environ.get("POLICYLIB_LAWREF", SHARED / "corpus" / "lawref"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data home; POLICYLIB_* variables from the developer's shell must not leak in."""
    for key in list(os.environ):
        if key.startswith("POLICYLIB_") and key not in {
            "POLICYLIB_TEST_PG_URL",
            "POLICYLIB_LAWREF",
        }:
            monkeypatch.delenv(key)
    h = tmp_path / "home"
    monkeypatch.setenv("POLICYLIB_HOME", str(h))
    return h


@pytest.fixture
def lib(home: Path) -> Iterator[Library]:
    library = Library.open(home)
    yield library
    library.close()


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """A private copy of data/samples, so tests may add or change files freely."""
    dest = tmp_path / "samples"
    shutil.copytree(SAMPLES, dest)
    return dest


@pytest.fixture(scope="session")
def lawref() -> Path:
    if not (LAWREF / "metadata.csv").exists():
        pytest.skip(f"lawref corpus not found at {LAWREF} (set POLICYLIB_LAWREF)")
    return LAWREF
