"""The legal office's pages under /legal: status changes, cleanup sheets, proposals, audit, exports.

Every page needs the `legal` role (admins pass too); every change goes through the library's
validity and cleanup services, which write the audit trail and refresh the index. HTML pages have
a JSON twin (?format=json). Mutations are plain HTML forms posted with the CSRF token, each with a
confirm step (the confirm page for one document, the preview for a sheet).
"""

from __future__ import annotations

from datetime import date, timedelta
from math import ceil
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from library import audit as trail
from library import cleanup, exports, status_changes
from library import documents as documents_
from library.inputs import parse_id, parse_whole
from library.models import STATUS_LABELS
from library.status_labels import status_label
from library.validity.common import ValidityError, status_counts
from library.validity.dates import last_due_run
from library.validity.proposals import (
    confirm_proposal,
    default_basis,
    pending_proposals,
    proposal_dict,
    reject_proposal,
)
from library.validity.status import change_status, check_change

from .auth import actor_name, require_role
from .context import get_library
from .links import document_url
from .params import query_day, query_int, query_optional_id
from .respond import respond

bp = Blueprint("legal", __name__, url_prefix="/legal")

PER_PAGE = 50
MAX_PAGE = 100_000
AUDIT_PER_PAGE = 100
CSV_MAX_ROWS = 100_000
FILTERS = ("all", "problems", *cleanup.OUTCOMES)


def today() -> date:
    """The web app's clock for status changes and exports; tests set POLICYLIB_TODAY to move it.

    Date-driven transitions are not run from requests: the server's daily thread does that."""
    return current_app.config.get("POLICYLIB_TODAY") or date.today()


def _page() -> int:
    return query_int("page", 1, 1, MAX_PAGE, "页码")


# --- dashboard and documents -------------------------------------------------------------------


@bp.route("")
@require_role("legal")
def dashboard() -> Response | str:
    lib = get_library()
    with lib.db.session() as s:
        counts = status_counts(s)
        proposals = len(pending_proposals(s))
        batches = [cleanup.batch_dict(b) for b in cleanup.list_batches(s, limit=5)]
        recent = status_changes.recent_changes(s, limit=10)
    last_run = last_due_run(lib)
    data = {
        "counts": counts,
        "pending_proposals": proposals,
        "recent_batches": batches,
        "recent_changes": recent,
        "last_due_run": last_run.isoformat() if last_run else None,
    }
    return respond("legal/dashboard.html", data)


@bp.route("/documents")
@require_role("legal")
def documents() -> Response | str:
    """Find a document by title or 文号 to change its status."""
    q = (request.args.get("q") or "").strip()[:200]
    status = request.args.get("status") or ""
    page = _page()
    with get_library().db.session() as s:
        total, found = documents_.find_documents(
            s, q=q, status=status, offset=(page - 1) * PER_PAGE, limit=PER_PAGE
        )
    rows = [_with_url(r) for r in found]
    data = {"q": q, "status": status, "total": total, "page": page, "documents": rows}
    return respond(
        "legal/documents.html",
        data,
        pages=max(1, ceil(total / PER_PAGE)),
        page_url=lambda n: url_for("legal.documents", q=q or None, status=status or None, page=n),
    )


def _with_url(row: dict) -> dict:
    return row | {"url": document_url(row["id"])}


# --- one document's status ---------------------------------------------------------------------


class StatusForm(FlaskForm):
    status = SelectField("新状态", choices=dict(STATUS_LABELS))
    since = DateField("起始日期", validators=[Optional()])
    basis = StringField(
        "依据（决定名称及文号）",
        validators=[DataRequired("请填写依据。"), Length(max=500, message="依据过长。")],
    )
    reason = TextAreaField(
        "变更理由",
        validators=[DataRequired("请填写变更理由。"), Length(max=2000, message="理由过长。")],
    )
    note = TextAreaField("备注（部分失效时写明失效部分）", validators=[Length(max=2000)])
    superseded_by = IntegerField(
        "新版本文件编号（可选）",
        validators=[Optional(), NumberRange(min=1, message="请填写正整数编号。")],
    )


