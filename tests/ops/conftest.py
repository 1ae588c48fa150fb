"""Fixtures for the operations tests: a source folder named in the config, and a library on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from library.core import Library
from tests.ops.support import configure, write_doc


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    folder.mkdir()
    for n in range(6):
        write_doc(folder, n)
    return folder


@pytest.fixture
def ops_lib(home: Path, source: Path) -> Iterator[Library]:
    """A library whose config names `source` as its source folder."""
    configure(home, source_folders=[str(source)])
    library = Library.open(home)
    yield library
    library.close()
