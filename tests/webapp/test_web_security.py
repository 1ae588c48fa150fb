"""Web hardening: the public API's rate limit, request size, cache and HTTPS headers, what /healthz
tells whom, the OpenAPI server address, trusted host names, and public queries kept out of the
hotline's statistics."""

from __future__ import annotations

import http.client
import re
import socket
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from waitress import wasyncore
from waitress.server import create_server

from library.core import Library
from library.qa import stats as qa_stats
from library.users import add_user
from tests.validity.conftest import PASSWORD, csrf_token, sign_in
from tests.web_sample import Sample
from webapp import create_app
from webapp.server import waitress_options

WAIT = re.compile(r"请 (\d+) 秒后再试")


@pytest.fixture(scope="module")
def staff(site: tuple[Library, Sample]) -> dict[str, str]:
    names = {"admin": "admin1", "legal": "clerk", "agent": "agent1"}
    with site[0].db.session() as s:
        for role, name in names.items():
            add_user(s, name, role, PASSWORD, actor="test")
    return names


def _app(lib: Library, **config: object) -> Flask:
    return create_app(lib, config={"TESTING": True, **config})


# --- rate limit ------------------------------------------------------------------------------


def test_api_and_search_share_a_per_client_limit_with_retry_after(site: tuple[Library, Sample]):
    app = _app(site[0], API_RATE_LIMIT="3 per minute")
    c = app.test_client()
    assert c.get("/api/search?q=政务").status_code == 200
    assert c.get("/search?q=政务").status_code == 200
    assert c.get("/api/qa/search?q=政务").status_code == 200
    refused = c.get("/api/documents")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    body = refused.get_json()["error"]
    assert WAIT.search(body["message"]), body
    page = c.get("/search?q=政务")
    assert page.status_code == 429 and WAIT.search(page.get_data(as_text=True))
    assert c.get("/").status_code == 200, "the other pages are not limited"


def test_the_limit_is_per_client_behind_a_trusted_proxy(
    site: tuple[Library, Sample], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(site[0].settings, "trusted_proxies", 1)
    app = _app(site[0], API_RATE_LIMIT="2 per minute")
    c = app.test_client()
    one = {"X-Forwarded-For": "203.0.113.1"}
    assert [c.get("/api/search", headers=one).status_code for _ in range(3)] == [200, 200, 429]
    assert c.get("/api/search", headers={"X-Forwarded-For": "203.0.113.2"}).status_code == 200


def test_signed_in_staff_are_not_rate_limited(site: tuple[Library, Sample], staff: dict[str, str]):
    app = _app(site[0], API_RATE_LIMIT="1 per minute")
    c = app.test_client()
    sign_in(c, staff["agent"])
    assert [c.get("/api/search?q=政务").status_code for _ in range(3)] == [200, 200, 200]


def test_the_default_limit_is_generous_but_finite(site: tuple[Library, Sample]):
    limit = site[0].settings.api_rate_limit
    per_minute = int(re.match(r"(\d+) per minute", limit).group(1))
    assert 60 <= per_minute <= 1000, limit


# --- statistics --------------------------------------------------------------------------------


def test_public_queries_cannot_plant_the_top_question(
    site: tuple[Library, Sample], staff: dict[str, str]
):
    lib = site[0]
    c = _app(lib).test_client()
    for _ in range(5):
        assert c.get("/api/qa/search?q=脚本刷出来的问题").status_code == 200
    agent = _app(lib).test_client()
    sign_in(agent, staff["agent"])
    assert agent.get("/hotline/search?q=社保卡丢了怎么办").status_code == 200
    with lib.db.session() as s:
        data = qa_stats.overview(s, "day")
    asked = [r["example"] for r in data["top_queries"]]
    assert "社保卡丢了怎么办" in asked and "脚本刷出来的问题" not in asked
    assert all("脚本" not in g["example"] for g in data["unanswered"])
    assert data["public"]["queries"] >= 5
    assert data["public"]["top_queries"][0]["example"] == "脚本刷出来的问题"
    page = agent.get("/hotline/stats").get_data(as_text=True)
    assert "公众检索（另计）" in page


# --- request size ------------------------------------------------------------------------------


def test_flask_refuses_a_body_over_the_limit_by_its_length(site: tuple[Library, Sample]):
    lib = site[0]
    c = _app(lib).test_client()
    too_big = b"x" * (lib.settings.max_request_bytes + 1)
    resp = c.post("/login", data=too_big, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 413 and "过大" in resp.get_data(as_text=True)


@pytest.fixture
def waitress_url(
    site: tuple[Library, Sample], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, int]]:
    monkeypatch.setattr(site[0].settings, "max_file_mb", 1)
    sockets: dict = {}  # the server's socket map, closed from its loop below
    server = create_server(
        _app(site[0]),
        map=sockets,
        host="127.0.0.1",
        port=0,
        threads=2,
        **waitress_options(site[0]),
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", server.effective_port
    finally:
        # Closed from the server's own loop thread: closing its sockets from here while the loop
        # waits on them made the loop fail with "Bad file descriptor". Once in a full suite the
        # trigger's pipe was already closed when pulled (EBADF; what closed it was not found, the
        # test itself had passed): then the sockets are closed from here, and the loop must
        # still stop.
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(sockets))
        except OSError:
            wasyncore.close_all(sockets)
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive(), "the waitress loop did not stop"


def test_waitress_refuses_an_oversized_body_before_reading_it(waitress_url: tuple[str, int]):
    host, port = waitress_url
    with socket.create_connection((host, port), timeout=10) as sock:
        length = 50 * 1024 * 1024  # announced, never sent
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {length}\r\n\r\n".encode()
        )
        reply = sock.recv(4096).decode("latin-1")
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", "/api/search?q=x")
        assert conn.getresponse().status == 200, "a normal request is still served"
    finally:
        conn.close()


