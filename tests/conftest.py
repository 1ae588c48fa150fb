"""Shared fixtures: a real data home on disk, a Library on it, and the paths of real input files.

Every test that touches the database runs twice, `[sqlite]` and `[postgresql]`: the `home`
fixture (and `module_db` for module-scoped libraries) is parametrized over both. On PostgreSQL each
test gets a database of its own, created from POLICYLIB_TEST_PG_URL's server and dropped after
it; POLICYLIB_DATABASE_URL points at it, so CLI subprocesses and live servers use it too. Without
a reachable server the `[postgresql]` variants are skipped, saying why. A test for something only
SQLite has (the SQLite backup) is marked `sqlite_only`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from library.core import Library
from tests.db_backends import DB_BACKENDS, clean_environment, fresh_pg_database

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
SHARED = ROOT.parent / "shared"
LAWREF = Path(os.environ.get("POLICYLIB_LAWREF", SHARED / "corpus" / "lawref"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: runs on SQLite only (say why in the test or its module)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`home`, and everything built on it, once per database backend."""
    if "home" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("sqlite_only")
        backends = ["sqlite"] if only else list(DB_BACKENDS)
        metafunc.parametrize("home", backends, indirect=True)


@pytest.fixture
def home(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh data home, its database on SQLite or on a fresh PostgreSQL database."""
    clean_environment(monkeypatch)
    h = tmp_path / "home"
    monkeypatch.setenv("POLICYLIB_HOME", str(h))
    if getattr(request, "param", "sqlite") == "postgresql":
        with fresh_pg_database() as url:
            monkeypatch.setenv("POLICYLIB_DATABASE_URL", url)
            yield h
    else:
        yield h


@pytest.fixture(scope="module", params=DB_BACKENDS)
def module_db(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """Environment for a library shared by a module's tests: nothing on SQLite; on PostgreSQL a
    database of its own and the `postgres` search backend, so the web and API tests run against
    both search backends too."""
    if request.param == "postgresql":
        with fresh_pg_database() as url:
            yield {"POLICYLIB_DATABASE_URL": url, "POLICYLIB_SEARCH_BACKEND": "postgres"}
    else:
        yield {}


def _scan_set(tmp_path_factory: pytest.TempPathFactory, variant: str):  # tests.scans.ScanSet
    from tests.scans import prepare

    if os.environ.get("POLICYLIB_TEST_OCR_DIR"):  # a developer's folder kept between sessions
        return prepare(Path(os.environ["POLICYLIB_TEST_OCR_DIR"]), variant)
    base = tmp_path_factory.getbasetemp()
    return prepare(
        (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "ocr-scans", variant
    )


@pytest.fixture(scope="session")
def ocr_scans(tmp_path_factory: pytest.TempPathFactory):
    """A clean scan of each sample PDF and the red-head notice, read by OCR once per test session
    (the xdist workers share one folder and one OCR cache under the run's base temp)."""
    return _scan_set(tmp_path_factory, "clean")


@pytest.fixture(scope="session")
def ocr_degraded(tmp_path_factory: pytest.TempPathFactory):
    """A poor office scan of each sample PDF, read by OCR once per test session."""
    return _scan_set(tmp_path_factory, "degraded")


@pytest.fixture(scope="session")
def ocr_photos(tmp_path_factory: pytest.TempPathFactory):
    """A PNG of each sample PDF's first page, read by OCR once per test session."""
    return _scan_set(tmp_path_factory, "photo")


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
