"""Extraction doubts reach the people who check them: the warnings and per-field confidence are
stored, printed by `docs show --json`, and shown on the document page to signed-in staff."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from cli import main
from library import users as users_service
from library.core import Library
from library.users import add_user
from webapp import create_app

PASSWORD = "correct horse battery staple"
PAGE = (
    '<html><head><meta name="SiteName" content="湖州市人民政府">'
    "<title>关于加强城市管理工作的意见_通知公告_湖州市人民政府</title></head><body>"
    "<ul><li><a href='/'>首页</a></li><li><a href='/s'>搜索</a></li><li><a href='/m'>网站地图</a></li></ul>"
    "<div><h1>关于加强城市管理工作的意见</h1><p>各区县人民政府，市级各部门：</p>"
    "<p>为加强城市管理，现提出如下意见，请认真贯彻执行。一是，二是，三是。</p></div>"
    "<div>主办单位：湖州市人民政府办公室　版权所有，未经许可不得转载</div></body></html>"
)


@pytest.fixture
def ingested(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(users_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=8192))
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    result = CliRunner().invoke(main, ["ingest", "--json", str(page)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["files"][0]["document_id"]


def test_docs_show_json_gives_warnings_and_confidence(ingested: int) -> None:
    shown = CliRunner().invoke(main, ["docs", "show", str(ingested), "--json"])
    doc = json.loads(shown.stdout)
    assert doc["title"] == "关于加强城市管理工作的意见"
    assert doc["issuer"] == "湖州市人民政府"
    assert any("网站名称" in w for w in doc["warnings"])
    assert doc["evidence"]["issuer"]["confidence"] <= 0.4
    assert doc["evidence"]["title"]["confidence"] >= 0.85
    assert "网站地图" not in shown.stdout and "版权所有" not in shown.stdout


def test_document_page_shows_warnings_to_staff_only(home: Path, ingested: int) -> None:
    lib = Library.open(home)
    try:
        with lib.db.session() as s:
            add_user(s, "clerk", "legal", PASSWORD, actor="test")
        app = create_app(lib, config={"TESTING": True, "WTF_CSRF_ENABLED": False})
        with app.test_client() as public:
            html = public.get(f"/documents/{ingested}").get_data(as_text=True)
            assert "关于加强城市管理工作的意见" in html
            assert "待核对" not in html
        with app.test_client() as staff:
            resp = staff.post("/login", data={"name": "clerk", "password": PASSWORD})
            assert resp.status_code == 303
            html = staff.get(f"/documents/{ingested}").get_data(as_text=True)
            assert "待核对" in html
            assert re.search(r"<li>[^<]*网站名称[^<]*</li>", html)
            assert "可信度" in html
    finally:
        lib.close()
