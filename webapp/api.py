"""The JSON API other systems rely on: search, documents, health, and its OpenAPI description.

`/api/...` is the contract (webapp/openapi.json documents it, tests/webapp check the app against
it); the pages' `?format=json` twins return the same objects for convenience.
"""

from __future__ import annotations

import hmac
import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user

from library import search_params as svc
from library.document_view import document_view
from library.health import health
from library.inputs import parse_id
from library.listings import list_documents
from library.search import search as run_search

from .context import get_library
from .errors import error_response
from .links import with_urls

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
    return jsonify(with_urls(run_search(get_library(), params)))


@bp.route("/api/documents")
def documents() -> Response:
    try:
        params = _params()
    except svc.SearchParamError as exc:
        return error_response(400, exc.message, exc.param)
    return jsonify(
        with_urls(
            list_documents(
                get_library(),
                page=params.page,
                per_page=params.per_page,
                include_all=params.include_all,
            )
        )
    )


@bp.route("/api/documents/<raw_id>")
def document(raw_id: str) -> Response:
    doc_id = parse_id(raw_id)
    view = document_view(get_library(), doc_id) if doc_id else None
    if view is None:
        return error_response(404, f"编号为 {raw_id[:20]} 的文件不存在。", "id")
    return jsonify(with_urls(view))


@bp.route("/api/openapi.json")
def openapi() -> Response:
    """The contract, its server the configured public address (`public_base_url`) or, without
    one, the site's own path: never the request's Host header, which the caller chooses."""
    spec = dict(openapi_document())
    base = get_library().settings.public_base_url.rstrip("/")
    spec["servers"] = [{"url": base or request.script_root or "/"}]
    return jsonify(spec)


def _may_see_health_details() -> bool:
    """Admins signed in, and monitoring that sends the configured `health_token` as a Bearer."""
    if current_user.is_authenticated and current_user.has_role("admin"):
        return True
    token = get_library().settings.health_token
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and hmac.compare_digest(sent.encode(), token.encode())


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    """The object of `policylib health --json` (library.health): counts, index, last weekly run.

    Anyone else gets only `{"status": …}`: the details name paths, index generations and
    exception text. 503 only when the database or the index is unusable ("error"): a node that
    merely needs a look ("warning", e.g. an overdue weekly run) keeps serving.
    """
    report = health(get_library())
    code = 503 if report["status"] == "error" else 200
    if not _may_see_health_details():
        return jsonify({"status": report["status"]}), code
    return jsonify(report), code
