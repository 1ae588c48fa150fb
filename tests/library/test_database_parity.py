"""Where PostgreSQL and SQLite behave differently, the library behaves the same on both:
case in the clerk's document finder, NUL characters in what people type or import, and the order
of lists read without a natural order."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import select

from library import indexing
from library import users as users_service
from library.core import Library
from library.document_view import document_view
from library.models import Document, QAEntry, StatusChange
from library.qa.importer import import_file
from library.users import add_user
from library.validity.status import change_status
from webapp import create_app

PASSWORD = "correct horse battery staple"


def _doc(lib: Library, title: str, number: str | None = None) -> int:
    with lib.db.session() as s:
        doc = Document(
            title=title,
            doc_number=number,
            text=f"{title}。正文。",
            content_hash=hashlib.sha256(title.encode()).hexdigest(),
        )
        s.add(doc)
        s.flush()
        doc_id = doc.id
    indexing.refresh(lib, doc_ids=[doc_id])
    return doc_id


def _clerk(lib: Library, monkeypatch) -> object:
    monkeypatch.setattr(
        users_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    )
    with lib.db.session() as s:
        add_user(s, "clerk", "legal", PASSWORD, actor="test")
    client = create_app(lib, config={"TESTING": True}).test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    resp = client.post("/login", data={"name": "clerk", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 303
    return client


def test_the_clerks_finder_ignores_case(lib: Library, monkeypatch) -> None:
    wanted = _doc(lib, "关于推广GB/T 39735标准的通知", "宣府办〔2023〕7号")
    _doc(lib, "关于其他事项的通知")
    client = _clerk(lib, monkeypatch)
    for q in ("gb/t", "GB/T", "Gb/T 39735"):
        found = client.get("/legal/documents?format=json&q=" + q).get_json()
        assert [d["id"] for d in found["documents"]] == [wanted], q


def test_nul_characters_typed_or_imported_are_dropped_not_an_error(
    lib: Library, tmp_path: Path
) -> None:
    """PostgreSQL text cannot hold NUL (SQLite can): what a form or a sheet carries is stored
    without it on both, instead of failing on one."""
    doc_id = _doc(lib, "关于加强政务公开工作的通知")
    change_status(lib, doc_id, "repealed", actor="clerk", reason="清理\x00废止", basis="决定\x00")
    with lib.db.session() as s:
        change = s.scalars(select(StatusChange).where(StatusChange.document_id == doc_id)).one()
        assert (change.reason, change.basis_title or change.basis_number) == ("清理废止", "决定")
    item = {
        "external_id": "NUL-1",
        "question": "空字符\x00问题怎么办？",
        "answer": "答：\x00去掉即可。",
    }
    sheet = tmp_path / "qa.json"  # JSON carries "\u0000"; a CSV with NUL is refused as binary
    sheet.write_text(json.dumps([item | {"status": "published"}]), encoding="utf-8")
    report = import_file(lib, sheet, actor="test", write=True)
    assert report.counts["new"] == 1, report.to_dict()
    with lib.db.session() as s:
        entry = s.scalars(select(QAEntry).where(QAEntry.external_id == "NUL-1")).one()
        assert (entry.question, entry.answer) == ("空字符问题怎么办？", "答：去掉即可。")


def test_a_documents_history_is_in_the_order_it_happened(lib: Library) -> None:
    """Several changes in one second still list in order (PostgreSQL returns ties in any order)."""
    doc_id = _doc(lib, "关于历史顺序的通知")
    steps = ["expired", "valid", "repealed", "valid", "expired"]
    for n, status in enumerate(steps):
        change_status(
            lib,
            doc_id,
            status,
            actor="clerk",
            reason=f"第{n}步",
            basis="决定",
            since=date(2024, 1, 1),
        )
    history = document_view(lib, doc_id)["status_history"]
    assert [h["new_status"] for h in history] == steps
