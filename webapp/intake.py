"""The legal office's intake desk under /legal/intake: upload files, the check queue (待核对), and
the edit page where a clerk corrects what the parser guessed and links interpretations by hand.

Every route needs the `legal` role (admins pass too); every POST carries the CSRF token (checked
app-wide by CSRFProtect). Pages have a JSON twin (?format=json). Changes go through the library's
corrections, checkqueue, linking and uploads services, which write the audit trail and refresh
the search index after their commit.
"""

from __future__ import annotations

from math import ceil

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    request,
    url_for,
)

from library import checkqueue, corrections, linking, upload_batches
from library.documents import document_kind, interprets
from library.ingest import SUPPORTED_SUFFIXES
from library.inputs import parse_id
from library.intake import edit_view

from .auth import actor_name, require_role
from .context import get_library
from .legal import today
from .links import with_urls
from .params import query_int
from .respond import respond

bp = Blueprint("intake", __name__, url_prefix="/legal/intake")

QUEUE_PER_PAGE = 50
OUTCOME_LABELS = {
    "pending": "等待中",
    "added": "新增",
    "updated": "更新",
    "unchanged": "未变化",
    "duplicate": "重复",
    "failed": "失败",
}
ACTION_LABELS = {
    "document.correct": "更正",
    "document.revert": "恢复解析结果",
    "document.link": "人工关联",
    "document.unlink": "解除关联",
    "document.check": "确认核对",
}


@bp.app_template_global()
def outcome_label(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, outcome)


@bp.app_template_global()
def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


@bp.app_template_filter()
def reason_label(code: str) -> str:
    return checkqueue.REASONS.get(code, code)


def _form_id(name: str) -> int:
    """A positive id from a form field, strictly digits; anything else is a 400 naming the field."""
    raw = (request.form.get(name) or "").strip()
    value = parse_id(raw)
    if value is None:
        abort(400, description=f"“{name}”应为文件编号（正整数），收到“{raw[:20]}”。")
    return value


def _reason() -> str:
    return (request.form.get("reason") or "").strip()[:2000]


# --- upload ------------------------------------------------------------------------------------


@bp.route("")
@require_role("legal")
def upload_page() -> Response | str:
    lib = get_library()
    data = {
        "recent": upload_batches.recent_batches(lib),
        "max_file_mb": lib.settings.max_file_mb,
        "supported": sorted(SUPPORTED_SUFFIXES | {".zip"}),
    }
    return respond("intake/upload.html", data)


@bp.route("/uploads", methods=["POST"])
@require_role("legal")
def upload_submit() -> Response | tuple[str, int]:
    lib = get_library()
    files = [(f.filename or "", f.stream) for f in request.files.getlist("files") if f.filename]
    try:
        batch_id = upload_batches.create_batch(lib, files, actor=actor_name())
    except upload_batches.UploadError as exc:
        flash(str(exc), "error")
        return redirect(url_for("intake.upload_page"), code=303)
    upload_batches.start_batch(lib, batch_id)
    return redirect(url_for("intake.batch_page", batch_id=batch_id), code=303)


@bp.route("/uploads/<id:batch_id>")
@require_role("legal")
def batch_page(batch_id: int) -> Response | str:
    batch = upload_batches.get_batch(get_library(), batch_id)
    if batch is None:
        abort(404, description=f"上传批次 #{batch_id} 不存在。")
    return respond("intake/batch.html", batch, name="batch")


# --- the check queue ---------------------------------------------------------------------------


@bp.route("/queue")
@require_role("legal")
def queue_page() -> Response | str:
    reason = request.args.get("reason") or None
    if reason is not None and reason not in checkqueue.REASONS:
        abort(400, description=f"未知的核对原因“{reason[:30]}”。")
    page = query_int("page", 1, high=10_000, what="页码")
    with get_library().db.session() as s:
        data = checkqueue.queue(
            s, reason=reason, limit=QUEUE_PER_PAGE, offset=(page - 1) * QUEUE_PER_PAGE
        )
    data["page"] = page
    return respond(
        "intake/queue.html",
        data,
        pages=max(1, ceil(data["matching"] / QUEUE_PER_PAGE)),
        page_url=lambda n: url_for("intake.queue_page", reason=reason, page=n),
    )


# --- one document ------------------------------------------------------------------------------


def _view(doc_id: int) -> dict:
    find = (request.args.get("find") or "").strip()[:200]
    with get_library().db.session() as s:
        view = edit_view(s, doc_id, find)
    if view is None:
        abort(404, description=f"编号为 {doc_id} 的文件不存在。")
    return with_urls(view)


