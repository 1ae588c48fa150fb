"""Import a Q&A knowledge base from XLSX, CSV or JSON, with a preview before anything is written.

A hotline usually arrives with years of approved answers in a spreadsheet. Each row is matched
to a stored entry by `external_id` (the hotline system's own id, kept as given), or, for rows
without one, by the identical question; the preview says per row `new`, `update` (with the fields
that change), `unchanged` or `error` (with the reason). Applying writes the good rows and reports
the bad ones; a row never half-applies and nothing stored changes for a row in error.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import Library
from ..models import QAEntry
from ..sheet_reader import SheetError
from ..sheet_reader import read_table as read_sheet_table
from ..uploads import UploadStore
from .entries import (
    BasisResolver,
    EntryInput,
    QAError,
    check_input,
    content,
    input_content,
    load_documents,
    parse_status,
    stale_bases,
)
from .workflow import commit_and_index, create_entry, get_entry, set_status, update_entry

log = logging.getLogger("policylib.qa")

MAX_ROWS = 20_000
FORMATS = ("xlsx", "csv", "json")
# Column names accepted, English and Chinese, compared without case, spaces or underscores.
COLUMNS = {
    "external_id": ("external_id", "externalid", "编号", "外部编号", "知识编号", "问答编号"),
    "question": ("question", "问题", "标准问题", "标准问"),
    "similar_questions": ("similar_questions", "similar", "相似问法", "相似问题", "扩展问法"),
    "answer": ("answer", "答案", "回答", "标准答案"),
    "topic": ("topic", "分类", "主题", "类别"),
    "basis": ("basis", "依据", "政策依据"),
    "department": ("department", "部门", "责任部门", "主管部门"),
    "region": ("region", "地区", "区域"),
    "status": ("status", "状态"),
    "review_by": ("review_by", "复核日期"),
}
REQUIRED = ("question", "answer")
_HEADER_KEY = re.compile(r"[\s_\-]+")
_LOOKUP = {_HEADER_KEY.sub("", n).lower(): key for key, names in COLUMNS.items() for n in names}


@dataclass
class RowResult:
    row: int  # spreadsheet row number (header = 1) or 1-based position in a JSON list
    outcome: str  # new | update | unchanged | error
    external_id: str | None = None
    question: str | None = None
    entry_id: int | None = None
    status: str | None = None  # the status the entry has after applying
    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reason: str | None = None


@dataclass
class ImportReport:
    filename: str
    format: str
    columns: list[str]
    ignored_columns: list[str]
    rows: list[RowResult]
    applied: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("new", "update", "unchanged", "error"), 0)
        for r in self.rows:
            counts[r.outcome] += 1
        return counts

    @property
    def qa_ids(self) -> set[int]:
        return {r.entry_id for r in self.rows if r.entry_id and r.outcome in ("new", "update")}

    def to_dict(self) -> dict:
        return {
            "filename": self.filename,
            "format": self.format,
            "applied": self.applied,
            "columns": self.columns,
            "ignored_columns": self.ignored_columns,
            "counts": self.counts,
            "rows": [asdict(r) for r in self.rows],
        }


# --- reading files -----------------------------------------------------------------------------


def _json_records(filename: str, doc: object) -> list[dict]:
    if isinstance(doc, dict):
        doc = next((doc[k] for k in ("entries", "items", "data", "results") if k in doc), None)
    if not isinstance(doc, list):
        raise QAError(f"{filename}：JSON 应为问答对象的数组，或含 entries 数组的对象。")
    return doc[: MAX_ROWS + 1]


def _header_map(headers: list[str]) -> tuple[dict[int, str], list[str]]:
    mapping, ignored = {}, []
    for i, h in enumerate(headers):
        key = _LOOKUP.get(_HEADER_KEY.sub("", str(h or "")).lower())
        if key and key not in mapping.values():
            mapping[i] = key
        elif str(h or "").strip():
            ignored.append(str(h).strip())
    return mapping, ignored


def _check_columns(filename: str, found: set[str]) -> None:
    missing = [k for k in REQUIRED if k not in found]
    if missing:
        names = "、".join(f"{k}（{COLUMNS[k][2]}）" for k in missing)
        raise QAError(
            f"{filename}：缺少必需的列 {names}；第一行应为列名，如 编号、问题、相似问法、答案、分类、依据、部门。"
        )


Parsed = tuple[str, list[str], list[str], list[tuple[int, dict]]]


def read_table(filename: str, data: bytes) -> Parsed:
    """(format, recognised columns, ignored columns, [(row number, {column: value})]), read by
    the one sheet reader the cleanup upload uses too, with its limits."""
    try:
        table = read_sheet_table(filename, data, max_rows=MAX_ROWS, formats=FORMATS)
    except SheetError as exc:
        raise QAError(str(exc)) from exc
    fmt = table.format
    if fmt == "json":
        records = []
        headers: dict[str, None] = {}
        for pos, obj in enumerate(_json_records(filename, table.document), start=1):
            if not isinstance(obj, dict):
                records.append((pos, {"__error__": "该项不是对象"}))
                continue
            mapping, _ = _header_map(list(obj))
            headers.update(dict.fromkeys(obj))
            records.append((pos, {key: obj[list(obj)[i]] for i, key in mapping.items()}))
        mapping, ignored = _header_map(list(headers))
        _check_columns(filename, set(mapping.values()))
        return fmt, list(mapping.values()), ignored, records
    table = table.rows
    start = next((i for i, r in enumerate(table) if any(c for c in r)), None)
    if start is None:
        raise QAError(f"{filename}：文件中没有任何数据行。")
    mapping, ignored = _header_map(table[start])
    _check_columns(filename, set(mapping.values()))
    records = []
    for offset, row in enumerate(table[start + 1 :], start=start + 2):
        if any(c for c in row):
            records.append(
                (offset, {k: row[i] if i < len(row) else "" for i, k in mapping.items()})
            )
    return fmt, list(mapping.values()), ignored, records


# --- planning ----------------------------------------------------------------------------------


@dataclass
class _Plan:
    result: RowResult
    data: EntryInput | None = None
    status: str | None = None  # explicit status from the file, or the default for new rows


class _Matcher:
    """Stored entries by external_id and by question, loaded once per import."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(select(QAEntry.id, QAEntry.external_id, QAEntry.question)).all()
        self.by_external: dict[str, list[int]] = {}
        self.by_question: dict[str, int] = {}
        for r in rows:
            if r.external_id:
                self.by_external.setdefault(r.external_id, []).append(r.id)
            else:
                self.by_question.setdefault(r.question, r.id)

    def find(self, data: EntryInput) -> int | None:
        if data.external_id:
            ids = self.by_external.get(data.external_id, [])
            if len(ids) > 1:
                raise QAError(
                    f"库中有 {len(ids)} 条编号为“{data.external_id}”的条目，无法确定更新哪一条。"
                )
            return ids[0] if ids else None
        return self.by_question.get(data.question)


