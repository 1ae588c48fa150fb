"""Per-client rate limit on the public search and the JSON API (`/search`, `/api/*`).

One shared bucket per client address (after the trusted-proxy rule: `trusted_proxies`, ProxyFix in the factory) for all
those routes, so a script cannot multiply its allowance by spreading over endpoints. The limit
(`api_rate_limit`, default 120 a minute and 3,000 an hour) is far above what a person clicking
through results does and finite for a script. Over it: 429 with `Retry-After`. Signed-in staff
are not counted. The counts are kept in `ratelimit_storage_uri`: `memory://` (the default) keeps
them in each process, so with gunicorn's N workers a client gets up to N times the limit; a Redis
URI shares them between processes and nodes.
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, current_app
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user

from .context import client_address
from .errors import error_response

SCOPE = "public-api"


def _limited(rule: str) -> bool:
    return rule == "/search" or rule.startswith("/api/")


def _limit_value() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _staff() -> bool:
    return current_user.is_authenticated


def _too_many(_exc: RateLimitExceeded) -> Response:
    limiter: Limiter = current_app.extensions["policylib.limiter"]
    current = limiter.current_limit
    wait = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    resp = error_response(429, f"请求过于频繁，请 {wait} 秒后再试。")
    resp.headers["Retry-After"] = str(wait)
    return resp


def init_rate_limits(app: Flask) -> None:
    """Call once from the factory after the blueprints are registered. `API_RATE_LIMIT` in the
    app's config (tests set it) overrides the `api_rate_limit` setting."""
    settings = app.extensions["policylib"].settings
    app.config.setdefault("API_RATE_LIMIT", settings.api_rate_limit)
    limiter = Limiter(
        client_address,
        app=app,
        storage_uri=settings.ratelimit_storage_uri,
        default_limits=[],
        headers_enabled=True,
        retry_after="delta-seconds",
        key_prefix="policylib",
    )
    shared = limiter.shared_limit(_limit_value, scope=SCOPE, exempt_when=_staff)
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if _limited(r.rule)}
    for endpoint in endpoints:
        app.view_functions[endpoint] = shared(app.view_functions[endpoint])
    app.extensions["policylib.limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many)
