"""Accounts and sign-in: argon2 hashes, roles, disabling, resets, the rate limit, and messages that
never say which half was wrong."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli import main
from library import signin_throttle
from library.models import AuditEntry, User
from library.signin_throttle import CLIENT
from library.users import UserError, add_user, authenticate, reset_password, set_disabled
from tests.validity.conftest import PASSWORD, csrf_token, sign_in
from webapp import create_app


def test_users_cli_add_list_disable_reset(lib, home):
    runner = CliRunner()
    base = ["--home", str(home), "users"]
    result = runner.invoke(main, [*base, "add", "clerk", "--role", "legal"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(main, [*base, "list", "--json"]).output)
    assert [(u["name"], u["role"], u["disabled"]) for u in listed] == [("clerk", "legal", False)]
    with lib.db.session() as s:
        user = s.scalars(select(User)).one()
        assert user.password_hash.startswith("$argon2")
        assert PASSWORD not in user.password_hash
        assert authenticate(s, "clerk", PASSWORD) is not None

    dup = runner.invoke(main, [*base, "add", "clerk", "--role", "agent"], input=PASSWORD + "\n")
    assert dup.exit_code == 1 and "已存在" in dup.output
    short = runner.invoke(main, [*base, "add", "x2", "--role", "agent"], input="short\n")
    assert short.exit_code == 1 and "至少" in short.output

    assert runner.invoke(main, [*base, "disable", "clerk"]).exit_code == 0
    with lib.db.session() as s:
        assert authenticate(s, "clerk", PASSWORD) is None
    assert runner.invoke(main, [*base, "enable", "clerk"]).exit_code == 0
    new = "another long passphrase"
    assert runner.invoke(main, [*base, "reset-password", "clerk"], input=new + "\n").exit_code == 0
    with lib.db.session() as s:
        assert authenticate(s, "clerk", PASSWORD) is None
        assert authenticate(s, "clerk", new) is not None
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "user")).all()
    assert actions == ["user.add", "user.disable", "user.enable", "user.reset_password"]


def test_unknown_role_is_refused(lib):
    with lib.db.session() as s, pytest.raises(UserError, match="未知的角色"):
        add_user(s, "x1", "superuser", PASSWORD, actor="t")


def _failed_login_text(client, name: str, password: str) -> str:
    resp = client.post(
        "/login", data={"name": name, "password": password, "csrf_token": csrf_token(client)}
    )
    assert resp.status_code == 401
    html = resp.get_data(as_text=True)
    return html.replace(name, "NAME")  # the typed name is echoed back in the field


def test_failures_do_not_say_which_half_was_wrong(app, accounts, lib):
    with lib.db.session() as s:
        add_user(s, "gone", "legal", PASSWORD, actor="t").disabled = True
    with app.test_client() as c:
        wrong_password = _failed_login_text(c, "clerk", "not the password")
        wrong_name = _failed_login_text(c, "nobody", PASSWORD)
        disabled = _failed_login_text(c, "gone", PASSWORD)
    strip = lambda html: html.split('name="csrf_token"')[0]  # noqa: E731 - tokens differ
    assert strip(wrong_password) == strip(wrong_name) == strip(disabled)
    assert "用户名或密码不正确" in wrong_password


def test_sign_in_lands_where_asked_but_never_off_site(app, accounts):
    with app.test_client() as c:
        token = csrf_token(c, "/login?next=/legal/audit")
        data = {"name": "clerk", "password": PASSWORD, "csrf_token": token}
        resp = c.post("/login?next=/legal/audit", data=data)
        assert resp.headers["Location"] == "/legal/audit"
    with app.test_client() as c:
        token = csrf_token(c)
        data = {
            "name": "clerk",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example",
        }
        resp = c.post("/login", data=data)
        assert resp.status_code == 303 and "evil" not in resp.headers["Location"]


def test_repeated_failures_make_the_client_wait(app, accounts, monkeypatch):
    # a first wait of ten minutes, not one second: a slow machine must not see it run out
    monkeypatch.setattr(
        signin_throttle, "CLIENT", replace(CLIENT, base_delay=timedelta(minutes=10))
    )
    with app.test_client() as c:
        token = csrf_token(c)
        wrong = {"name": "clerk", "password": "x", "csrf_token": token}
        codes = [c.post("/login", data=wrong).status_code for _ in range(CLIENT.free_failures + 2)]
        assert codes == [401] * (CLIENT.free_failures + 1) + [429]
        # even the right password waits: the wait is per client address and per account
        resp = c.post("/login", data={"name": "clerk", "password": PASSWORD, "csrf_token": token})
        assert resp.status_code == 429
        assert re.search(r"请 \d+ 秒后再试", resp.get_data(as_text=True))
        assert int(resp.headers["Retry-After"]) >= 1


def test_disabling_or_resetting_signs_the_user_out(app, accounts, lib):
    with app.test_client() as c:
        sign_in(c, "clerk")
        assert c.get("/legal").status_code == 200
        with lib.db.session() as s:
            reset_password(s, "clerk", "a brand new passphrase", actor="admin")
        assert c.get("/legal").status_code == 302
    with app.test_client() as c:
        sign_in(c, "admin1")
        assert c.get("/legal").status_code == 200
        with lib.db.session() as s:
            set_disabled(s, "admin1", True, actor="t")
        assert c.get("/legal").status_code == 302


def test_session_cookie_flags(lib, accounts):
    app = create_app(lib, config={"TESTING": True})
    with app.test_client() as c:
        token = csrf_token(c)
        resp = c.post("/login", data={"name": "clerk", "password": PASSWORD, "csrf_token": token})
        cookie = resp.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    lib.settings.secure_cookies = True
    app = create_app(lib, config={"TESTING": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_logout_needs_a_post_with_the_token(app, accounts):
    with app.test_client() as c:
        sign_in(c, "clerk")
        assert c.get("/logout").status_code == 405
        assert c.post("/logout").status_code == 400  # no CSRF token
        assert c.get("/legal").status_code == 200
        assert c.post("/logout", data={"csrf_token": csrf_token(c, "/legal")}).status_code == 303
        assert c.get("/legal").status_code == 302
