"""Access to the Library from inside a request."""

from __future__ import annotations

from flask import current_app

from library.core import Library


def get_library() -> Library:
    return current_app.extensions["policylib"]
