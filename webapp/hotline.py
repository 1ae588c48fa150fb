"""The 12345 hotline console and the Q&A editors' pages, under /hotline.

Agents (and editors, admins) search while a caller waits: `/hotline` has the search box focused,
results update as they type (static/hotline.js calls `/hotline/search`), and everything works by
keyboard. Without JavaScript the same page works as a plain form with links. Each search is
logged (keystrokes of one question collapse into one row), each open, copy, 已解决 and 没帮助 too;
`/hotline/stats` shows what is asked most and what found nothing.

Editors and admins write and review entries here: the review queue, the editor, publish, flag,
retire, version history, and a spreadsheet import with a preview. Every page has a JSON twin.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from library.inputs import parse_id, parse_whole
from library.models import QA_STATUS_LABELS, QA_STATUSES
from library.qa import stats as qa_stats
from library.qa.entries import (
    ANSWER_MAX,
    QUESTION_MAX,
    EntryInput,
    QAError,
    check_input,
    entry_dict,
    list_topics,
    load_documents,
)
from library.qa.importer import Parsed, load_upload, preview_parsed, save_upload
from library.qa.importer import apply_parsed as apply_import
from library.qa.search import HOTLINE_STATUSES, search_entries
from library.qa.workflow import (
    approve,
    commit_and_index,
    create_entry,
    flag_for_review,
    get_entry,
    list_entries,
    retire,
    review_queue,
    update_entry,
    versions,
)

from .auth import actor_name, require_role
from .context import get_library, wants_json
from .links import document_url
from .params import query_day, query_optional_id
from .respond import respond

bp = Blueprint("hotline", __name__, url_prefix="/hotline")

AGENT_ROLES = ("agent", "editor")
EDITOR_ROLES = ("editor",)
MAX_RESULTS = 10
EVENT_MESSAGES = {"solved": "已记录：问题已解决。", "not_helpful": "已记录：答案没帮助。"}


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals.update(qa_status_labels=QA_STATUS_LABELS)


def _can_edit() -> bool:
    return current_user.is_authenticated and current_user.has_role(*EDITOR_ROLES)


def _hit_view(item: dict) -> dict:
    """An entry as the console shows it: basis links, review date, the needs-review warning."""
    for b in item["basis"]:
        b["url"] = document_url(b["document_id"]) if b["document_id"] else None
    reviewed = item.get("last_reviewed_at")
    return item | {
        "needs_review": item["status"] == "needs_review",
        "last_reviewed_on": reviewed[:10] if reviewed else None,
        "url": url_for("hotline.entry", entry_id=item["id"]),
    }


def _search(q: str, with_review: bool) -> tuple[list[dict], int | None]:
    """Run the finder and log the query for the high-frequency view; (results, query id)."""
    q = q.strip()[:200]
    if not q:
        return [], None
    lib = get_library()
    statuses = HOTLINE_STATUSES if with_review else ("published",)
    results = [_hit_view(r) for r in search_entries(lib, q, statuses=statuses, limit=MAX_RESULTS)]
    with lib.db.session() as s:
        row = qa_stats.log_query(
            s,
            channel="hotline",
            query=q,
            result_count=len(results),
            top_entry_id=results[0]["id"] if results else None,
            user=current_user.name,
        )
        query_id = row.id if row else None
    return results, query_id


def _with_review() -> bool:
    return request.args.get("review") == "1"


# --- the console -------------------------------------------------------------------------------


@bp.route("")
@require_role(*AGENT_ROLES)
def console() -> Response | str:
    q = (request.args.get("q") or "").strip()
    results, query_id = _search(q, _with_review())
    return respond(
        "hotline/console.html",
        {"query": q, "query_id": query_id, "results": results},
        q=q,
        with_review=_with_review(),
    )


@bp.route("/search")
@require_role(*AGENT_ROLES)
def search() -> Response:
    """The JSON the console's script asks for on each keystroke."""
    q = (request.args.get("q") or "").strip()
    results, query_id = _search(q, _with_review())
    return jsonify({"query": q, "query_id": query_id, "results": results})


