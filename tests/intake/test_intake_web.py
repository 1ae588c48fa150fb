"""The intake desk through the real app with CSRF on: upload and its batch page, the queue and
its counts, the edit page (errors, save, revert, links from either side, confirm), the JSON
twins, strict ids, and what the public document page and search show at once."""

from __future__ import annotations

import io
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from library.core import Library
from tests.intake.conftest import doc_of, seed_id
from tests.intake.hostile import hostile_zip, seeds_zip
from tests.validity.conftest import csrf_token, sign_in

NUMBER = "龙政办发〔2019〕12号"


@pytest.fixture
def desk(app: Flask, accounts: dict[str, str]) -> FlaskClient:
    with app.test_client() as c:
        sign_in(c, accounts["legal"])
        yield c


@pytest.fixture
def seeded_app(seeded: Library, accounts_on) -> Flask:
    return accounts_on(seeded)


@pytest.fixture
def accounts_on():
    from datetime import date

    from library.users import add_user
    from tests.validity.conftest import PASSWORD
    from webapp import create_app

    def build(lib: Library) -> Flask:
        with lib.db.session() as s:
            add_user(s, "clerk", "legal", PASSWORD, actor="test")
            add_user(s, "agent1", "agent", PASSWORD, actor="test")
        config = {"TESTING": True, "POLICYLIB_TODAY": date(2024, 6, 1)}
        return create_app(lib, config=config | {"LOGIN_RATE_LIMIT": "500/minute"})

    return build


@pytest.fixture
def clerk_on_seeds(seeded_app: Flask) -> FlaskClient:
    with seeded_app.test_client() as c:
        sign_in(c, "clerk")
        yield c


def _post(c: FlaskClient, url: str, data: dict, page: str, **kw: object):
    return c.post(url, data=data | {"csrf_token": csrf_token(c, page)}, **kw)


