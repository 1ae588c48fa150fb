"""The console, the editors' pages, the public Q&A pages and the /api/qa contract (Flask client)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from library.core import Library
from library.models import QAEntry, QAEvent, QueryLog
from tests.qa.support import add_accounts, csrf_from, sign_in
from webapp import create_app


@pytest.fixture
def app(qa_lib: Library) -> Flask:
    add_accounts(qa_lib)
    return create_app(qa_lib, config={"TESTING": True})


def _client(app: Flask, account: str | None) -> Iterator[FlaskClient]:
    with app.test_client() as c:
        if account:
            sign_in(c, account)
        yield c


@pytest.fixture
def agent(app: Flask) -> Iterator[FlaskClient]:
    yield from _client(app, "agent1")


@pytest.fixture
def editor(app: Flask) -> Iterator[FlaskClient]:
    yield from _client(app, "editor1")


@pytest.fixture
def anon(app: Flask) -> Iterator[FlaskClient]:
    yield from _client(app, None)


def _entry_id(lib: Library, external_id: str) -> int:
    with lib.db.session() as s:
        return s.scalar(select(QAEntry.id).where(QAEntry.external_id == external_id))


def test_api_search_contract(anon: FlaskClient) -> None:
    resp = anon.get("/api/qa/search", query_string={"q": "生三胎有补贴吗"})
    assert resp.status_code == 200
    results = resp.get_json()["results"]
    first = results[0]
    assert {"id", "external_id", "question", "answer", "status", "topic", "basis", "score"} <= set(
        first
    )
    assert first["external_id"] == "SAMPLE-SY-001"
    assert all(r["status"] == "published" for r in results)
    assert isinstance(first["basis"], list) and {"ref", "document_id", "status"} <= set(
        first["basis"][0]
    )
    assert "owner" not in first and "review_reason" not in first
    assert anon.get("/api/qa/search", query_string={"q": ""}).get_json()["results"] == []
    assert anon.get("/api/qa/search", query_string={"q": "x" * 201}).status_code == 400
    assert anon.get("/api/qa/search", query_string={"q": "低保", "limit": "abc"}).status_code == 400


def test_api_export_etag_and_304(anon: FlaskClient, qa_lib: Library) -> None:
    resp = anon.get("/api/qa/export")
    assert resp.status_code == 200 and resp.get_json()["count"] == 56
    etag = resp.headers["ETag"]
    again = anon.get("/api/qa/export", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    csv_resp = anon.get("/api/qa/export?format=csv")
    assert csv_resp.mimetype == "text/csv" and csv_resp.headers["ETag"] != etag
    assert anon.get("/api/qa/export?format=xlsx").data[:2] == b"PK"
    assert anon.get("/api/qa/export?format=pdf").status_code == 400
    from library.qa.workflow import commit_and_index, retire

    entry_id = _entry_id(qa_lib, "SAMPLE-SY-001")
    commit_and_index(qa_lib, lambda s: retire(s, entry_id, actor="t", reason="停用"))
    changed = anon.get("/api/qa/export", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["count"] == 55


def test_public_pages(anon: FlaskClient, qa_lib: Library) -> None:
    index = anon.get("/qa")
    assert index.status_code == 200
    html = index.get_data(as_text=True)
    assert "政策问答" in html and "生育三孩可以享受哪些支持政策？" in html
    topics = anon.get("/qa?format=json").get_json()["topics"]
    assert topics[0]["topic"] == "生育"
    entry_id = _entry_id(qa_lib, "SAMPLE-ZW-002")
    page = anon.get(f"/qa/{entry_id}").get_data(as_text=True)
    assert "2023年全县政务公开工作要点" in page and "现行有效" in page
    from library.qa.workflow import commit_and_index, flag_for_review

    commit_and_index(qa_lib, lambda s: flag_for_review(s, entry_id, actor="t", reason="核实"))
    assert anon.get(f"/qa/{entry_id}").status_code == 404
    assert anon.get("/qa/999999").status_code == 404


def test_console_needs_an_agent(anon: FlaskClient, app: Flask) -> None:
    resp = anon.get("/hotline")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert anon.get("/hotline/search?q=低保").status_code in (302, 401)
    with app.test_client() as clerk:
        sign_in(clerk, "clerk")
        assert clerk.get("/hotline").status_code == 403


def test_console_search_logs_one_query_per_question(agent: FlaskClient, qa_lib: Library) -> None:
    page = agent.get("/hotline")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "autofocus" in html and "hotline.js" in html
    assert "<script>" not in html  # no inline script: the CSP forbids it
    for typed in ["社", "社保", "社保卡", "社保卡丢", "社保卡丢了"]:
        data = agent.get("/hotline/search", query_string={"q": typed}).get_json()
    assert data["results"][0]["external_id"] == "SAMPLE-SB-002"
    assert data["results"][0]["last_reviewed_on"]
    with qa_lib.db.session() as s:
        rows = list(s.scalars(select(QueryLog)))
    assert [(r.query, r.user, r.channel) for r in rows] == [("社保卡丢了", "agent1", "hotline")]
    # Opening and copying are recorded against that query; without the CSRF token nothing is.
    token = csrf_from(html)
    body = {"event": "open", "entry_id": data["results"][0]["id"], "query_id": data["query_id"]}
    assert agent.post("/hotline/events", json=body).status_code == 400
    assert (
        agent.post("/hotline/events", json=body, headers={"X-CSRFToken": token}).status_code == 200
    )
    body["event"] = "copy"
    agent.post("/hotline/events", json=body, headers={"X-CSRFToken": token})
    body["event"] = "explode"
    assert (
        agent.post("/hotline/events", json=body, headers={"X-CSRFToken": token}).status_code == 400
    )
    with qa_lib.db.session() as s:
        events = [(e.event, e.query_id) for e in s.scalars(select(QAEvent))]
    assert events == [("open", data["query_id"]), ("copy", data["query_id"])]


def test_console_without_script_and_review_toggle(agent: FlaskClient, qa_lib: Library) -> None:
    entry_id = _entry_id(qa_lib, "SAMPLE-SB-002")
    from library.qa.workflow import commit_and_index, flag_for_review

    commit_and_index(qa_lib, lambda s: flag_for_review(s, entry_id, actor="t", reason="标准调整"))
    plain = agent.get("/hotline", query_string={"q": "社保卡丢了怎么补"}).get_data(as_text=True)
    assert "社会保障卡如何申领和补换？" not in plain
    shown = agent.get("/hotline", query_string={"q": "社保卡丢了怎么补", "review": "1"})
    html = shown.get_data(as_text=True)
    assert "社会保障卡如何申领和补换？" in html and "待复核" in html
    detail = agent.get(f"/hotline/entries/{entry_id}?qid=1").get_data(as_text=True)
    assert "此答案待复核" in detail and "标准调整" in detail
    token = csrf_from(detail)
    resp = agent.post(
        "/hotline/events",
        data={"event": "solved", "entry_id": entry_id, "query_id": "", "csrf_token": token},
    )
    assert resp.status_code == 303
    with qa_lib.db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(QAEvent).where(QAEvent.event == "solved"))
            == 1
        )


def test_agents_cannot_edit(agent: FlaskClient, qa_lib: Library) -> None:
    entry_id = _entry_id(qa_lib, "SAMPLE-SB-002")
    token = csrf_from(agent.get("/hotline").get_data(as_text=True))
    assert agent.get("/hotline/review").status_code == 403
    assert agent.get("/hotline/entries/new").status_code == 403
    resp = agent.post(
        f"/hotline/entries/{entry_id}/retire", data={"reason": "x", "csrf_token": token}
    )
    assert resp.status_code == 403


def test_every_mutating_route_is_guarded(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("hotline.", "qa_api.")) and rule.methods & {
            "POST",
            "PUT",
            "DELETE",
        }:
            view = app.view_functions[rule.endpoint]
            assert getattr(view, "required_roles", None), rule.rule


def test_editor_writes_reviews_and_publishes(editor: FlaskClient, qa_lib: Library) -> None:
    form_page = editor.get("/hotline/entries/new").get_data(as_text=True)
    token = csrf_from(form_page)
    resp = editor.post(
        "/hotline/entries/new",
        data={
            "csrf_token": token,
            "question": "养犬登记如何办理？",
            "similar": "狗证怎么办\n养狗要登记吗",
            "answer": "携带犬只免疫证明到公安机关办理养犬登记。",
            "topic": "养犬管理",
            "bases": "宣府办〔2023〕41号",
        },
    )
    assert resp.status_code == 303
    entry_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    with qa_lib.db.session() as s:
        entry = s.get(QAEntry, entry_id)
        assert entry.status == "draft" and entry.similar == ["狗证怎么办", "养狗要登记吗"]
        assert entry.owner == "editor1"
    found = editor.get("/api/qa/search?q=狗证怎么办").get_json()["results"]
    assert entry_id not in [r["id"] for r in found]  # a draft is not public
    review = editor.get("/hotline/review?format=json").get_json()["queue"]
    assert entry_id in [e["id"] for e in review]
    resp = editor.post(
        f"/hotline/entries/{entry_id}/publish", data={"csrf_token": token, "reason": "已核"}
    )
    assert resp.status_code == 303
    assert editor.get("/api/qa/search?q=狗证怎么办").get_json()["results"][0]["id"] == entry_id
    # A stale edit (someone else saved version 2 meanwhile) is refused with a message.
    edit = editor.get(f"/hotline/entries/{entry_id}/edit").get_data(as_text=True)
    assert "养犬登记如何办理？" in edit
    stale = {
        "csrf_token": token,
        "question": "养犬登记如何办理？",
        "answer": "新答案。",
        "version": "1",
    }
    resp = editor.post(f"/hotline/entries/{entry_id}/edit", data=stale)
    assert resp.status_code == 400 and "已被他人修改" in resp.get_data(as_text=True)
    resp = editor.post(
        f"/hotline/entries/{entry_id}/retire", data={"csrf_token": token, "reason": ""}
    )
    assert resp.status_code == 303
    with qa_lib.db.session() as s:
        assert s.get(QAEntry, entry_id).status == "published"  # a reason is required
    page = editor.get(f"/hotline/entries/{entry_id}").get_data(as_text=True)
    assert "版本历史" in page


def test_editor_import_preview_then_apply(editor: FlaskClient, qa_lib: Library) -> None:
    token = csrf_from(editor.get("/hotline/import").get_data(as_text=True))
    sheet = "编号,问题,答案,分类\nW1,路灯坏了找谁？,向城市管理部门反映。,市政\nW2,,没有问题,市政\n"
    resp = editor.post(
        "/hotline/import",
        data={"csrf_token": token, "sheet": (io.BytesIO(sheet.encode("utf-8")), "kb.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    preview_url = resp.headers["Location"]
    data = editor.get(preview_url + "?format=json").get_json()
    assert data["counts"] == {"new": 1, "update": 0, "unchanged": 0, "error": 1}
    with qa_lib.db.session() as s:
        before = s.scalar(select(func.count()).select_from(QAEntry))
    assert "缺少问题" in editor.get(preview_url).get_data(as_text=True)
    with qa_lib.db.session() as s:
        assert s.scalar(select(func.count()).select_from(QAEntry)) == before  # preview only
    applied = editor.post(preview_url + "/apply", data={"csrf_token": token})
    assert applied.status_code == 200 and "导入完成" in applied.get_data(as_text=True)
    with qa_lib.db.session() as s:
        assert s.scalar(select(func.count()).select_from(QAEntry)) == before + 1
    bad = editor.post(
        "/hotline/import",
        data={"csrf_token": token, "sheet": (io.BytesIO(b""), "empty.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400


def test_stats_page(agent: FlaskClient, qa_lib: Library) -> None:
    token = csrf_from(agent.get("/hotline").get_data(as_text=True))
    data = agent.get("/hotline/search?q=公积金怎么取出来").get_json()
    agent.post(
        "/hotline/events",
        json={"event": "open", "entry_id": data["results"][0]["id"], "query_id": data["query_id"]},
        headers={"X-CSRFToken": token},
    )
    agent.get("/hotline/search?q=养蜂补贴怎么领")
    stats = agent.get("/hotline/stats?period=day&format=json").get_json()
    assert stats["totals"]["queries"] == 2
    assert stats["top_questions"][0]["question"] == "住房公积金在哪些情形下可以提取？"
    assert [g["example"] for g in stats["unanswered"]] == ["养蜂补贴怎么领"]
    html = agent.get("/hotline/stats?period=day").get_data(as_text=True)
    assert "<svg" in html and "住房公积金在哪些情形下可以提取？" in html
    assert json.dumps(stats, ensure_ascii=False)


def test_api_matches_its_openapi_description(anon: FlaskClient) -> None:
    """With real entries (the shared contract test runs on a library without Q&A)."""
    from pathlib import Path

    from openapi_schema_validator import OAS31Validator

    spec = json.loads(
        (Path(__file__).resolve().parents[2] / "webapp" / "openapi.json").read_text("utf-8")
    )

    def check(url: str, path: str, status: str) -> None:
        resp = anon.get(url)
        assert str(resp.status_code) == status, url
        schema = spec["paths"][path]["get"]["responses"][status]["content"]["application/json"]
        OAS31Validator({"components": spec["components"], **schema["schema"]}).validate(
            resp.get_json()
        )

    check("/api/qa/search?q=退伍回来找工作有啥政策", "/api/qa/search", "200")
    check("/api/qa/search?q=低保&limit=99", "/api/qa/search", "400")
    check("/api/qa/export", "/api/qa/export", "200")
    check("/api/qa/export?format=doc", "/api/qa/export", "400")
