"""Fixtures for the Flask test-client tests: the sample library, the app, a client."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from library.core import Library
from tests.web_sample import Sample, build_sample
from webapp import create_app


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Library, Sample]]:
    """One sample library per module: every test here only reads, so building it once is enough."""
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("POLICYLIB_")]:
            mp.delenv(key)
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
