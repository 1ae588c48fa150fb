"""The shared page frame (base.html): navigation by role, sign-out, the links it promises."""

from __future__ import annotations

import re

import pytest

from library import users
from library.core import Library
from webapp import create_app

PASSWORD = "correct horse battery 9"


@pytest.fixture
def staff_client(lib: Library):
    with lib.db.session() as s:
        for name, role in (("agent1", "agent"), ("legal1", "legal"), ("admin1", "admin")):
            users.add_user(s, name, role, PASSWORD, actor="test")
    app = create_app(lib, config={"TESTING": True, "WTF_CSRF_ENABLED": False})
    return app.test_client()


def nav(html: str) -> str:
    return html.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]


def sign_in(client, name: str) -> None:
    resp = client.post("/login", data={"name": name, "password": PASSWORD})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]


def test_anonymous_visitors_see_public_links_only(staff_client):
    html = staff_client.get("/").get_data(as_text=True)
    links = nav(html)
    assert 'href="/qa"' in links and "首页" in links and "大字模式" in links
    assert "热线工作台" not in links and "法制工作" not in links and "退出" not in links
    assert 'href="/login"' in html
    assert staff_client.get("/qa").status_code == 200


@pytest.mark.parametrize(
    ("name", "present", "absent"),
    [
        ("agent1", ["热线工作台"], ["法制工作"]),
        ("legal1", ["法制工作"], ["热线工作台"]),
        ("admin1", ["热线工作台", "法制工作"], []),
    ],
)
def test_signed_in_staff_see_links_for_their_role(staff_client, name, present, absent):
    sign_in(staff_client, name)
    links = nav(staff_client.get("/search?q=政务").get_data(as_text=True))
    for label in present:
        assert label in links, label
    for label in absent:
        assert label not in links, label
    assert f"退出（{name}）" in links


def test_sign_out_is_a_post_form_carrying_the_csrf_token(lib: Library):
    with lib.db.session() as s:
        users.add_user(s, "agent2", "agent", PASSWORD, actor="test")
    client = create_app(lib, config={"TESTING": True}).test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"name": "agent2", "password": PASSWORD, "csrf_token": token})
    links = nav(client.get("/").get_data(as_text=True))
    form = re.search(
        r'<form class="inline-form" method="post" action="/logout">(.*?)</form>', links, re.S
    )
    assert form, links
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(1)).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert "退出" not in nav(client.get("/").get_data(as_text=True))


def test_an_unexpected_error_is_a_chinese_500_page_and_is_logged(
    lib: Library, caplog: pytest.LogCaptureFixture
):
    app = create_app(lib, config={"TESTING": True})

    def boom() -> str:
        raise RuntimeError("disk on fire")

    app.add_url_rule("/boom", view_func=boom)
    app.add_url_rule("/api/boom", view_func=boom, endpoint="api_boom")
    client = app.test_client()
    page = client.get("/boom")
    assert page.status_code == 500
    html = page.get_data(as_text=True)
    assert "服务器出错了" in html and "disk on fire" not in html
    api = client.get("/api/boom")
    assert api.status_code == 500 and api.get_json()["error"]["code"] == 500
    assert any("RuntimeError" in r.getMessage() for r in caplog.records)
