"""Security headers on every response, registered by the app factory (`register_security_headers`).

- CSP, nosniff, Referrer-Policy and X-Frame-Options everywhere (a view that needs something else
  sets its own header first);
- `Cache-Control: no-store` on staff pages, their exports and anything answered to a signed-in
  user, so a shared computer's cache or a proxy never keeps what only staff may see;
- HSTS when the site is served over HTTPS (the `https` setting).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_login import current_user

from .public import TEXT_SIZE_COOKIE

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
# Blueprints whose every answer is for staff eyes (sign-in included: it carries a CSRF token).
STAFF_BLUEPRINTS = frozenset({"legal", "hotline", "auth"})


def _for_staff() -> bool:
    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.endswith(".static"):
        return False  # the same files for everyone, cached by version (webapp.production)
    return request.blueprint in STAFF_BLUEPRINTS or current_user.is_authenticated


def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config.get("POLICYLIB_HTTPS"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if _for_staff():
        response.headers["Cache-Control"] = "no-store"
    if request.cookies.get(TEXT_SIZE_COOKIE) is not None or response.mimetype == "text/html":
        response.vary.add("Cookie")
    return response


def register_security_headers(app: Flask) -> None:
    """Call once from the factory, after the login manager is set up (the rule reads current_user)."""
    app.after_request(security_headers)
