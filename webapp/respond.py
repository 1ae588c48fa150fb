"""The one place a page gets its JSON twin (Datasette's way): a view computes its data once and
hands it to `respond`, which serves it as JSON when the caller asked for JSON (`wants_json`:
?format=json or the Accept header) and otherwise renders the page with it. A view therefore
cannot show the page one thing and the JSON another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, make_response, render_template

from .context import wants_json


def respond(
    template: str,
    data: Any,
    status: int = 200,
    /,
    *,
    name: str | None = None,
    extra: Callable[[], dict] | None = None,
    **context: Any,
) -> Response:
    """`data` as JSON, or the page `template` rendered with it.

    `status` is positional only, so a template may still take a variable named `status`.
    The template sees the keys of `data` as its variables, or all of `data` under `name`.
    `context` is what only the page needs (forms, labels, address builders); `extra` is a
    function for what costs work to make and only the page needs, run for HTML only.
    """
    if wants_json():
        resp = jsonify(data)
        resp.status_code = status
        return resp
    variables = {name: data} if name else dict(data)
    variables |= context | (extra() if extra else {})
    return make_response(render_template(template, **variables), status)
