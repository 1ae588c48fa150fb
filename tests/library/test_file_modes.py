"""Secrets on disk: the data home's files are 0600 and its folders 0700, whatever the umask."""

from __future__ import annotations

import configparser
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from library.core import Library
from library.ingest import ingest_paths

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)  # what most shells start services with
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_home_is_private_under_a_permissive_umask(home: Path, permissive_umask: None) -> None:
    lib = Library.open(home)
    try:
        ingest_paths(lib, [SAMPLES / "000_bb9fbcf38e3de303.txt"], workers=1)
        lib.log.info("a line so the log file exists")
        files = [lib.settings.config_path, lib.settings.log_dir / "policylib.log"]
        files += [p for p in lib.settings.originals_dir.rglob("*") if p.is_file()]
        if lib.settings.database_url.startswith("sqlite"):
            db = lib.settings.sqlite_path
            files += [db] + [p for p in (db.with_name(db.name + s) for s in ("-wal", "-shm"))]
        folders = [lib.settings.home, lib.settings.originals_dir, lib.settings.log_dir]
        folders += [p for p in lib.settings.originals_dir.rglob("*") if p.is_dir()]
        assert len(files) >= 3
        assert {str(p): oct(mode(p)) for p in files if mode(p) != 0o600} == {}
        assert {str(p): oct(mode(p)) for p in folders if mode(p) != 0o700} == {}
    finally:
        lib.close()


def test_systemd_units_set_a_private_umask() -> None:
    units = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
    assert units
    for unit in units:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str
        parser.read(unit)
        assert parser["Service"].get("UMask") == "0077", unit.name
