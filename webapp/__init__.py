"""Flask application factory. One blueprint per audience; every HTML page has a JSON twin."""

from __future__ import annotations

import importlib
from typing import Any

from flask import Flask

from library.core import Library

from .auth import init_app as init_auth
from .errors import register_error_handlers
from .headers import register_security_headers
from .params import register_converters
from .production import setup_production

# Modules of this package that each export `bp`, a Blueprint. Order matters only for url_prefix clashes.
BLUEPRINT_MODULES = ["public", "api", "auth", "legal", "hotline", "qa_api"]


def create_app(library: Library | None = None, config: dict[str, Any] | None = None) -> Flask:
    """Build the app for one data home; tests pass their own Library and config overrides."""
    lib = library or Library.open()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=lib.settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=lib.settings.max_file_mb * 1024 * 1024,
    )
    app.json.ensure_ascii = False
    if config:
        app.config.update(config)
    app.extensions["policylib"] = lib
    register_converters(app)
    for name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(f"{__name__}.{name}").bp)
    register_error_handlers(app)
    init_auth(app)  # CSRF on every form, sign-in, its rate limit, secure cookies
    register_security_headers(app)
    setup_production(app)
    return app
