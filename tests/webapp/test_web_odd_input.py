"""Odd input the outside review sent: every one is a clear 400 or 404 (or a safe redirect), never a
500, and no redirect leaves the site."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from library.core import Library
from library.models import Document
from library.users import add_user
from tests.validity.conftest import PASSWORD, csrf_token, sign_in
from tests.web_sample import Sample

CHINESE = range(0x4E00, 0xA000)


@pytest.fixture(scope="module")
def staff(site: tuple[Library, Sample]) -> dict[str, str]:
    with site[0].db.session() as s:
        for role, name in (("legal", "clerk"), ("agent", "agent1")):
            add_user(s, name, role, PASSWORD, actor="test")
    return {"legal": "clerk", "agent": "agent1"}


@pytest.fixture
def signed_in(app: Flask, staff: dict[str, str]) -> Iterator[dict[str, FlaskClient]]:
    clients = {}
    for role, name in staff.items():
        clients[role] = app.test_client()
        sign_in(clients[role], name)
    yield clients


def _says_chinese(resp) -> bool:
    return any(ord(ch) in CHINESE for ch in resp.get_data(as_text=True))


@pytest.mark.parametrize(
    "next_target",
    ["/\t/evil.example/", "/\n/evil.example", "/\\evil.example", "//evil", "/\u3000/evil"],
)
def test_display_never_redirects_off_site(client: FlaskClient, next_target: str):
    resp = client.get("/display", query_string={"size": "large", "next": next_target})
    assert resp.status_code == 303
    location = resp.headers["Location"]
    assert not location.startswith("//") and "evil" not in location, location


def test_percent_encoded_tab_in_next_stays_on_site(client: FlaskClient):
    resp = client.get("/display?size=large&next=/%09/evil.example/")
    assert resp.headers["Location"] == "/"


def test_display_keeps_a_local_path_with_its_query(client: FlaskClient):
    resp = client.get("/display", query_string={"next": "/search?q=abc&page=2#top"})
    assert resp.headers["Location"] == "/search?q=abc&page=2#top"


def test_sign_in_never_lands_off_site(app: Flask, staff: dict[str, str]):
    for query in ("next=/%09/evil.example/", "next=/%0D%0A/evil.example", "next=%5C%5Cevil"):
        with app.test_client() as c:
            data = {"name": "clerk", "password": PASSWORD, "csrf_token": csrf_token(c)}
            resp = c.post(f"/login?{query}", data=data)
            assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
            location = resp.headers["Location"]
            assert not location.startswith("//") and "evil" not in location, location
            assert "\n" not in location and "\r" not in location


@pytest.mark.parametrize(
    "path",
    [
        "/documents/²",
        "/documents/²/original",
        "/documents/²/searchable.pdf",
        "/documents/٣/searchable.pdf",
        "/documents/99999999999999999999999/searchable.pdf",
        "/api/documents/²",
        "/documents/٣",
        "/documents/99999999999999999999999",
        "/qa/²",
        "/qa/99999999999999999999999",
        "/qa/9223372036854775808",
    ],
)
def test_odd_ids_are_404(client: FlaskClient, path: str):
    resp = client.get(path)
    assert resp.status_code == 404, path
    assert _says_chinese(resp)


@pytest.mark.parametrize(
    "query",
    [
        "/search?page=²",
        "/search?per_page=²",
        "/documents?page=²",
        "/api/search?per_page=٣",
        "/api/documents?page=99999999999999999999999",
        "/api/qa/search?q=社保&limit=²",
        "/api/qa/search?q=社保&limit=99999999999999999999999",
    ],
)
def test_odd_numbers_in_the_query_are_400(client: FlaskClient, query: str):
    resp = client.get(query)
    assert resp.status_code == 400, query
    assert _says_chinese(resp)


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("legal", "/legal/batches/99999999999999999999999", 404),
        ("legal", "/legal/batches/²", 404),
        ("legal", "/legal/documents/99999999999999999999999/status", 404),
        ("legal", "/legal/documents?page=²", 400),
        ("legal", "/legal/audit?batch=²", 400),
        ("legal", "/legal/audit?from=9999-12-31", 400),
        ("legal", "/legal/exports/changes.csv?to=9999-12-31", 400),
        ("agent", "/hotline/stats?day=9999-12-31", 400),
        ("agent", "/hotline/stats?period=month&day=9999-12-31", 400),
        ("agent", "/hotline/entries/99999999999999999999999", 404),
        ("agent", "/hotline/entries/1?qid=²", 400),
    ],
)
def test_staff_pages_answer_odd_input_with_400_or_404(
    signed_in: dict[str, FlaskClient], role: str, path: str, status: int
):
    resp = signed_in[role].get(path)
    assert resp.status_code == status, (path, resp.status_code)
    assert _says_chinese(resp)


def test_next_with_a_newline_on_the_sign_in_page(app: Flask, staff: dict[str, str]):
    with app.test_client() as c:
        assert c.get("/login?next=/legal%0A").status_code == 200
        data = {"name": "clerk", "password": PASSWORD, "csrf_token": csrf_token(c)}
        resp = c.post("/login?next=/legal%0ASet-Cookie:x=1", data=data)
        assert resp.status_code == 303 and resp.headers["Location"] == "/"


def test_original_whose_file_name_holds_cr_lf(
    client: FlaskClient, site: tuple[Library, Sample], sample: Sample
):
    lib = site[0]
    with lib.db.session() as s:
        main = s.get(Document, sample.doc)
        odd = Document(
            title="文件名带换行的原件",
            text="正文。",
            content_hash="crlf-test",
            source_file="uploads/evil\r\nSet-Cookie: x=1\r\n.txt",
            source_format="txt",
            original_sha256=main.original_sha256,
            original_size=main.original_size,
        )
        s.add(odd)
        s.flush()
        odd_id = odd.id
    resp = client.get(f"/documents/{odd_id}/original")
    assert resp.status_code == 200
    disposition = resp.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert "Set-Cookie" not in resp.headers
    assert "evil" in disposition
