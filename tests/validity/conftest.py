"""Fixtures for the validity, cleanup, sign-in and audit tests: documents written with the models
(the same rows ingest stores), a way to snapshot the whole state, and signed-in test clients."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from library import indexing
from library import users as users_service
from library.core import Library
from library.models import Document, QAEntry, StatusChange
from library.users import add_user
from parsers.docnumber import normalize_doc_number
from webapp import create_app

PASSWORD = "correct horse battery staple"


def make_doc(lib: Library, title: str, number: str | None = None, **fields: object) -> int:
    """Store one document (and index it) and return its id."""
    text = str(fields.pop("text", f"{title}。本文件用于测试时效性。"))
    with lib.db.session() as s:
        doc = Document(
            title=title,
            doc_number=number,
            doc_number_norm=normalize_doc_number(number) if number else None,
            text=text,
            content_hash=hashlib.sha256((title + text).encode()).hexdigest(),
            **fields,
        )
        s.add(doc)
        s.flush()
        doc_id = doc.id
    indexing.refresh(lib, doc_ids=[doc_id])
    return doc_id


def _row(obj: object) -> dict:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}  # type: ignore[attr-defined]


def snapshot(lib: Library) -> dict:
    """Every column of every document and Q&A entry: what "the identical state" is compared on."""
    with lib.db.session() as s:
        return {
            "documents": [_row(d) for d in s.scalars(select(Document).order_by(Document.id))],
            "qa": [_row(e) for e in s.scalars(select(QAEntry).order_by(QAEntry.id))],
        }


def doc_state(lib: Library, doc_id: int) -> dict:
    with lib.db.session() as s:
        d = s.get(Document, doc_id)
        return {
            "status": d.status,
            "status_since": d.status_since,
            "status_note": d.status_note,
            "superseded_by_id": d.superseded_by_id,
        }


def changes_of(lib: Library, doc_id: int) -> list[StatusChange]:
    with lib.db.session() as s:
        return list(
            s.scalars(
                select(StatusChange)
                .where(StatusChange.document_id == doc_id)
                .order_by(StatusChange.id)
            )
        )


@pytest.fixture(autouse=True)
def _light_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2 with cheap parameters: these tests are about behaviour, not hashing cost."""
    light = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    monkeypatch.setattr(users_service, "_hasher", light)


@pytest.fixture
def new_doc(lib: Library) -> Callable[..., int]:
    return lambda title, number=None, **fields: make_doc(lib, title, number, **fields)


@pytest.fixture
def app(lib: Library) -> Flask:
    """The real app with CSRF on; tests post the token like a browser does."""
    config = {"TESTING": True, "POLICYLIB_TODAY": date(2024, 6, 1)}
    return create_app(lib, config=config)


@pytest.fixture
def accounts(lib: Library) -> dict[str, str]:
    """One account per role, all with PASSWORD."""
    names = {"admin": "admin1", "legal": "clerk", "editor": "editor1", "agent": "agent1"}
    with lib.db.session() as s:
        for role, name in names.items():
            add_user(s, name, role, PASSWORD, actor="test")
    return names


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert m, f"no csrf token on {path}"
    return m.group(1)


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD) -> None:
    token = csrf_token(client)
    resp = client.post("/login", data={"name": name, "password": password, "csrf_token": token})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]


@pytest.fixture
def clerk(app: Flask, accounts: dict[str, str]) -> Iterator[FlaskClient]:
    with app.test_client() as c:
        sign_in(c, accounts["legal"])
        yield c