def _status_kwargs(form: StatusForm) -> dict:
    return {
        "reason": form.reason.data or "",
        "basis": form.basis.data or "",
        "since": form.since.data,
        "note": form.note.data or None,
        "superseded_by_id": form.superseded_by.data,
        "today": today(),
    }


def _document_status_data(doc_id: int) -> dict:
    with get_library().db.session() as s:
        data = status_changes.document_status(s, doc_id)
    if data is None:
        abort(404, description=f"编号为 {doc_id} 的文件不存在。")
    return _with_url(data)


@bp.route("/documents/<id:doc_id>/status", methods=["GET"])
@require_role("legal")
def status_page(doc_id: int) -> Response | str:
    data = _document_status_data(doc_id)
    return respond(
        "legal/status_form.html",
        data,
        name="doc",
        extra=lambda: {"form": StatusForm(formdata=None, since=today())},
    )


@bp.route("/documents/<id:doc_id>/status", methods=["POST"])
@require_role("legal")
def status_submit(doc_id: int) -> Response | str | tuple[str, int]:
    """First post: check and show the confirm page. Second post (confirmed=1): make the change."""
    data = _document_status_data(doc_id)
    form = StatusForm()
    if not form.validate():
        return render_template("legal/status_form.html", doc=data, form=form), 400
    lib = get_library()
    kwargs = _status_kwargs(form)
    try:
        if request.form.get("confirmed") != "1":
            with lib.db.session() as s:
                check_change(s, doc_id, form.status.data, **kwargs)
            return render_template(
                "legal/status_confirm.html", doc=data, form=form, since=kwargs["since"] or today()
            )
        change_status(lib, doc_id, form.status.data, actor=actor_name(), **kwargs)
    except ValidityError as exc:
        form.status.errors = [str(exc)]
        return render_template("legal/status_form.html", doc=data, form=form), 400
    flash(f"已将文件 #{doc_id} 变更为“{status_label(form.status.data)}”。", "ok")
    return redirect(url_for("legal.status_page", doc_id=doc_id), code=303)


# --- cleanup sheets ----------------------------------------------------------------------------


class UploadForm(FlaskForm):
    sheet = FileField(
        "清理结果表（.xlsx 或 .csv）",
        validators=[
            FileRequired("请选择清理结果表文件。"),
            FileAllowed(["xlsx", "csv"], "只接受 .xlsx 或 .csv 文件。"),
        ],
    )
    basis = StringField(
        "清理决定（名称及文号）",
        validators=[DataRequired("请填写清理决定的名称及文号。"), Length(max=500)],
    )


class ApplyForm(FlaskForm):
    basis = StringField(
        "清理决定（名称及文号）",
        validators=[DataRequired("请填写清理决定的名称及文号。"), Length(max=500)],
    )


@bp.route("/cleanup", methods=["GET"])
@require_role("legal")
def cleanup_upload() -> str:
    return render_template("legal/cleanup_upload.html", form=UploadForm(formdata=None))


@bp.route("/cleanup", methods=["POST"])
@require_role("legal")
def cleanup_upload_submit() -> Response | tuple[str, int]:
    form = UploadForm()
    if form.validate():
        try:
            token = cleanup.save_upload(
                get_library(),
                form.sheet.data.read(),
                filename=form.sheet.data.filename or "清理结果表",
                basis=form.basis.data.strip(),
                actor=actor_name(),
            )
        except cleanup.CleanupError as exc:
            form.sheet.errors = [str(exc)]
        else:
            return redirect(url_for("legal.cleanup_preview", token=token), code=303)
    return render_template("legal/cleanup_upload.html", form=form), 400


def _load(token: str) -> tuple[list[cleanup.SheetRow], dict]:
    try:
        return cleanup.load_upload(get_library(), token)
    except cleanup.CleanupError as exc:
        abort(404, description=str(exc))


