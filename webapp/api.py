"""The JSON API other systems rely on: search, documents, health, and its OpenAPI description.

`/api/...` is the contract (webapp/openapi.json documents it, tests/webapp check the app against
it); the pages' `?format=json` twins return the same objects for convenience.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, jsonify, request

from library import search as svc
from library.health import health
from library.inputs import parse_id

from .context import get_library
from .errors import error_response

bp = Blueprint("api", __name__)
OPENAPI_PATH = Path(__file__).with_name("openapi.json")


@cache
def openapi_document() -> dict:
    return json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def _params() -> svc.SearchParams:
    return svc.parse_params(request.args.to_dict(flat=False))


@bp.route("/api/search")
def search() -> Response:
    try:
        params = _params()
    except svc.SearchParamError as exc:
        return error_response(400, exc.message, exc.param)
    return jsonify(svc.search(get_library(), params))


@bp.route("/api/documents")
def documents() -> Response:
    try:
        params = _params()
    except svc.SearchParamError as exc:
        return error_response(400, exc.message, exc.param)
    return jsonify(
        svc.list_documents(
            get_library(),
            page=params.page,
            per_page=params.per_page,
            include_all=params.include_all,
        )
    )


@bp.route("/api/documents/<raw_id>")
def document(raw_id: str) -> Response:
    doc_id = parse_id(raw_id)
    view = svc.document_view(get_library(), doc_id) if doc_id else None
    if view is None:
        return error_response(404, f"编号为 {raw_id[:20]} 的文件不存在。", "id")
    return jsonify(view)


@bp.route("/api/openapi.json")
def openapi() -> Response:
    spec = dict(openapi_document())
    spec["servers"] = [{"url": request.host_url.rstrip("/") + request.script_root}]
    return jsonify(spec)


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    """The object of `policylib health --json` (library.health): counts, index, last weekly run.

    503 only when the database or the index is unusable ("error"): a node that merely needs a
    look ("warning", e.g. an overdue weekly run) keeps serving.
    """
    report = health(get_library())
    return jsonify(report), 503 if report["status"] == "error" else 200