def _keep_missing(data: EntryInput, entry: QAEntry, columns: set[str]) -> EntryInput:
    """Fields the file has no column for keep their stored values (an editor's review date, owner)."""
    kept = {f: getattr(entry, f) for f in ("review_by", "owner")}
    for column, attr in (("topic", "topic"), ("department", "department"), ("region", "region")):
        if column not in columns:
            kept[attr] = getattr(entry, attr)
    if "similar_questions" not in columns:
        kept["similar"] = list(entry.similar or [])
    if "basis" not in columns:
        kept["bases"] = [b.ref for b in entry.bases]
    if "review_by" in columns and data.review_by is not None:
        kept.pop("review_by")
    return replace(data, **kept)


def _plan_row(
    session: Session,
    number: int,
    raw: dict,
    columns: set[str],
    matcher: _Matcher,
    resolver: BasisResolver,
    seen: dict[str, int],
) -> _Plan:
    result = RowResult(row=number, outcome="error")
    try:
        if "__error__" in raw:
            raise QAError(raw["__error__"])
        data = check_input(
            question=raw.get("question"),
            answer=raw.get("answer"),
            similar=raw.get("similar_questions"),
            topic=raw.get("topic"),
            department=raw.get("department"),
            region=raw.get("region"),
            bases=raw.get("basis"),
            review_by=raw.get("review_by"),
            external_id=raw.get("external_id"),
        )
        result.external_id, result.question = data.external_id, data.question
        explicit = str(raw.get("status") or "").strip()
        status = parse_status(explicit) if explicit else None
        key = data.external_id or f"q:{data.question}"
        if key in seen:
            raise QAError(f"与第 {seen[key]} 行重复（编号或问题相同）")
        seen[key] = number
        entry_id = matcher.find(data)
    except QAError as exc:
        result.reason = str(exc).rstrip("。")
        result.question = result.question or (str(raw.get("question") or "").strip()[:80] or None)
        return _Plan(result)
    unresolved = [r for r in data.bases if resolver.resolve(r) is None]
    if unresolved:
        result.warnings.append("依据未在库中找到，按原文保存：" + "、".join(unresolved))
    result.entry_id = entry_id
    if entry_id is None:
        result.outcome = "new"
        result.status = status or "published"
        return _Plan(result, data, result.status)
    entry = get_entry(session, entry_id)
    data = _keep_missing(data, entry, columns)
    before, after = content(entry), input_content(data, entry)
    result.changes = [k for k in after if after[k] != before[k]]
    if status and status != entry.status:
        result.changes.append("status")
    result.outcome = "update" if result.changes else "unchanged"
    result.status = (status or "published") if result.changes else entry.status
    return _Plan(result, data, status or "published")