def _edit_response(doc_id: int, errors: dict | None = None, submitted: dict | None = None):
    view = _view(doc_id)
    return respond(
        "intake/edit.html",
        view | ({"errors": errors} if errors else {}),
        400 if errors else 200,
        name="doc",
        errors=errors or {},
        submitted=submitted or {},
        kind_names=corrections.KIND_NAMES,
        reason_text=request.form.get("reason", "") if errors else "",
    )


@bp.route("/documents/<id:doc_id>")
@require_role("legal")
def edit_page(doc_id: int):
    return _edit_response(doc_id)


@bp.route("/documents/<id:doc_id>", methods=["POST"])
@require_role("legal")
def edit_submit(doc_id: int):
    view = _view(doc_id)
    current = {f["field"]: f["value"] for f in view["fields"]}
    submitted = {f: request.form[f] for f in corrections.EDITABLE if f in request.form}
    changes = {f: v for f, v in submitted.items() if v.strip() != str(current[f] or "")}
    try:
        done = corrections.correct(
            get_library(), doc_id, changes, actor=actor_name(), reason=_reason()
        )
    except corrections.CorrectionError as exc:
        return _edit_response(doc_id, errors=exc.errors, submitted=submitted)
    labels = "、".join(corrections.field_label(f) for f in done)
    flash(f"已保存更正：{labels}。检索结果已同步更新。", "ok")
    return redirect(url_for("intake.edit_page", doc_id=doc_id), code=303)


@bp.route("/documents/<id:doc_id>/check", methods=["POST"])
@require_role("legal")
def check_submit(doc_id: int) -> Response:
    try:
        reasons = checkqueue.confirm_checked(
            get_library(), doc_id, actor=actor_name(), note=_reason()
        )
    except checkqueue.CheckError as exc:
        flash(str(exc), "error")
    else:
        labels = "、".join(checkqueue.REASONS[r] for r in reasons)
        flash(f"文件 #{doc_id} 已确认核对（{labels}），已移出待核对队列。", "ok")
    return redirect(url_for("intake.edit_page", doc_id=doc_id), code=303)


@bp.route("/documents/<id:doc_id>/revert/<field>", methods=["POST"])
@require_role("legal")
def revert_submit(doc_id: int, field: str) -> Response:
    if field not in corrections.FIELD_LABELS:
        abort(404, description=f"“{field[:30]}”不是可恢复的字段。")
    try:
        corrections.revert(get_library(), doc_id, field, actor=actor_name(), reason=_reason())
    except corrections.CorrectionError as exc:
        flash(str(exc), "error")
    else:
        flash(f"“{corrections.field_label(field)}”已恢复为解析结果。", "ok")
    return redirect(url_for("intake.edit_page", doc_id=doc_id), code=303)


def _pair(doc_id: int, other: int | None) -> tuple[int, int | None]:
    """(interpretation, document) whichever side the clerk started from."""
    with get_library().db.session() as s:
        kind = document_kind(s, doc_id)
    if kind is None:
        abort(404, description=f"编号为 {doc_id} 的文件不存在。")
    if kind == "interpretation":
        return doc_id, other
    if other is None:
        abort(400, description="请指明要解除关联的解读。")
    return other, doc_id


def _explains(interp_id: int, doc_id: int) -> bool:
    with get_library().db.session() as s:
        return interprets(s, interp_id, doc_id)


@bp.route("/documents/<id:doc_id>/link", methods=["POST"])
@require_role("legal")
def link_submit(doc_id: int) -> Response:
    interp, target = _pair(doc_id, _form_id("target"))
    return _link(doc_id, interp, target, f"已关联：解读 #{interp} ↔ 文件 #{target}。")


@bp.route("/documents/<id:doc_id>/unlink", methods=["POST"])
@require_role("legal")
def unlink_submit(doc_id: int) -> Response:
    other = _form_id("interp") if "interp" in request.form else None
    interp, target = _pair(doc_id, other)
    if target is not None and not _explains(interp, target):
        flash(f"解读 #{interp} 并未关联到本文件，无需解除。", "error")
        return redirect(url_for("intake.edit_page", doc_id=doc_id), code=303)
    return _link(doc_id, interp, None, f"已解除解读 #{interp} 的关联。")


def _link(doc_id: int, interp: int, target: int | None, message: str) -> Response:
    try:
        linking.link_by_hand(
            get_library(), interp, target, actor=actor_name(), reason=_reason(), today=today()
        )
    except linking.LinkError as exc:
        flash(str(exc), "error")
    else:
        flash(message, "ok")
    return redirect(url_for("intake.edit_page", doc_id=doc_id), code=303)