@bp.route("/entries/<id:entry_id>")
@require_role(*AGENT_ROLES)
def entry(entry_id: int) -> Response | str:
    """One entry with its basis, review state and (for editors) its versions and actions."""
    lib = get_library()
    query_id = query_optional_id("qid", "查询编号")
    with lib.db.session() as s:
        try:
            found = get_entry(s, entry_id)
        except QAError as exc:
            abort(404, description=str(exc))
        item = _hit_view(entry_dict(found, load_documents(s, [found])))
        item["versions"] = versions(s, entry_id) if _can_edit() else []
        if query_id is not None and found.status in HOTLINE_STATUSES:  # opened from a search
            qa_stats.log_event(
                s, event="open", entry_id=entry_id, query_id=query_id, user=current_user.name
            )
    return respond(
        "hotline/entry.html",
        item,
        name="e",
        query_id=query_id,
        q=request.args.get("q", ""),
        can_edit=_can_edit(),
        extra=lambda: {"action_form": ActionForm(formdata=None)},
    )


@bp.route("/events", methods=["POST"])
@require_role(*AGENT_ROLES)
def event() -> Response:
    """open / copy / solved / not_helpful, from the script (JSON) or the no-script forms."""
    data = request.get_json(silent=True) if request.is_json else request.form
    if not isinstance(data, Mapping):
        data = {}  # a JSON array or number is no event: answered 400 below
    entry_id = parse_id(str(data.get("entry_id") or ""))
    raw_qid = str(data.get("query_id") or "")
    query_id = parse_id(raw_qid) if raw_qid else None
    if entry_id is None or (raw_qid and query_id is None):
        abort(400, description="entry_id 和 query_id 应为正整数编号。")
    event_name = str(data.get("event") or "")
    with get_library().db.session() as s:
        if query_id is not None:
            owner = qa_stats.query_owner(s, query_id)
            query_id = query_id if owner == current_user.name else None
        try:
            qa_stats.log_event(
                s, event=event_name, entry_id=entry_id, query_id=query_id, user=current_user.name
            )
        except QAError as exc:
            abort(400, description=str(exc))
    if request.is_json:
        return jsonify({"ok": True, "event": event_name})
    flash(EVENT_MESSAGES.get(event_name, "已记录。"), "ok")
    return redirect(url_for("hotline.console"), code=303)


# --- the high-frequency view -------------------------------------------------------------------


@bp.route("/stats")
@require_role(*AGENT_ROLES)
def stats_page() -> Response | str:
    period = request.args.get("period", "week")
    if period not in qa_stats.GRANULARITIES:
        period = "week"
    day = query_day("day")
    with get_library().db.session() as s:
        data = qa_stats.overview(s, period, today=day)
    return respond(
        "hotline/stats.html",
        data,
        name="data",
        period=period,
        granularities=qa_stats.GRANULARITIES,
        event_labels=qa_stats.EVENT_LABELS,
    )


# --- editors: queue, list, editor, actions ----------------------------------------------------


class EntryForm(FlaskForm):
    question = StringField(
        "标准问题",
        validators=[DataRequired("请填写标准问题。"), Length(max=QUESTION_MAX)],
    )
    similar = TextAreaField("相似问法（每行一条）", validators=[Optional(), Length(max=20_000)])
    answer = TextAreaField(
        "答案", validators=[DataRequired("请填写答案。"), Length(max=ANSWER_MAX)]
    )
    topic = StringField("分类", validators=[Optional(), Length(max=50)])
    department = StringField("责任部门", validators=[Optional(), Length(max=200)])
    region = StringField("适用地区", validators=[Optional(), Length(max=200)])
    bases = TextAreaField(
        "政策依据（每行一条：文号、标题或 #文件编号）", validators=[Optional(), Length(max=5000)]
    )
    review_by = DateField("下次复核日期", validators=[Optional()])
    external_id = StringField("热线系统编号", validators=[Optional(), Length(max=100)])
    version = HiddenField()


