"""Server-side sessions (sign-out, disabling and a new password end them everywhere; idle and absolute
lifetimes) and sign-in throttling (per client behind a proxy, per account, shared by processes).

Clients are made without `with`: a kept request context would let a second client reuse the first
one's already-loaded user and hide exactly what these tests check."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from library import signin_throttle as throttle
from library.config import ConfigError, load_settings
from library.core import Library
from library.models import SignInFailure, StaffSession, utcnow
from tests.validity.conftest import PASSWORD, csrf_token, sign_in
from webapp import create_app


def _copy_of(client: FlaskClient, app: Flask) -> FlaskClient:
    """A second browser holding the same session cookie (a stolen or copied cookie)."""
    other = app.test_client()
    cookie = client.get_cookie("session")
    assert cookie is not None
    other.set_cookie("session", cookie.value)
    return other


def test_sign_out_ends_the_session_on_the_server(app: Flask, accounts: dict[str, str]):
    c = app.test_client()
    sign_in(c, "clerk")
    thief = _copy_of(c, app)
    assert thief.get("/legal").status_code == 200
    assert c.post("/logout", data={"csrf_token": csrf_token(c, "/legal")}).status_code == 303
    assert thief.get("/legal").status_code == 302, "a copied cookie must stop working"


@pytest.mark.parametrize("change", ["disable", "password"])
def test_disabling_or_a_new_password_ends_copied_sessions(
    app: Flask, accounts: dict[str, str], lib: Library, change: str
):
    from library.users import reset_password, set_disabled

    c = app.test_client()
    sign_in(c, "clerk")
    thief = _copy_of(c, app)
    with lib.db.session() as s:
        if change == "disable":
            set_disabled(s, "clerk", True, actor="admin")
        else:
            reset_password(s, "clerk", "a brand new passphrase", actor="admin")
    assert thief.get("/legal").status_code == 302
    assert c.get("/legal").status_code == 302


def _age_sessions(lib: Library, **ago: timedelta) -> None:
    with lib.db.session() as s:
        values = {f"{column}_at": utcnow() - delta for column, delta in ago.items()}
        s.execute(update(StaffSession).values(**values))


def test_idle_sessions_expire(app: Flask, accounts: dict[str, str], lib: Library):
    c = app.test_client()
    sign_in(c, "clerk")
    _age_sessions(lib, last_seen=timedelta(minutes=29))
    assert c.get("/legal").status_code == 200, "29 idle minutes: still signed in"
    _age_sessions(lib, last_seen=timedelta(minutes=31))
    assert c.get("/legal").status_code == 302, "31 idle minutes: the default 30 ran out"


def test_sessions_end_after_their_absolute_lifetime(
    app: Flask, accounts: dict[str, str], lib: Library
):
    c = app.test_client()
    sign_in(c, "clerk")
    _age_sessions(lib, created=timedelta(hours=11, minutes=50), last_seen=timedelta(0))
    assert c.get("/legal").status_code == 200
    _age_sessions(lib, created=timedelta(hours=12, minutes=1), last_seen=timedelta(0))
    assert c.get("/legal").status_code == 302, "busy all along, yet 12 hours is the limit"


def test_session_limits_are_configurable(lib: Library, accounts: dict[str, str]):
    lib.settings.session_idle_minutes = 5
    app = create_app(lib, config={"TESTING": True})
    c = app.test_client()
    sign_in(c, "clerk")
    _age_sessions(lib, last_seen=timedelta(minutes=6))
    assert c.get("/legal").status_code == 302


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("session_idle_minutes = 0", "session_idle_minutes"),
        ("session_max_hours = 'long'", "session_max_hours"),
        ("trusted_proxies = 11", "trusted_proxies"),
        ("api_rate_limit = 'lots'", "api_rate_limit"),
        ("ratelimit_storage_uri = 'mongodb://x'", "ratelimit_storage_uri"),
        ("public_base_url = 'example.gov.cn'", "public_base_url"),
    ],
)
def test_web_settings_are_checked(tmp_path, monkeypatch, line: str, message: str):
    monkeypatch.delenv("POLICYLIB_DATABASE_URL", raising=False)
    (tmp_path / "config.toml").write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path)


# --- throttling ------------------------------------------------------------------------------


@pytest.fixture
def slow_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real policies with a first wait of ten minutes instead of one second, so a slow test
    machine never sees a wait run out between two requests."""
    for name in ("CLIENT", "ACCOUNT"):
        policy = getattr(throttle, name)
        monkeypatch.setattr(throttle, name, replace(policy, base_delay=timedelta(minutes=10)))