@bp.route("/cleanup/<token>", methods=["GET"])
@require_role("legal")
def cleanup_preview(token: str) -> Response | str:
    rows, meta = _load(token)
    preview = cleanup.preview_rows(get_library(), rows, today())
    show = request.args.get("show", "all")
    return respond(
        "legal/cleanup_preview.html",
        {"token": token, **meta, **preview.as_dict()},
        name="summary",
        token=token,
        meta=meta,
        preview=preview,
        counts=preview.counts,
        problems=sum(preview.counts[k] for k in cleanup.PROBLEM_OUTCOMES),
        show=show if show in FILTERS else "all",
        extra=lambda: {"form": ApplyForm(formdata=None, basis=meta.get("basis", ""))},
        outcome_labels=cleanup.OUTCOME_LABELS,
    )


@bp.route("/cleanup/<token>/apply", methods=["POST"])
@require_role("legal")
def cleanup_apply(token: str) -> Response | str | tuple[str, int]:
    rows, meta = _load(token)
    form = ApplyForm()
    picks = {}
    for key, value in request.form.items():
        row, doc_id = parse_whole(key.removeprefix("pick-")), parse_id(value)
        if key.startswith("pick-") and row is not None and doc_id is not None:
            picks[row] = doc_id
    if form.validate():
        try:
            result = cleanup.apply_sheet(
                get_library(),
                rows,
                actor=actor_name(),
                filename=meta.get("filename", "清理结果表"),
                basis=form.basis.data,
                picks=picks,
                today=today(),
            )
        except cleanup.CleanupError as exc:
            flash(str(exc), "error")
        else:
            flash(f"批次 #{result.batch_id} 已执行：变更 {result.changed} 件文件。", "ok")
            return redirect(url_for("legal.batch", batch_id=result.batch_id), code=303)
    else:
        flash("请填写清理决定的名称及文号后再执行。", "error")
    return redirect(url_for("legal.cleanup_preview", token=token), code=303)


@bp.route("/batches")
@require_role("legal")
def batches() -> Response | str:
    with get_library().db.session() as s:
        rows = [cleanup.batch_dict(b) for b in cleanup.list_batches(s)]
    return respond("legal/batches.html", {"batches": rows})


@bp.route("/batches/<id:batch_id>")
@require_role("legal")
def batch(batch_id: int) -> Response | str:
    with get_library().db.session() as s:
        data = cleanup.batch_view(s, batch_id)
    if data is None:
        abort(404, description=f"清理批次 #{batch_id} 不存在。")
    return respond("legal/batch.html", data, outcome_labels=cleanup.OUTCOME_LABELS)


@bp.route("/batches/<id:batch_id>/undo", methods=["POST"])
@require_role("legal")
def batch_undo(batch_id: int) -> Response:
    try:
        n = cleanup.undo_batch(get_library(), batch_id, actor=actor_name())
    except cleanup.CleanupError as exc:
        flash(str(exc), "error")
    else:
        flash(f"批次 #{batch_id} 已整批撤销，恢复了 {n} 项变更。", "ok")
    return redirect(url_for("legal.batch", batch_id=batch_id), code=303)


# --- proposals ---------------------------------------------------------------------------------


@bp.route("/proposals")
@require_role("legal")
def proposals() -> Response | str:
    with get_library().db.session() as s:
        rows = [
            proposal_dict(s, p) | {"default_basis": default_basis(s, p)}
            for p in pending_proposals(s)
        ]
    return respond("legal/proposals.html", {"proposals": rows})


@bp.route("/proposals/<id:proposal_id>/confirm", methods=["POST"])
@require_role("legal")
def proposal_confirm(proposal_id: int) -> Response:
    basis = (request.form.get("basis") or "").strip()[:500]
    reason = (request.form.get("reason") or "").strip()[:2000]
    try:
        change = confirm_proposal(
            get_library(),
            proposal_id,
            actor=actor_name(),
            basis=basis or None,
            reason=reason or None,
            today=today(),
        )
    except ValidityError as exc:
        flash(str(exc), "error")
    else:
        label = status_label(change.new_status)
        flash(f"已采纳建议 #{proposal_id}：文件 #{change.document_id} 变更为“{label}”。", "ok")
    return redirect(url_for("legal.proposals"), code=303)