class ActionForm(FlaskForm):
    """Publish, flag or retire: the reason is required for the last two (checked by the service)."""

    reason = StringField("原因 / 审核意见", validators=[Optional(), Length(max=500)])


class ImportForm(FlaskForm):
    sheet = FileField(
        "问答表（.xlsx、.csv 或 .json）",
        validators=[
            FileRequired("请选择要导入的文件。"),
            FileAllowed(["xlsx", "csv", "json"], "只接受 .xlsx、.csv 或 .json 文件。"),
        ],
    )


@bp.route("/review")
@require_role(*EDITOR_ROLES)
def review() -> Response | str:
    with get_library().db.session() as s:
        queue = [_hit_view(e) for e in review_queue(s)]
    return respond("hotline/review.html", {"queue": queue})


@bp.route("/entries")
@require_role(*EDITOR_ROLES)
def entries() -> Response | str:
    status = request.args.get("status", "")
    status = status if status in QA_STATUSES else None
    topic = (request.args.get("topic") or "").strip() or None
    with get_library().db.session() as s:
        total, rows = list_entries(s, status=status, topic=topic)
        docs = load_documents(s, rows)
        items = [_hit_view(entry_dict(e, docs)) for e in rows]
        topics = list_topics(s)
    return respond(
        "hotline/entries.html",
        {"total": total, "entries": items},
        status=status,
        topic=topic,
        topics=topics,
        status_labels_qa=QA_STATUS_LABELS,
    )


def _form_input(form: EntryForm) -> EntryInput:
    return check_input(
        question=form.question.data,
        answer=form.answer.data,
        similar=form.similar.data,
        topic=form.topic.data,
        department=form.department.data,
        region=form.region.data,
        bases=form.bases.data,
        review_by=form.review_by.data,
        external_id=form.external_id.data,
    )


def _editor(form: EntryForm, item: dict | None, status: int = 200) -> tuple[str, int]:
    with get_library().db.session() as s:
        topics = list_topics(s)
    return render_template("hotline/edit.html", form=form, e=item, topics=topics), status


@bp.route("/entries/new", methods=["GET", "POST"])
@require_role(*EDITOR_ROLES)
def new_entry() -> Response | tuple[str, int]:
    form = EntryForm()
    if form.validate_on_submit():
        try:
            data = _form_input(form)
            created = commit_and_index(
                get_library(), lambda s: create_entry(s, data, actor=actor_name())
            )
        except QAError as exc:
            form.form_errors.append(str(exc))
        else:
            flash(f"已保存为草稿 #{created.id}；审核后可发布。", "ok")
            return redirect(url_for("hotline.entry", entry_id=created.id), code=303)
    return _editor(form, None, 400 if form.errors or form.form_errors else 200)


@bp.route("/entries/<id:entry_id>/edit", methods=["GET", "POST"])
@require_role(*EDITOR_ROLES)
def edit_entry(entry_id: int) -> Response | tuple[str, int]:
    lib = get_library()
    with lib.db.session() as s:
        try:
            found = get_entry(s, entry_id)
        except QAError as exc:
            abort(404, description=str(exc))
        item = _hit_view(entry_dict(found, load_documents(s, [found])))
    if request.method == "GET":
        form = EntryForm(
            formdata=None,
            question=item["question"],
            similar="\n".join(item["similar_questions"]),
            answer=item["answer"],
            topic=item["topic"],
            department=item["department"],
            region=item["region"],
            bases="\n".join(b["ref"] for b in item["basis"]),
            review_by=date.fromisoformat(item["review_by"]) if item["review_by"] else None,
            external_id=item["external_id"],
            version=str(item["version"]),
        )
        return _editor(form, item)
    form = EntryForm()
    if form.validate():
        try:
            data = _form_input(form)
            expected = parse_whole(form.version.data)
            commit_and_index(
                lib,
                lambda s: update_entry(
                    s, entry_id, data, actor=actor_name(), expected_version=expected
                ),
            )
        except QAError as exc:
            form.form_errors.append(str(exc))
        else:
            flash("修改已保存。", "ok")
            return redirect(url_for("hotline.entry", entry_id=entry_id), code=303)
    return _editor(form, item, 400)