def _wait(c: FlaskClient, url: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        batch = c.get(url, headers={"Accept": "application/json"}).get_json()
        if batch["finished"]:
            return batch
        time.sleep(0.2)
    raise AssertionError(f"batch at {url} did not finish in {seconds} s")


def test_upload_runs_in_the_background_and_lists_every_file(desk: FlaskClient) -> None:
    page = "/legal/intake"
    assert "拖放" in desk.get(page).get_data(as_text=True)
    files = [(io.BytesIO(seeds_zip()), "seeds.zip"), (io.BytesIO(hostile_zip()), "hostile.zip")]
    resp = _post(desk, "/legal/intake/uploads", {"files": files}, page)
    assert resp.status_code == 303
    url = resp.headers["Location"]
    batch = _wait(desk, url)
    assert batch["state"] == "done" and batch["processed"] == batch["total"]
    assert batch["counts"]["added"] >= 6 and batch["counts"]["failed"] == 7
    html = desk.get(url).get_data(as_text=True)
    for name in ("seeds.zip/seeds/001_a5b66b52be1972cf.txt", "hostile.zip/evil-link.txt"):
        assert name in html
    assert "符号链接" in html and "压缩炸弹" in html and "重复" in html
    added = [f for f in batch["files"] if f["outcome"] == "added"]
    assert all(f'/documents/{f["document_id"]}"' in html for f in added)
    recent = desk.get(page + "?format=json").get_json()["recent"]
    assert recent[0]["id"] == batch["id"]


def test_an_empty_upload_is_refused_with_a_message(desk: FlaskClient) -> None:
    resp = _post(desk, "/legal/intake/uploads", {}, "/legal/intake", follow_redirects=True)
    assert "没有收到任何文件" in resp.get_data(as_text=True)
    assert desk.get("/legal/intake/uploads/999").status_code == 404


def test_queue_edit_revert_and_the_public_side(
    clerk_on_seeds: FlaskClient, seeded: Library
) -> None:
    c, doc_id = clerk_on_seeds, seed_id(seeded, "001")
    queue = c.get("/legal/intake/queue?format=json").get_json()
    assert queue["counts"]["no_doc_number"] == 1
    html = c.get("/legal/intake/queue?reason=no_doc_number").get_data(as_text=True)
    assert f"/legal/intake/documents/{doc_id}" in html and "缺少文号" in html
    assert c.get("/legal/intake/queue?reason=nonsense").status_code == 400

    page = f"/legal/intake/documents/{doc_id}"
    view = c.get(page + "?format=json").get_json()
    signed = next(f for f in view["fields"] if f["field"] == "signed_date")
    assert signed["evidence"]["line"] and "2019918" in signed["evidence"]["source"]
    assert any(line["evidence"] for line in view["lines"])
    html = c.get(page).get_data(as_text=True)
    assert "<mark>" in html and "打开原始文件" in html

    bad = _post(c, page, {"doc_number": "第12号", "signed_date": "2019-13-01"}, page)
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "不是可识别的文号" in text and "2019-13-01" in text
    assert doc_of(seeded, doc_id).doc_number is None

    resp = _post(c, page, {"doc_number": NUMBER, "reason": "据原件补录"}, page)
    assert resp.status_code == 303
    assert doc_of(seeded, doc_id).doc_number == NUMBER
    assert doc_id not in [
        i["id"] for i in c.get("/legal/intake/queue?format=json").get_json()["items"]
    ]
    public = c.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "人工核对更正：文号" in public
    assert "信息更正记录" in public and f"文号：— → {NUMBER}" in public and "据原件补录" in public
    assert "clerk" not in public.split("信息更正记录")[1].split("</table>")[0]
    doc_json = c.get(f"/api/documents/{doc_id}").get_json()
    assert [f["field"] for f in doc_json["corrected_fields"]] == ["doc_number"]
    assert "by" not in doc_json["corrected_fields"][0]  # staff names stay inside
    hits = c.get("/search", query_string={"q": NUMBER, "format": "json"}).get_json()["results"]
    assert next(h for h in hits if h["id"] == doc_id)["doc_number"] == NUMBER

    resp = _post(c, f"{page}/revert/doc_number", {}, page)
    assert resp.status_code == 303 and doc_of(seeded, doc_id).doc_number is None
    assert _post(c, f"{page}/revert/nonsense", {}, page).status_code == 404
    history = c.get(page + "?format=json").get_json()["history"]
    assert [h["action"] for h in history] == ["document.correct", "document.revert"]


def test_links_from_either_side_and_confirm(clerk_on_seeds: FlaskClient, seeded: Library) -> None:
    c = clerk_on_seeds
    interp, target = seed_id(seeded, "000"), seed_id(seeded, "003")
    page = f"/legal/intake/documents/{interp}"
    found = c.get(page, query_string={"find": "宣府办〔2023〕41号", "format": "json"}).get_json()
    assert [d["id"] for d in found["candidates"]] == [target]
    assert _post(c, f"{page}/link", {"target": str(target)}, page).status_code == 303
    assert doc_of(seeded, interp).interprets_id == target
    public = c.get(f"/documents/{target}").get_data(as_text=True)
    assert f"/documents/{interp}" in public  # the document page lists it at once
    hits = c.get("/search", query_string={"q": "宣汉县政务公开工作要点", "format": "json"})
    hit = next(h for h in hits.get_json()["results"] if h["id"] == target)
    assert interp in [i["id"] for i in hit["related"]["interpretations"]]

    doc_page = f"/legal/intake/documents/{target}"
    assert _post(c, f"{doc_page}/unlink", {"interp": str(interp)}, doc_page).status_code == 303
    assert doc_of(seeded, interp).interprets_id is None
    other = seed_id(seeded, "002")
    resp = _post(c, f"{doc_page}/link", {"target": str(other)}, doc_page)  # from the document side
    assert resp.status_code == 303 and doc_of(seeded, other).interprets_id == target
    for bad in ("1e3", "-1", "0", " ", "１２"):
        assert _post(c, f"{doc_page}/link", {"target": bad}, doc_page).status_code == 400

    resp = _post(c, f"{page}/check", {"reason": "上级文件未收录"}, page, follow_redirects=True)
    assert "已确认核对" in resp.get_data(as_text=True)
    assert interp not in [
        i["id"] for i in c.get("/legal/intake/queue?format=json").get_json()["items"]
    ]
    assert c.get("/legal/intake/documents/99999").status_code == 404


def test_agents_and_the_anonymous_are_kept_out(seeded_app: Flask, seeded: Library) -> None:
    doc_id = seed_id(seeded, "001")
    pages = ["/legal/intake", "/legal/intake/queue", f"/legal/intake/documents/{doc_id}"]
    with seeded_app.test_client() as anon:
        for url in pages:
            assert anon.get(url, headers={"Accept": "application/json"}).status_code == 401
    with seeded_app.test_client() as agent:
        sign_in(agent, "agent1")
        for url in pages:
            assert agent.get(url).status_code == 403
        token = csrf_token(agent, "/")
        resp = agent.post(
            f"/legal/intake/documents/{doc_id}",
            data={"doc_number": NUMBER, "csrf_token": token},
        )
        assert resp.status_code == 403
    assert doc_of(seeded, doc_id).doc_number is None
