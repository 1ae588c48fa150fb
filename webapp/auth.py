"""Sign-in, roles and request protection for the whole app.

`init_app` (called by the factory) turns on CSRF protection for every form app-wide, the
sign-in rate limit, secure session cookies and Flask-Login. Views that change anything are wrapped
in `require_role(...)`; an admin passes every role check. Sign-in failures never say which half
(name or password) was wrong, nor that an account is disabled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
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

from library import users as accounts
from library.models import User

from .context import get_library, wants_json
from .errors import error_response
from .params import safe_next

bp = Blueprint("auth", __name__)
log = logging.getLogger("policylib.web.auth")

LOGIN_LIMIT = "10 per minute;100 per day"  # per client address and, separately, per account name
DEFAULT_LANDING = {"legal": "/legal", "admin": "/legal"}
csrf = CSRFProtect()


class StaffUser(UserMixin):
    """A signed-in account, detached from the DB session; its id carries the password fingerprint."""

    def __init__(self, user: User) -> None:
        self.user_id = user.id
        self.name = user.name
        self.role = user.role
        self.fingerprint = accounts.session_fingerprint(user)

    def get_id(self) -> str:
        return f"{self.user_id}:{self.fingerprint}"

    def has_role(self, *roles: str) -> bool:
        return self.role == "admin" or self.role in roles


def _load_user(raw_id: str) -> StaffUser | None:
    """A disabled account, or one whose password changed since sign-in, is signed out at once."""
    user_id, _, fingerprint = raw_id.partition(":")
    if not user_id.isdigit():
        return None
    with get_library().db.session() as s:
        user = s.get(User, int(user_id))
        if user is None or user.disabled:
            return None
        staff = StaffUser(user)
    return staff if staff.fingerprint == fingerprint else None


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


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        with get_library().db.session() as s:
            user = accounts.authenticate(s, form.name.data.strip(), form.password.data)
            staff = StaffUser(user) if user else None
        if staff is not None:
            session.clear()  # a fresh session: nothing from before sign-in carries over
            login_user(staff)
            return redirect(_landing(staff), code=303)
        failed = True
    status = 401 if failed else (400 if form.errors else 200)
    next_target = request.args.get("next") or request.form.get("next") or ""
    return render_template("auth/login.html", form=form, failed=failed, next=next_target), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    session.clear()
    return redirect(request.script_root + "/", code=303)


def _name_key() -> str:
    return "name:" + (request.form.get("name") or "").strip().lower()


def _login_limit() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", LOGIN_LIMIT)


def _csrf_error(_exc: CSRFError) -> Response:
    return error_response(400, "表单已过期或缺少安全令牌。请刷新页面后重新提交。")


def _too_many(_exc: RateLimitExceeded) -> Response:
    resp = error_response(429, "登录尝试过于频繁，请稍后再试。")
    resp.headers["Retry-After"] = "60"
    return resp


def init_app(app: Flask) -> None:
    """Call once from the factory after the blueprints are registered."""
    if app.extensions["policylib"].settings.secure_cookies:
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
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", default_limits=[])
    view = app.view_functions["auth.login"]
    view = limiter.limit(_login_limit, methods=["POST"])(view)
    view = limiter.limit(_login_limit, methods=["POST"], key_func=_name_key)(view)
    app.view_functions["auth.login"] = view
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(RateLimitExceeded, _too_many)
