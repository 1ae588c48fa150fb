"""Fixtures for the Flask test-client tests: the sample library, the app, a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from library.core import Library
from tests.db_backends import module_environment
from tests.web_sample import Sample, build_sample
from webapp import create_app


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, module_db: dict[str, str]
) -> Iterator[tuple[Library, Sample]]:
    """One sample library per module: every test here only reads, so building it once is enough.
    Once on SQLite with Whoosh, once on PostgreSQL with its search backend (`module_db`)."""
    with module_environment(module_db):
        lib = Library.open(tmp_path_factory.mktemp("home"))
        try:
            yield lib, build_sample(lib)
        finally:
            lib.close()


@pytest.fixture
def sample(site: tuple[Library, Sample]) -> Sample:
    return site[1]


@pytest.fixture
def app(site: tuple[Library, Sample]) -> Flask:
    return create_app(site[0], config={"TESTING": True})


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as c:
        yield c
