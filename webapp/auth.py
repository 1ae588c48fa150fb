"""Sign-in, roles and request protection for the whole app.

`init_app` (called by the factory) turns on CSRF protection for every form app-wide, secure
session cookies and Flask-Login. A sign-in starts a server-side session (library.staff_sessions)
that signing out, disabling the account, a new password, idle time or its absolute lifetime end;
failed sign-ins are counted per client address and per account in the database and answered with
growing waits (library.signin_throttle). Views that change anything are wrapped in
`require_role(...)`; an admin passes every role check. Sign-in failures never say which half
(name or password) was wrong, nor that an account is disabled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from library import signin_throttle as throttle
from library import staff_sessions
from library import users as accounts
from library.models import User

from .context import client_address, get_library, wants_json
from .errors import error_response
from .params import safe_next

bp = Blueprint("auth", __name__)
log = logging.getLogger("policylib.web.auth")

DEFAULT_LANDING = {"legal": "/legal", "admin": "/legal"}
csrf = CSRFProtect()


class StaffUser(UserMixin):
    """A signed-in account, detached from the DB session; its id is the server-side session token."""

    def __init__(self, user: User, token: str) -> None:
        self.user_id = user.id
        self.name = user.name
        self.role = user.role
        self.token = token

    def get_id(self) -> str:
        return self.token

    def has_role(self, *roles: str) -> bool:
        return self.role == "admin" or self.role in roles


def session_limits() -> staff_sessions.SessionLimits:
    settings = get_library().settings
    return staff_sessions.SessionLimits(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_max_hours),
    )


def _load_user(token: str) -> StaffUser | None:
    """The session's account, or None when the session ended: signed out, expired (idle or
    absolute), the account disabled or its password changed."""
    with get_library().db.session() as s:
        user = staff_sessions.resume(s, token, session_limits())
        return StaffUser(user, token) if user else None


def require_role(*roles: str) -> Callable:
    """Refuse the anonymous (sign-in page for GET, 401 otherwise) and the wrong role (403).

    The roles are kept on the view as `required_roles`, so a test can enumerate the url_map and
    check that every mutating route is guarded.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if request.method == "GET" and not wants_json():
                    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                abort(401, description="请先登录。")
            if not current_user.has_role(*roles):
                abort(403, description="您的账号没有此操作的权限。如需权限，请联系管理员。")
            return view(*args, **kwargs)

        guarded.required_roles = frozenset(roles)  # type: ignore[attr-defined]
        return guarded

    return decorate


def actor_name() -> str:
    """Who a change made through the web is recorded as."""
    return current_user.name


class LoginForm(FlaskForm):
    name = StringField("用户名", validators=[DataRequired("请输入用户名。"), Length(max=100)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。"), Length(max=200)])


def _landing(user: StaffUser) -> str:
    target = request.args.get("next") or request.form.get("next")
    if target:
        return safe_next(target)
    return request.script_root + DEFAULT_LANDING.get(user.role, "/")


def _throttled(wait: int) -> Response:
    message = f"登录失败次数过多，请 {wait} 秒后再试。"
    resp = error_response(429, message)
    resp.headers["Retry-After"] = str(wait)
    return resp


def _sign_in(name: str, password: str) -> StaffUser | None | int:
    """The signed-in user; None for a wrong name or password; the seconds to wait (int) when
    this client or this account must wait before it may try again."""
    keys = [throttle.client_key(client_address()), throttle.account_key(name)]
    with get_library().db.session() as s:
        wait = throttle.wait_seconds(s, keys)
        if wait:
            log.warning(
                "sign-in throttled name=%r client=%s wait=%ds", name, client_address(), wait
            )
            return wait
        user = accounts.authenticate(s, name, password)
        if user is None:
            log.warning("sign-in failed name=%r client=%s", name, client_address())
            throttle.record_failure(s, keys[0], throttle.CLIENT)
            throttle.record_failure(s, keys[1], throttle.ACCOUNT)
            return None
        throttle.clear(s, keys[1])
        return StaffUser(user, staff_sessions.start(s, user, session_limits()))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        outcome = _sign_in(form.name.data.strip(), form.password.data)
        if isinstance(outcome, StaffUser):
            session.clear()  # a fresh session: nothing from before sign-in carries over
            login_user(outcome)
            return redirect(_landing(outcome), code=303)
        if isinstance(outcome, int):
            return _throttled(outcome)
        failed = True
    status = 401 if failed else (400 if form.errors else 200)
    next_target = request.args.get("next") or request.form.get("next") or ""
    return render_template("auth/login.html", form=form, failed=failed, next=next_target), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """Ends the session on the server too: the cookie, even a copy of it, no longer signs in."""
    with get_library().db.session() as s:
        staff_sessions.end(s, current_user.token)
    logout_user()
    session.clear()
    return redirect(request.script_root + "/", code=303)


def _csrf_error(_exc: CSRFError) -> Response:
    return error_response(400, "表单已过期或缺少安全令牌。请刷新页面后重新提交。")


def init_app(app: Flask) -> None:
    """Call once from the factory after the blueprints are registered."""
    settings = app.extensions["policylib"].settings
    if settings.secure_cookies or settings.https:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    # A clerk may study a 300-row preview for a while; the token lives as long as the session.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    manager = LoginManager(app)
    manager.user_loader(_load_user)
    manager.login_view = "auth.login"
    manager.login_message = "请先登录。"
    manager.session_protection = "strong"
    app.register_error_handler(CSRFError, _csrf_error)