def _proxied_app(lib: Library, proxies: int) -> Flask:
    lib.settings.trusted_proxies = proxies
    return create_app(lib, config={"TESTING": True})


def _attempt(client: FlaskClient, password: str, address: str, name: str = "clerk") -> int:
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token},
        headers={"X-Forwarded-For": address},
    ).status_code


def test_one_clients_failures_do_not_lock_out_another_behind_the_proxy(
    lib: Library, accounts: dict[str, str], caplog: pytest.LogCaptureFixture, slow_waits: None
):
    app = _proxied_app(lib, proxies=1)
    with caplog.at_level(logging.WARNING, logger="policylib.web.auth"):
        a = app.test_client()
        codes = [_attempt(a, "wrong password", "203.0.113.7") for _ in range(10)]
        assert codes[0] == 401 and codes[-1] == 429, codes
        b = app.test_client()
        assert _attempt(b, PASSWORD, "198.51.100.20") == 303
    assert "sign-in failed name='clerk' client=203.0.113.7" in caplog.text


def test_a_spoofed_forwarded_for_is_ignored_without_a_trusted_proxy(
    lib: Library, accounts: dict[str, str], caplog: pytest.LogCaptureFixture, slow_waits: None
):
    app = _proxied_app(lib, proxies=0)
    with caplog.at_level(logging.WARNING, logger="policylib.web.auth"), app.test_client() as c:
        codes = [
            _attempt(c, "wrong password", f"192.0.2.{n}")
            for n in range(throttle.CLIENT.free_failures + 2)
        ]
    assert codes[-1] == 429, "a new X-Forwarded-For each time must not buy a fresh count"
    assert "client=192.0.2." not in caplog.text and "client=127.0.0.1" in caplog.text


def test_two_app_instances_on_one_database_share_the_counts(
    home, lib: Library, accounts: dict[str, str], slow_waits: None
):
    other_lib = Library.open(home)
    try:
        first = create_app(lib, config={"TESTING": True})
        second = create_app(other_lib, config={"TESTING": True})
        c = first.test_client()
        for _ in range(throttle.CLIENT.free_failures + 1):
            assert _attempt(c, "wrong password", "ignored") == 401
        c = second.test_client()
        assert _attempt(c, PASSWORD, "ignored") == 429
    finally:
        other_lib.close()


def test_many_clients_guessing_one_account_are_slowed(
    lib: Library, accounts: dict[str, str], slow_waits: None
):
    app = _proxied_app(lib, proxies=1)
    c = app.test_client()
    for n in range(throttle.ACCOUNT.free_failures + 1):
        assert _attempt(c, "wrong password", f"203.0.113.{n}") == 401
    assert _attempt(c, "wrong password", "198.51.100.99") == 429
    assert _attempt(c, PASSWORD, "198.51.100.100", name="editor1") == 303, "others sign in"


def test_waits_grow_and_are_forgotten(lib: Library):
    key, policy, t0 = "client:192.0.2.1", throttle.CLIENT, utcnow()
    waits = []
    with lib.db.session() as s:
        for n in range(policy.free_failures + 12):
            now = t0 + timedelta(hours=n / 100)  # failures 36 s apart: never forgotten
            throttle.record_failure(s, key, policy, now)
            waits.append(throttle.wait_seconds(s, [key], now))
    assert waits[: policy.free_failures] == [0] * policy.free_failures
    assert waits[policy.free_failures : policy.free_failures + 4] == [1, 2, 4, 8]
    assert waits[-1] == 900, "capped at 15 minutes"
    with lib.db.session() as s:
        later = t0 + timedelta(days=1)
        assert throttle.record_failure(s, key, policy, later) == 1, "an hour of quiet forgets"
        assert throttle.wait_seconds(s, [key], later) == 0
        throttle.record_failure(s, "account:someone", throttle.ACCOUNT, t0)
        throttle.record_failure(s, "account:guess", throttle.ACCOUNT, later)
        keys = set(s.scalars(select(SignInFailure.key)))
    assert keys == {key, "account:guess"}, "keys quiet for a day are swept out"
