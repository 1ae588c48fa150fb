"""Every mutating route of the whole app refuses the anonymous, the wrong role, and a POST without
a valid CSRF token. Routes are enumerated from the url_map, so new ones are covered automatically:
a new POST route fails here until it is guarded with `require_role` (or listed below with why)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from library import cleanup
from library.models import ROLES, AuditEntry
from library.validity.proposals import propose_replacements
from tests.validity.cleanup_sheet import as_csv, build_library
from tests.validity.conftest import csrf_token, sign_in, snapshot

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Endpoints that take a POST from someone not yet signed in, or from any signed-in account.
OPEN_POSTS = {
    "auth.login": "signing in is how one gets a role",
    "auth.logout": "any signed-in account may end its own session (login_required)",
}
# Form fields that would make each mutation go through if the guard were missing.
FORM = {
    "status": "repealed",
    "basis": "宣府发〔2024〕12号",
    "reason": "测试",
    "confirmed": "1",
    "name": "admin1",
    "password": "x",
}


def required_roles(app: Flask, endpoint: str) -> frozenset[str] | None:
    fn = app.view_functions[endpoint]
    while fn is not None:
        if hasattr(fn, "required_roles"):
            return fn.required_roles
        fn = getattr(fn, "__wrapped__", None)
    return None


@pytest.fixture
def world(lib, app):
    """Rows for every route argument to point at, so an unguarded route would change something."""
    built = build_library(lib)
    ids = built.ids
    with lib.db.session() as s:
        from library.models import Document

        newer = s.get(Document, ids["F_new"])
        propose_replacements(s, newer)
    batch = cleanup.apply_sheet(lib, as_csv(), actor="setup", filename="s.csv").batch_id
    token = cleanup.save_upload(lib, as_csv(), filename="s.csv", basis="b", actor="setup")
    values = {
        "doc_id": ids["H"],
        "batch_id": batch,
        "proposal_id": 1,
        "token": token,
        "raw_id": str(ids["H"]),
        "fmt": "csv",
        "filename": "site.css",
    }
    return values


def _urls(app: Flask, values: dict, methods: set[str]) -> list[tuple[str, str, str]]:
    adapter = app.url_map.bind("localhost")
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & methods):
            args = {a: values.get(a, "1") for a in rule.arguments}
            out.append((rule.endpoint, method, adapter.build(rule.endpoint, args, method=method)))
    return out


def _state(lib) -> tuple:
    with lib.db.session() as s:
        audit_rows = s.scalar(select(func.count()).select_from(AuditEntry))
    return snapshot(lib), audit_rows


def test_every_mutating_route_is_guarded_by_roles(app):
    endpoints = {e for e, _, _ in _urls(app, {}, MUTATING)}
    assert {"legal.status_submit", "legal.cleanup_apply", "legal.batch_undo"} <= endpoints
    unguarded = [e for e in endpoints - OPEN_POSTS.keys() if required_roles(app, e) is None]
    assert unguarded == [], f"mutating routes without require_role: {unguarded}"


def test_anonymous_requests_are_refused(app, lib, world):
    before = _state(lib)
    with app.test_client() as c:
        token = csrf_token(c)
        for endpoint, method, url in _urls(app, world, MUTATING):
            if endpoint == "auth.login":
                continue
            resp = c.open(url, method=method, data=FORM | {"csrf_token": token})
            assert resp.status_code in (401, 302), (endpoint, resp.status_code)
            if resp.status_code == 302:
                assert resp.headers["Location"].startswith("/login"), endpoint
    assert _state(lib) == before


def test_wrong_roles_are_refused(app, lib, accounts, world):
    before = _state(lib)
    checked = 0
    for endpoint, method, url in _urls(app, world, MUTATING):
        roles = required_roles(app, endpoint)
        if roles is None:
            continue
        for role in sorted(set(ROLES) - roles - {"admin"}):
            with app.test_client() as c:
                sign_in(c, accounts[role])
                token = csrf_token(c)
                resp = c.open(url, method=method, data=FORM | {"csrf_token": token})
                assert resp.status_code == 403, (endpoint, role, resp.status_code)
                checked += 1
    assert checked >= 6 * 2  # the six legal mutations, each tried as editor and as agent
    assert _state(lib) == before


def test_posts_without_a_valid_csrf_token_are_refused(app, lib, accounts, world):
    before = _state(lib)
    with app.test_client() as c:
        sign_in(c, accounts["admin"])
        for endpoint, method, url in _urls(app, world, MUTATING):
            for data in (FORM, FORM | {"csrf_token": "forged"}):
                resp = c.open(url, method=method, data=data)
                assert resp.status_code == 400, (endpoint, resp.status_code)
                assert "安全令牌" in resp.get_data(as_text=True)
            resp = c.open(url, method=method, data=FORM, headers={"X-CSRFToken": "forged"})
            assert resp.status_code == 400, endpoint
    assert _state(lib) == before


def test_guarded_pages_are_closed_to_the_anonymous_and_other_roles(app, accounts, world):
    pages = [(e, u) for e, _, u in _urls(app, world, {"GET"}) if required_roles(app, e) is not None]
    assert len([e for e, _ in pages if e.startswith("legal.")]) >= 10
    with app.test_client() as c:
        for endpoint, url in pages:
            resp = c.get(url)
            assert resp.status_code == 302 and resp.headers["Location"].startswith("/login"), (
                endpoint
            )
            assert c.get(url, headers={"Accept": "application/json"}).status_code == 401, endpoint
    for role in sorted(set(ROLES) - {"admin"}):
        with app.test_client() as c:
            sign_in(c, accounts[role])
            for endpoint, url in pages:
                if role not in required_roles(app, endpoint):
                    assert c.get(url).status_code == 403, (endpoint, role)
