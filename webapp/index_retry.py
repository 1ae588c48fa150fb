"""The request cycle retries a failed index refresh (library/index_backlog.py).

A change is committed before the index is refreshed; when that refresh failed, the backlog keeps
it. Each web process looks at the backlog at most every `CATCH_UP_EVERY_S` seconds, before serving
a request, so a repealed document leaves public results within that interval once the index can
be written again, even when no other write follows.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app

from library import indexing

log = logging.getLogger("policylib.web")


def _retry_backlog() -> None:
    state = current_app.extensions.setdefault("policylib_backlog", {"checked": float("-inf")})
    now = time.monotonic()
    if now - state["checked"] < indexing.CATCH_UP_EVERY_S:
        return
    state["checked"] = now
    try:
        indexing.catch_up(current_app.extensions["policylib"])
    except Exception:  # a request must be served whatever the backlog does
        log.exception("index backlog retry failed")


def init_app(app: Flask) -> None:
    app.before_request(_retry_backlog)
