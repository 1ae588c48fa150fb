"""Fixtures for the Q&A tests: a library holding the seed documents and the sample Q&A base."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from library.core import Library
from library.qa.importer import import_file
from tests.db_backends import module_environment
from tests.qa.support import SAMPLE_QA, build_qa_library, ingest_seeds


@pytest.fixture
def docs(lib: Library) -> dict[str, int]:
    """Seeds 000 (interpretation), 003 (宣府办〔2023〕41号) and 004 (高府办发〔2022〕20号)."""
    return ingest_seeds(lib, "000", "003", "004")


@pytest.fixture
def qa_lib(lib: Library, docs: dict[str, int]) -> Library:
    """A private library with the seeds and the sample Q&A base, for tests that change it."""
    report = import_file(lib, SAMPLE_QA, actor="test", write=True)
    assert report.counts["error"] == 0, report.to_dict()
    return lib


@pytest.fixture(scope="module")
def shared_qa_lib(
    tmp_path_factory: pytest.TempPathFactory, module_db: dict[str, str]
) -> Iterator[Library]:
    """One such library per module, for tests that only read (on each backend: `module_db`)."""
    with module_environment(module_db):
        lib = Library.open(tmp_path_factory.mktemp("qa-home"))
        try:
            build_qa_library(lib)
            yield lib
        finally:
            lib.close()


@pytest.fixture(autouse=True)
def _light_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2 with cheap parameters: these tests are about the Q&A base, not hashing cost."""
    from argon2 import PasswordHasher

    from library import users

    monkeypatch.setattr(
        users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    )
