"""Fixtures for the Flask test-client tests: the sample library, the app, a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from library.core import Library
from tests.web_sample import Sample, build_sample
from webapp import create_app


@pytest.fixture
def sample(lib: Library) -> Sample:
    return build_sample(lib)


@pytest.fixture
def app(lib: Library) -> Flask:
    return create_app(lib, config={"TESTING": True})


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as c:
        yield c
