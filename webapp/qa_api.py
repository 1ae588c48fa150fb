"""The public face of the Q&A base: the JSON API, the export for polling systems, and the pages.

- `GET /api/qa/search?q=…` — published entries only, no sign-in (the base is published on the
  portal): `{"results": [{"id", "external_id", "question", "answer", "status", "topic", "basis",
  "score", …}]}`.
- `GET /api/qa/export?format=json|csv|xlsx` — what the hotline's knowledge store imports, with
  an ETag; a request carrying that ETag in If-None-Match gets 304 and no body.
- `/qa` lists published entries by topic, `/qa/<id>` shows one with its basis documents; both
  answer `?format=json` too.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request

from library.inputs import parse_whole
from library.qa import stats as qa_stats
from library.qa.entries import QAError, entry_dict, load_documents, published_by_topic
from library.qa.export import FORMATS, build_export, current_etag
from library.qa.search import search_entries
from library.qa.workflow import get_entry

from .context import get_library
from .errors import error_response
from .links import document_url, qa_url
from .respond import respond

bp = Blueprint("qa_api", __name__)

MAX_LIMIT = 50
PUBLIC_FIELDS = (
    "id",
    "external_id",
    "question",
    "similar_questions",
    "answer",
    "status",
    "topic",
    "department",
    "region",
    "basis",
    "last_reviewed_at",
    "updated_at",
)


def public_view(item: dict) -> dict:
    """An entry as the public sees it: no workflow internals, basis documents with their pages."""
    out = {k: item[k] for k in PUBLIC_FIELDS}
    out["basis"] = [
        b | {"url": document_url(b["document_id"]) if b["document_id"] else None}
        for b in item["basis"]
    ]
    out["url"] = qa_url(item["id"])
    if "score" in item:
        out["score"] = item["score"]
    return out


@bp.route("/api/qa/search")
def api_search() -> Response:
    q = (request.args.get("q") or "").strip()
    if len(q) > 200:
        return error_response(400, "查询过长：请把问题缩短到 200 字以内。", "q")
    limit = parse_whole(request.args.get("limit", "10"), 1, MAX_LIMIT)
    if limit is None:
        return error_response(400, f"limit 应为 1 到 {MAX_LIMIT} 之间的整数。", "limit")
    lib = get_library()
    results = [public_view(r) for r in search_entries(lib, q, limit=limit)]
    if q:
        with lib.db.session() as s:
            qa_stats.log_query(
                s,
                channel="api",
                query=q,
                result_count=len(results),
                top_entry_id=results[0]["id"] if results else None,
                user=None,
            )
    return jsonify({"query": q, "results": results})


@bp.route("/api/qa/export")
def api_export() -> Response:
    fmt = request.args.get("format", "json")
    if fmt not in FORMATS:
        return error_response(400, f"format 应为 {'、'.join(FORMATS)} 之一。", "format")
    lib = get_library()
    etag = current_etag(lib, fmt)
    if etag in request.if_none_match:
        resp = Response(status=304)
        resp.set_etag(etag)
        return resp
    export = build_export(lib, fmt)
    resp = Response(export.body, mimetype=export.mimetype)
    resp.set_etag(export.etag)
    resp.headers["Cache-Control"] = "no-cache"
    if fmt != "json":
        resp.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return resp


@bp.route("/qa")
def qa_index() -> Response | str:
    """Published entries grouped by topic, topics in the order admins keep them."""
    with get_library().db.session() as s:
        data = {"topics": published_by_topic(s)}
    return respond("qa/index.html", data)


@bp.route("/qa/<id:entry_id>")
def qa_entry(entry_id: int) -> Response | str:
    with get_library().db.session() as s:
        try:
            entry = get_entry(s, entry_id)
        except QAError:
            entry = None
        if entry is None or entry.status != "published":
            abort(404, description="该问答不存在，或正在复核、已停用。请回到政策问答列表查找。")
        item = public_view(entry_dict(entry, load_documents(s, [entry])))
    return respond("qa/entry.html", item, name="e")