# --- headers -----------------------------------------------------------------------------------


def test_staff_pages_and_exports_are_not_stored(
    site: tuple[Library, Sample], staff: dict[str, str]
):
    app = _app(site[0])
    anonymous = app.test_client()
    assert "no-store" not in anonymous.get("/").headers.get("Cache-Control", "")
    assert anonymous.get("/login").headers["Cache-Control"] == "no-store"
    clerk = app.test_client()
    sign_in(clerk, staff["legal"])
    for path in ("/legal", "/legal/audit", "/legal/exports/catalogue.csv", "/", "/search?q=政务"):
        resp = clerk.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["Cache-Control"] == "no-store", path
    static = clerk.get("/static/site.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_https_switch_sends_hsts_and_secure_cookies(
    site: tuple[Library, Sample], staff: dict[str, str], monkeypatch: pytest.MonkeyPatch
):
    plain = _app(site[0]).test_client()
    assert "Strict-Transport-Security" not in plain.get("/").headers
    monkeypatch.setattr(site[0].settings, "https", True)
    c = _app(site[0]).test_client()
    assert c.get("/").headers["Strict-Transport-Security"].startswith("max-age=31536000")
    token = csrf_token(c, "https://localhost/login")
    resp = c.post(
        "https://localhost/login",
        data={"name": staff["legal"], "password": PASSWORD, "csrf_token": token},
        headers={"Referer": "https://localhost/login"},
    )
    assert resp.status_code == 303
    assert "Secure" in resp.headers["Set-Cookie"]


def test_healthz_tells_the_public_only_the_status(
    site: tuple[Library, Sample], staff: dict[str, str], monkeypatch: pytest.MonkeyPatch
):
    app = _app(site[0])
    anonymous = app.test_client().get("/healthz")
    assert anonymous.get_json() == {"status": "ok"}
    admin = app.test_client()
    sign_in(admin, staff["admin"])
    full = admin.get("/healthz").get_json()
    assert full["status"] == "ok" and "index" in full and "problems" in full
    clerk = app.test_client()
    sign_in(clerk, staff["legal"])
    assert clerk.get("/healthz").get_json() == {"status": "ok"}, "admins only"
    monkeypatch.setattr(site[0].settings, "health_token", "monitoring-secret")
    app = _app(site[0])
    right = app.test_client().get("/healthz", headers={"Authorization": "Bearer monitoring-secret"})
    assert "index" in right.get_json()
    wrong = app.test_client().get("/healthz", headers={"Authorization": "Bearer guess"})
    assert wrong.get_json() == {"status": "ok"}


def test_openapi_never_echoes_the_host_header(
    site: tuple[Library, Sample], monkeypatch: pytest.MonkeyPatch
):
    c = _app(site[0]).test_client()
    spec = c.get("/api/openapi.json", headers={"Host": "evil.example"}).get_json()
    assert spec["servers"] == [{"url": "/"}]
    monkeypatch.setattr(site[0].settings, "public_base_url", "https://gfxwj.example.gov.cn/")
    c = _app(site[0]).test_client()
    spec = c.get("/api/openapi.json", headers={"Host": "evil.example"}).get_json()
    assert spec["servers"] == [{"url": "https://gfxwj.example.gov.cn"}]


def test_trusted_hosts_refuse_other_host_names(
    site: tuple[Library, Sample], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(site[0].settings, "trusted_hosts", ["gfxwj.example.gov.cn"])
    c = _app(site[0]).test_client()
    assert c.get("/", headers={"Host": "gfxwj.example.gov.cn"}).status_code == 200
    assert c.get("/", headers={"Host": "evil.example"}).status_code == 400