@bp.route("/proposals/<id:proposal_id>/reject", methods=["POST"])
@require_role("legal")
def proposal_reject(proposal_id: int) -> Response:
    reason = (request.form.get("reason") or "").strip()[:2000]
    try:
        reject_proposal(get_library(), proposal_id, actor=actor_name(), reason=reason)
    except ValidityError as exc:
        flash(str(exc), "error")
    else:
        flash(f"已不采纳建议 #{proposal_id}。", "ok")
    return redirect(url_for("legal.proposals"), code=303)


# --- audit trail -------------------------------------------------------------------------------


def _audit_filters() -> dict:
    return {
        "actor": (request.args.get("actor") or "").strip()[:100] or None,
        "action": (request.args.get("action") or "").strip()[:50] or None,
        "entity_type": (request.args.get("entity_type") or "").strip()[:30] or None,
        "entity_id": (request.args.get("entity_id") or "").strip()[:50] or None,
        "batch_id": query_optional_id("batch", "清理批次编号"),
        "start": query_day("from"),
        "end": query_day("to"),
    }


@bp.route("/audit")
@require_role("legal")
def audit_page() -> Response | str:
    filters = _audit_filters()
    page = _page()
    fmt = request.args.get("format")
    with get_library().db.session() as s:
        if fmt == "csv":
            entries = trail.query(s, **filters, limit=CSV_MAX_ROWS)
        else:
            entries = trail.query(
                s, **filters, limit=AUDIT_PER_PAGE + 1, offset=(page - 1) * AUDIT_PER_PAGE
            )
        rows = [trail.entry_dict(e) for e in entries]
    if fmt == "csv":
        return Response(
            exports.to_csv(exports.audit_log(rows)),
            mimetype="text/csv",
            headers={"Content-Disposition": _attachment(f"audit-{today().isoformat()}.csv")},
        )
    has_more = len(rows) > AUDIT_PER_PAGE
    rows = rows[:AUDIT_PER_PAGE]
    args = {k: v for k, v in request.args.items() if k not in ("page", "format") and v}
    data = {"entries": rows, "page": page, "has_more": has_more, "filters": args}
    return respond(
        "legal/audit.html",
        data,
        csv_url=url_for("legal.audit_page", **args, format="csv"),
        page_url=lambda n: url_for("legal.audit_page", **args, page=n),
    )


# --- exports -----------------------------------------------------------------------------------


def _attachment(filename: str) -> str:
    """An ASCII fallback name plus the real (Chinese) one, as RFC 6266 browsers expect."""
    return f'attachment; filename="{filename.encode("ascii", "ignore").decode()}"; ' + (
        f"filename*=UTF-8''{quote(filename)}"
    )


def _send(table: exports.Table, fmt: str, stem: str) -> Response:
    if fmt == "xlsx":
        body = exports.to_xlsx(table)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, mimetype = exports.to_csv(table), "text/csv"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": _attachment(f"{stem}.{fmt}")}
    )


@bp.route("/exports")
@require_role("legal")
def exports_page() -> str:
    end = today()
    start = end.replace(day=1) if end.day > 1 else (end - timedelta(days=1)).replace(day=1)
    return render_template("legal/exports.html", start=start, end=end)


@bp.route("/exports/catalogue.<any(xlsx, csv):fmt>")
@require_role("legal")
def export_catalogue(fmt: str) -> Response:
    with get_library().db.session() as s:
        table = exports.catalogue(s, today())
    return _send(table, fmt, f"现行有效规范性文件目录-{today().isoformat()}")


@bp.route("/exports/changes.<any(xlsx, csv):fmt>")
@require_role("legal")
def export_changes(fmt: str) -> Response:
    start = query_day("from") or today().replace(day=1)
    end = query_day("to") or today()
    if end < start:
        abort(400, description="截止日期早于起始日期；请调换后重试。")
    with get_library().db.session() as s:
        table = exports.status_changes(s, start, end)
    return _send(table, fmt, f"时效性变更清单-{start.isoformat()}至{end.isoformat()}")
