"""Fixtures for the intake desk tests: a library with the five seeds ingested from a folder of
their own (named as the weekly run's source folder), and the seeds found by their file names."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from library.core import Library
from library.ingest import ingest_paths
from library.models import Document
from tests.conftest import SAMPLES
from tests.ops.support import configure
from tests.validity.conftest import _light_argon2, accounts, app  # noqa: F401 - fixtures


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    folder.mkdir()
    for path in sorted(SAMPLES.glob("*.txt")):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture
def seeded(home: Path, source: Path) -> Iterator[Library]:
    """The five seeds ingested and indexed; config names their folder for `run_reindex`."""
    configure(home, source_folders=[str(source)])
    lib = Library.open(home)
    report = ingest_paths(lib, [source])
    assert report.counts["added"] == 5, report.to_dict()
    yield lib
    lib.close()


def seed_id(lib: Library, number: str) -> int:
    """The id of seed `number` ("000" … "004"), found by its source file name."""
    with lib.db.session() as s:
        return s.scalar(select(Document.id).where(Document.source_file.startswith(number + "_")))


def doc_of(lib: Library, doc_id: int) -> Document:
    with lib.db.session() as s:
        doc = s.get(Document, doc_id)
        s.expunge(doc)
        return doc
