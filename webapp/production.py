"""Response compression and static-file caching, set up once by the app factory.

Static URLs get a `v=` token derived from the file's mtime and size, so they can be cached for a
year (`immutable`): a new release changes the token and browsers fetch the new file at once. A
static URL without the token (typed by hand, or from an old page) is cached for an hour only.
Compression (zstd, brotli, gzip as the client accepts) is Flask-Compress; it also streams static
files compressed and keeps conditional requests (ETag, 304) working.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, current_app, request
from flask_compress import Compress

VERSIONED_MAX_AGE = 365 * 24 * 3600
UNVERSIONED_MAX_AGE = 3600


def setup_production(app: Flask) -> None:
    """Call once per app, from the factory."""
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    Compress(app)
    app.url_defaults(_version_static_urls)
    app.after_request(_cache_static)


def _static_folder(app: Flask, endpoint: str) -> str | None:
    if endpoint == "static":
        return app.static_folder
    blueprint = app.blueprints.get(endpoint.rpartition(".")[0])
    return blueprint.static_folder if blueprint else None


def _version_static_urls(endpoint: str, values: dict) -> None:
    if not (endpoint == "static" or endpoint.endswith(".static")) or "v" in values:
        return
    folder = _static_folder(current_app, endpoint)
    filename = values.get("filename")
    if not folder or not filename:
        return
    try:
        st = (Path(folder) / filename).stat()
    except OSError:
        return
    values["v"] = f"{st.st_mtime_ns // 1_000_000:x}{st.st_size:x}"[-12:]


def _cache_static(response: Response) -> Response:
    endpoint = request.endpoint or ""
    if not (endpoint == "static" or endpoint.endswith(".static")) or response.status_code >= 400:
        return response
    versioned = bool(request.args.get("v"))
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.max_age = VERSIONED_MAX_AGE if versioned else UNVERSIONED_MAX_AGE
    if versioned:
        response.cache_control.immutable = True
    return response
