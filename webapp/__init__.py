"""Flask application factory. One blueprint per audience; every HTML page has a JSON twin."""

from __future__ import annotations

import importlib
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from library.core import Library

from .auth import init_app as init_auth
from .errors import register_error_handlers
from .headers import register_security_headers
from .index_retry import init_app as init_index_retry
from .params import register_converters
from .production import setup_production
from .ratelimits import init_rate_limits

# Modules of this package that each export `bp`, a Blueprint. Order matters only for url_prefix clashes.
BLUEPRINT_MODULES = ["public", "api", "auth", "legal", "intake", "hotline", "qa_api"]


def create_app(library: Library | None = None, config: dict[str, Any] | None = None) -> Flask:
    """Build the app for one data home; tests pass their own Library and config overrides."""
    lib = library or Library.open()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=lib.settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=lib.settings.max_request_bytes,
    )
    app.json.ensure_ascii = False
    _apply_web_settings(app, lib)
    if config:
        app.config.update(config)
    app.extensions["policylib"] = lib
    register_converters(app)
    for name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(f"{__name__}.{name}").bp)
    register_error_handlers(app)
    init_auth(app)  # CSRF on every form, sign-in, server-side sessions, secure cookies
    init_rate_limits(app)
    register_security_headers(app)
    setup_production(app)
    init_index_retry(app)  # a failed index refresh is retried on the request cycle
    return app


def _apply_web_settings(app: Flask, lib: Library) -> None:
    """The settings that decide how the app meets the network: proxies, host names, HTTPS."""
    settings = lib.settings
    if settings.trusted_proxies:
        # Only the last `n` hops of X-Forwarded-For/-Proto/-Prefix are believed: a client cannot
        # choose its own address by sending the header itself.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_prefix=n)  # type: ignore[method-assign]
    if settings.trusted_hosts:
        app.config["TRUSTED_HOSTS"] = list(settings.trusted_hosts)
    if settings.https:
        app.config["POLICYLIB_HTTPS"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
