"""Import a Q&A knowledge base from XLSX, CSV or JSON, with a preview before anything is written.

A hotline usually arrives with years of approved answers in a spreadsheet. Each row is matched
to a stored entry by `external_id` (the hotline system's own id, kept as given), or, for rows
without one, by the identical question; the preview says per row `new`, `update` (with the fields
that change), `unchanged` or `error` (with the reason). Applying writes the good rows and reports
the bad ones; a row never half-applies and nothing stored changes for a row in error.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import secrets
import zipfile
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from charset_normalizer import from_bytes
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import Library
from ..models import QAEntry, utcnow
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
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_XLSX_INFLATED = 300 * 1024 * 1024
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


def detect_format(filename: str, data: bytes) -> str:
    """By content first (a zip is XLSX, `[`/`{` is JSON), then by extension."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"[", b"{"):
        return "json"
    ext = Path(filename).suffix.lower().lstrip(".")
    if ext in ("xls", "xlsm"):
        raise QAError(
            f"{filename}：不支持旧版 .xls 格式；请在表格软件中另存为 .xlsx 或 .csv 后再导入。"
        )
    return ext if ext in FORMATS else "csv"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(filename: str, data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            inflated = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise QAError(
            f"{filename}：不是有效的 XLSX 文件（压缩包已损坏）；请重新导出后再试。"
        ) from exc
    if inflated > MAX_XLSX_INFLATED:
        raise QAError(f"{filename}：表格解压后过大（{inflated // 2**20} MB）；请拆分后分批导入。")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise QAError(
            f"{filename}：无法读取 XLSX 文件（{exc.__class__.__name__}）；请用表格软件打开另存后再试。"
        ) from exc
    try:
        rows = []
        for row in wb.worksheets[0].iter_rows(values_only=True):
            rows.append([_cell(v) for v in row])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        wb.close()


def _decode(filename: str, data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None:
        raise QAError(f"{filename}：无法识别文件编码；请另存为 UTF-8 编码的 CSV 后再导入。")
    return str(best)


def _csv_rows(filename: str, data: bytes) -> list[list[str]]:
    if b"\x00" in data[:4096]:
        raise QAError(
            f"{filename}：文件内容不是文本表格（含二进制数据）；请导出为 CSV、XLSX 或 JSON。"
        )
    text = _decode(filename, data)
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count) if first else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows = []
        for row in reader:
            rows.append([c.strip() for c in row])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    except csv.Error as exc:
        raise QAError(f"{filename}：CSV 格式有误（{exc}）；请检查引号是否成对。") from exc


def _json_records(filename: str, data: bytes) -> list[dict]:
    try:
        doc = json.loads(_decode(filename, data))
    except json.JSONDecodeError as exc:
        raise QAError(f"{filename}：JSON 格式有误（第 {exc.lineno} 行：{exc.msg}）。") from exc
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


def read_table(
    filename: str, data: bytes
) -> tuple[str, list[str], list[str], list[tuple[int, dict]]]:
    """(format, recognised columns, ignored columns, [(row number, {column: value})])."""
    if not data:
        raise QAError(f"{filename}：文件为空。")
    if len(data) > MAX_FILE_BYTES:
        raise QAError(f"{filename}：文件超过 {MAX_FILE_BYTES // 2**20} MB；请拆分后分批导入。")
    fmt = detect_format(filename, data)
    if fmt == "json":
        records = []
        headers: dict[str, None] = {}
        for pos, obj in enumerate(_json_records(filename, data), start=1):
            if not isinstance(obj, dict):
                records.append((pos, {"__error__": "该项不是对象"}))
                continue
            mapping, _ = _header_map(list(obj))
            headers.update(dict.fromkeys(obj))
            records.append((pos, {key: obj[list(obj)[i]] for i, key in mapping.items()}))
        mapping, ignored = _header_map(list(headers))
        _check_columns(filename, set(mapping.values()))
        return fmt, list(mapping.values()), ignored, records
    table = _xlsx_rows(filename, data) if fmt == "xlsx" else _csv_rows(filename, data)
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
    fmt, columns, ignored, records = read_table(filename, data)
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
    fmt, columns, ignored, records = read_table(filename, data)
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

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _uploads(lib: Library) -> Path:
    folder = lib.settings.home / "uploads" / "qa"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_upload(lib: Library, data: bytes, *, filename: str, actor: str) -> str:
    """Keep an uploaded file for preview then apply; refuses a file that cannot be read now."""
    read_table(filename, data)
    token = secrets.token_hex(16)
    (_uploads(lib) / f"{token}.bin").write_bytes(data)
    meta = {"filename": filename, "actor": actor, "at": utcnow().isoformat()}
    (_uploads(lib) / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    return token


def load_upload(lib: Library, token: str) -> tuple[bytes, dict]:
    if not _TOKEN.match(token or ""):
        raise QAError("上传凭据无效；请重新上传问答表。")
    path = _uploads(lib) / f"{token}.bin"
    if not path.exists():
        raise QAError("找不到先前上传的问答表（可能已被清除）；请重新上传。")
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return path.read_bytes(), meta