ACTIONS = {
    "publish": (
        lambda s, i, actor, reason: approve(s, i, actor=actor, note=reason),
        "已审核发布。",
    ),
    "flag": (
        lambda s, i, actor, reason: flag_for_review(s, i, actor=actor, reason=reason),
        "已退回待复核。",
    ),
    "retire": (lambda s, i, actor, reason: retire(s, i, actor=actor, reason=reason), "已停用。"),
}


@bp.route("/entries/<id:entry_id>/<action>", methods=["POST"])
@require_role(*EDITOR_ROLES)
def entry_action(entry_id: int, action: str) -> Response:
    if action not in ACTIONS:
        abort(404)
    form = ActionForm()
    if not form.validate():
        abort(400, description="表单无效，请刷新页面后重试。")
    work, message = ACTIONS[action]
    reason = (form.reason.data or "").strip()
    try:
        commit_and_index(get_library(), lambda s: work(s, entry_id, actor_name(), reason))
    except QAError as exc:
        if wants_json():
            abort(409, description=str(exc))
        flash(str(exc), "error")
    else:
        if wants_json():
            return jsonify({"ok": True, "action": action})
        flash(message, "ok")
    return redirect(url_for("hotline.entry", entry_id=entry_id), code=303)


# --- import ------------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@require_role(*EDITOR_ROLES)
def import_upload() -> Response | tuple[str, int] | str:
    form = ImportForm()
    if request.method == "POST" and form.validate():
        try:
            token = save_upload(
                get_library(),
                form.sheet.data.read(),
                filename=form.sheet.data.filename or "问答表",
                actor=actor_name(),
            )
        except QAError as exc:
            form.sheet.errors = [str(exc)]
        else:
            return redirect(url_for("hotline.import_preview", token=token), code=303)
    if request.method == "POST":
        return render_template("hotline/import.html", form=form), 400
    return render_template("hotline/import.html", form=ImportForm(formdata=None))


def _upload(token: str) -> tuple[Parsed, dict]:
    try:
        return load_upload(get_library(), token)
    except QAError as exc:
        abort(404, description=str(exc))


@bp.route("/import/<token>")
@require_role(*EDITOR_ROLES)
def import_preview(token: str) -> Response | str:
    parsed, meta = _upload(token)
    with get_library().db.session() as s:
        try:
            report = preview_parsed(s, meta["filename"], parsed)
        except QAError as exc:
            abort(400, description=str(exc))
    return respond(
        "hotline/import_preview.html",
        {"token": token, **report.to_dict()},
        name="summary",
        report=report,
        token=token,
        extra=lambda: {"form": ActionForm(formdata=None)},
    )


@bp.route("/import/<token>/apply", methods=["POST"])
@require_role(*EDITOR_ROLES)
def import_apply(token: str) -> Response | str:
    parsed, meta = _upload(token)
    if not ActionForm().validate():
        abort(400, description="表单无效，请刷新页面后重试。")
    try:
        report = commit_and_index(
            get_library(), lambda s: apply_import(s, meta["filename"], parsed, actor=actor_name())
        )
    except QAError as exc:
        abort(400, description=str(exc))
    return respond(
        "hotline/import_preview.html",
        report.to_dict(),
        name="summary",
        report=report,
        token=token,
        form=None,
    )
