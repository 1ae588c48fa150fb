"""What every view needs from its request: the Library, who is calling, whether it wants JSON."""

from __future__ import annotations

from flask import current_app, request

from library.core import Library


def get_library() -> Library:
    return current_app.extensions["policylib"]


def client_address() -> str:
    """The caller's address: the socket's, or the one the trusted proxies reported (ProxyFix,
    set up by the factory from `trusted_proxies`)."""
    return request.remote_addr or "unknown"


def wants_json() -> bool:
    """Datasette habit: every page has a JSON twin, chosen by ?format=json or the Accept header."""
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )
