"""The public pages: home, search results, the document page, the catalogue, large-text mode.

Every page works without JavaScript and answers `?format=json` (or `Accept: application/json`)
with the same object the `/api/...` twin serves. Error pages live in webapp/errors.py and the
security headers in webapp/headers.py; both draw on the public frame (base.html).
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    request,
    send_file,
    url_for,
)
from markupsafe import Markup, escape

from library import catalogue
from library import search_params as svc
from library.document_view import document_view, original_download, searchable_download
from library.inputs import parse_id
from library.listings import holdings, list_documents
from library.models import STATUS_LABELS
from library.search import search as run_search

from .context import get_library
from .errors import error_response
from .links import with_urls
from .params import header_safe_filename, safe_next
from .respond import respond

bp = Blueprint("public", __name__)

TEXT_SIZE_COOKIE = "textsize"
ONE_YEAR = 365 * 24 * 3600
FIELD_LABELS = {
    "title": "标题",
    "doc_number": "文号",
    "issuer": "发文机关",
    "signed_date": "成文日期",
    "published_date": "发布日期",
    "effective_date": "施行日期",
    "expiry_date": "有效期至",
    "kind": "类型",
    "interprets": "解读对象",
    "interprets_title": "解读对象标题",
    "interprets_number": "解读对象文号",
}


def large_text_on() -> bool:
    return request.cookies.get(TEXT_SIZE_COOKIE) == "large"


@bp.record_once
def _template_globals(state) -> None:
    """Globals rather than context, so macros imported by any blueprint's template see them."""
    state.app.jinja_env.globals.update(status_labels=STATUS_LABELS, kind_labels=svc.KIND_LABELS)


@bp.app_context_processor
def frame_context() -> dict:
    here = request.full_path.rstrip("?") if request else "/"
    large = large_text_on()
    return {
        "large_text": large,
        "text_size_url": url_for(
            "public.text_size", size="normal" if large else "large", next=here
        ),
        "site_url": lambda path: request.script_root + path,
    }


@bp.app_template_filter("basename")
def basename(path: str | None) -> str:
    """Source files are stored with their folder; readers only need the file name."""
    return (path or "").replace("\\", "/").rsplit("/", 1)[-1]


@bp.app_template_filter("marked")
def marked(snippet: str | None) -> Markup:
    """Show index HTML (snippets, titles) with only its <mark> highlights as markup.

    Unescaping first makes this right whether the index hands over raw or escaped text, so a
    `<script>` in a document can never reach the page as a tag.
    """
    safe = str(escape(html.unescape(snippet or "")))
    return Markup(safe.replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>"))


@bp.route("/display")
def text_size() -> Response:
    """Large-text mode without JavaScript: a plain link sets a cookie and goes back."""
    size = request.args.get("size", "large")
    resp = redirect(safe_next(request.args.get("next")), code=303)
    if size == "large":
        resp.set_cookie(TEXT_SIZE_COOKIE, "large", max_age=ONE_YEAR, samesite="Lax", httponly=True)
    else:
        resp.delete_cookie(TEXT_SIZE_COOKIE, samesite="Lax", httponly=True)
    return resp


@bp.route("/")
def index() -> Response | str:
    lib = get_library()
    counts = holdings(lib)
    recent = with_urls(list_documents(lib, per_page=8)["results"])
    return respond("public/index.html", {"counts": counts, "recent": recent})


def search_url(params: svc.SearchParams) -> str:
    pairs = params.args()
    return url_for("public.search") + ("?" + urlencode(pairs) if pairs else "")


@bp.route("/search")
def search() -> Response | str:
    try:
        params = svc.parse_params(request.args.to_dict(flat=False))
    except svc.SearchParamError as exc:
        return error_response(400, exc.message, exc.param)
    lib = get_library()
    result = with_urls(run_search(lib, params))

    def hidden_count() -> dict:
        """How many results "all" would show when the default (current only) found none."""
        hidden = 0
        if result["total"] == 0 and params.q and not params.include_all:
            hidden = run_search(lib, params.with_(include_all=True, page=1, per_page=1))["total"]
        return {"hidden_count": hidden}

    return respond(
        "public/search.html",
        result,
        name="result",
        extra=hidden_count,
        params=params,
        facets=svc.FACETS,
        sorts=svc.SORTS,
        url=search_url,
        page_url=lambda n: search_url(params.with_(page=n)),
    )


def _document_or_404(raw_id: str) -> dict:
    doc_id = parse_id(raw_id)
    view = document_view(get_library(), doc_id) if doc_id else None
    if view is None:
        abort(404, description=f"编号为 {raw_id[:20]} 的文件不存在，可能已被移除或地址有误。")
    return with_urls(view)


@bp.route("/documents/<raw_id>")
def document(raw_id: str) -> Response | str:
    view = _document_or_404(raw_id)
    paragraphs = [p.strip() for p in (view["text"] or "").splitlines() if p.strip()]
    return respond(
        "public/document.html", view, name="doc", paragraphs=paragraphs, field_labels=FIELD_LABELS
    )


@bp.route("/documents/<raw_id>/original")
def original(raw_id: str) -> Response:
    doc_id = parse_id(raw_id)
    found = original_download(get_library(), doc_id) if doc_id else None
    if found is None:
        abort(404, description="这份文件的原件未保存，无法下载。正文仍可在文件页面阅读。")
    path, name = found
    download = header_safe_filename(name, f"document-{doc_id}")
    return send_file(path, as_attachment=True, download_name=download)


@bp.route("/documents/<raw_id>/searchable.pdf")
def searchable_pdf(raw_id: str) -> Response:
    """The scan with its OCR text laid over it, for readers who want to search or copy it."""
    doc_id = parse_id(raw_id)
    found = searchable_download(get_library(), doc_id) if doc_id else None
    if found is None:
        abort(
            404, description="这份文件没有可检索的PDF（不是扫描件，或导入时未生成）。可下载原件。"
        )
    path, name = found
    download = header_safe_filename(name, f"document-{doc_id}.searchable.pdf")
    return send_file(path, as_attachment=True, download_name=download, mimetype="application/pdf")


@bp.route("/documents")
def documents() -> Response | str:
    """The catalogue: every document browsable by kind, status, issuer, year, level and topic."""
    try:
        params = svc.parse_params(request.args.to_dict(flat=False))
    except svc.SearchParamError as exc:
        return error_response(400, exc.message, exc.param)
    listing = with_urls(catalogue.browse(get_library(), params.with_(q="")))

    def url(p: svc.SearchParams) -> str:
        pairs = p.with_(q="").args()
        return url_for("public.documents") + ("?" + urlencode(pairs) if pairs else "")

    return respond(
        "public/documents.html",
        listing,
        name="listing",
        params=params,
        facets=svc.FACETS,
        url=url,
        page_url=lambda n: url(params.with_(page=n)),
    )