def _plan(session: Session, columns: list[str], records: list[tuple[int, dict]]) -> list[_Plan]:
    if len(records) > MAX_ROWS:
        raise QAError(f"文件超过 {MAX_ROWS} 行；请拆分后分批导入。")
    matcher, resolver, seen = _Matcher(session), BasisResolver(session), {}
    cols = set(columns)
    return [_plan_row(session, n, raw, cols, matcher, resolver, seen) for n, raw in records]


def preview(session: Session, filename: str, data: bytes) -> ImportReport:
    """What applying the file would do, row by row; writes nothing."""
    return preview_parsed(session, filename, read_table(filename, data))


def preview_parsed(session: Session, filename: str, parsed: Parsed) -> ImportReport:
    """`preview` of a file already read (an upload is parsed once, see `save_upload`)."""
    fmt, columns, ignored, records = parsed
    plans = _plan(session, columns, records)
    return ImportReport(filename, fmt, columns, ignored, [p.result for p in plans])


def _apply_plan(session: Session, plan: _Plan, actor: str, resolver: BasisResolver) -> None:
    r = plan.result
    if r.outcome == "new":
        entry = create_entry(
            session, plan.data, actor=actor, status=plan.status, source="import", resolver=resolver
        )
        r.entry_id = entry.id
    else:
        entry = update_entry(session, r.entry_id, plan.data, actor=actor, resolver=resolver)
        if entry.status != plan.status:
            set_status(session, entry, plan.status, actor=actor, action="qa.import_status")
    if entry.status != r.status:
        r.status = entry.status
        stale = stale_bases(entry, load_documents(session, [entry]))
        if stale:
            r.warnings.append("依据文件已不再现行有效，条目进入待复核：" + entry.review_reason)


def apply(session: Session, filename: str, data: bytes, *, actor: str) -> ImportReport:
    """Write every good row, each in its own savepoint; bad rows are reported and skipped."""
    return apply_parsed(session, filename, read_table(filename, data), actor=actor)


def apply_parsed(session: Session, filename: str, parsed: Parsed, *, actor: str) -> ImportReport:
    """`apply` of a file already read (an upload kept by `save_upload`)."""
    fmt, columns, ignored, records = parsed
    plans = _plan(session, columns, records)
    resolver = BasisResolver(session)
    for plan in plans:
        if plan.result.outcome not in ("new", "update"):
            continue
        try:
            with session.begin_nested():
                _apply_plan(session, plan, actor, resolver)
        except QAError as exc:
            plan.result.outcome, plan.result.reason = "error", str(exc).rstrip("。")
    report = ImportReport(filename, fmt, columns, ignored, [p.result for p in plans], applied=True)
    log.info("qa import file=%s actor=%s counts=%s", filename, actor, report.counts)
    return report


def import_file(lib: Library, path: Path, *, actor: str, write: bool) -> ImportReport:
    """Preview (write=False) or apply a file from disk, refreshing the index after applying."""
    data = Path(path).read_bytes()
    if not write:
        with lib.db.session() as session:
            return preview(session, Path(path).name, data)
    return commit_and_index(lib, lambda s: apply(s, Path(path).name, data, actor=actor))


# --- uploads kept between the web preview and apply -------------------------------------------


def _store(lib: Library) -> UploadStore:
    return UploadStore(lib, "qa", QAError, "问答表")


def save_upload(lib: Library, data: bytes, *, filename: str, actor: str) -> str:
    """Read an uploaded file once (refusing one that cannot be read now) and keep what was read
    for preview then apply."""
    parsed = read_table(filename, data)
    return _store(lib).save(data, parsed, filename=filename, actor=actor)


def load_upload(lib: Library, token: str) -> tuple[Parsed, dict]:
    """The file as read at upload (format, columns, ignored columns, records) and its metadata."""
    upload = _store(lib).load(token)
    fmt, columns, ignored, records = upload.parsed
    return (fmt, columns, ignored, [(n, raw) for n, raw in records]), upload.meta
