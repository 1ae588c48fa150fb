"""Flask application factory. One blueprint per audience; every HTML page has a JSON twin."""

from __future__ import annotations

import importlib
from typing import Any

from flask import Flask

from library.core import Library

from .auth import init_app as init_auth
from .index_retry import init_app as init_index_retry
from .production import setup_production

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
        MAX_CONTENT_LENGTH=lib.settings.max_file_mb * 1024 * 1024,
    )
    app.json.ensure_ascii = False
    if config:
        app.config.update(config)
    app.extensions["policylib"] = lib
    for name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(f"{__name__}.{name}").bp)
    init_auth(app)  # CSRF on every form, sign-in, its rate limit, secure cookies
    setup_production(app)
    init_index_retry(app)  # a failed index refresh is retried on the request cycle
    return app
