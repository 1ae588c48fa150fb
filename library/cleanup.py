"""The legal office's cleanup sheet (清理结果表): read it, preview each row, apply as one batch, undo.

The sheet is the natural bulk input: a row names a document (文号 and/or title, as a clerk typed
them) and its 清理结果. Rows are matched by normalised 文号 first, then by title (exact after
normalisation, then fuzzy). Nothing is changed until the clerk has seen the preview and resolved
what the machine could not decide; apply and undo are each one transaction.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.docnumber import looks_like_doc_number, normalize_doc_number

from . import audit
from .core import Library
from .models import CleanupBatch, Document, StatusChange, utcnow
from .sheet_reader import SheetError, read_table
from .status_changes import batch_changes
from .status_labels import status_label
from .titles import TitleMatcher, best_or_ambiguous, normalize_title, title_keys
from .uploads import UploadStore
from .validity.common import Touched, ValidityError, split_basis
from .validity.status import restore_change, set_status, state_matches

log = logging.getLogger("policylib.cleanup")

OUTCOMES = ("matched", "unchanged", "ambiguous", "not_found", "invalid")
OUTCOME_LABELS = {
    "matched": "将变更",
    "unchanged": "无需变更",
    "ambiguous": "待选择",
    "not_found": "未找到",
    "invalid": "表格有误",
}
PROBLEM_OUTCOMES = ("ambiguous", "not_found", "invalid")
MAX_ROWS = 10_000
# Below this title similarity a 文号 match is still taken, but the clerk is warned.
TITLE_WARN_BELOW = 60.0

# 清理结果 wording -> status. Order matters: 部分失效 and 宣布失效 before 失效, 继续有效 before 有效.
RESULT_WORDS = (
    ("部分失效", "partially_invalid"),
    ("宣布失效", "expired"),
    ("失效", "expired"),
    ("废止", "repealed"),
    ("修改", "amended"),
    ("修订", "amended"),
    ("继续有效", "valid"),
    ("有效", "valid"),
    ("保留", "valid"),
)

# Header cell -> column, by the words a header contains; the first rule that fits wins.
HEADER_RULES = (
    ("doc_number", ("文号", "字号", "文件编号")),
    ("issuer", ("机关", "单位", "部门")),
    ("title", ("名称", "标题", "文件名")),
    ("result", ("清理结果", "清理意见", "清理情况", "处理结果", "清理类别", "结果", "意见")),
    ("seq", ("序号", "编号")),
    ("note", ("备注", "说明", "理由")),
)


class CleanupError(ValueError):
    """The sheet or request cannot be used; the message names the problem and the way out."""


@dataclass
class SheetRow:
    row: int  # the row number the clerk sees in Excel (1-based, header included)
    seq: str = ""
    title: str = ""
    doc_number: str = ""
    result: str = ""
    note: str = ""
    issuer: str = ""


@dataclass
class PreviewRow:
    row: int
    seq: str
    title: str
    doc_number: str
    result: str
    note: str
    match: str
    new_status: str | None = None
    document_id: int | None = None
    document_title: str | None = None
    document_number: str | None = None
    old_status: str | None = None
    matched_by: str | None = None  # doc_number | title
    score: float | None = None
    superseded_by_id: int | None = None
    status_note: str | None = None
    candidates: list[dict] = field(default_factory=list)
    message: str | None = None

    def as_dict(self) -> dict:
        d = asdict(self)
        d["new_status_label"] = status_label(self.new_status)
        d["old_status_label"] = status_label(self.old_status)
        d["match_label"] = OUTCOME_LABELS[self.match]
        return d


@dataclass
class Preview:
    rows: list[PreviewRow]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for r in self.rows:
            counts[r.match] += 1
        return counts

    def as_dict(self) -> dict:
        return {"counts": self.counts, "rows": [r.as_dict() for r in self.rows]}


# --- reading the sheet -------------------------------------------------------------------------


def _cell_text(text: str) -> str:
    """Line breaks and runs of spaces inside a cell count as one space when matching."""
    return re.sub(r"\s+", " ", text).strip()


def _header_key(text: str) -> str | None:
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    for key, words in HEADER_RULES:
        if any(w in t for w in words):
            return key
    return None


def _find_header(rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    """The first of the top rows that names a result column and a title or 文号 column."""
    for i, cells in enumerate(rows[:20]):
        columns: dict[str, int] = {}
        for j, cell in enumerate(cells):
            key = _header_key(cell) if cell else None
            if key and key not in columns:
                columns[key] = j
        if "result" in columns and ({"title", "doc_number"} & columns.keys()):
            return i, columns
    raise CleanupError(
        "找不到表头：表格前 20 行中须有“清理结果”列，以及“文件名称”或“文号”列。"
        "请检查表头后重新上传。"
    )


def read_sheet(data: bytes, name: str = "清理结果表") -> list[SheetRow]:
    """Rows of an XLSX or CSV cleanup sheet (told apart by content, not by the file's name),
    read by the one sheet reader the Q&A import uses too, with its limits."""
    try:
        table = read_table(name, data, max_rows=MAX_ROWS)
    except SheetError as exc:
        raise CleanupError(str(exc)) from exc
    raw = [[_cell_text(c) for c in row] for row in table.rows]
    head, columns = _find_header(raw)
    out: list[SheetRow] = []
    section_result = ""
    for i, cells in enumerate(raw[head + 1 :], start=head + 2):
        filled = [c for c in cells if c]
        if not filled:
            continue
        if len(filled) == 1 and _map_result(filled[0]) and not looks_like_doc_number(filled[0]):
            section_result = filled[0]  # a heading such as 一、继续有效的规范性文件（12件）
            continue

        def col(key: str, cells: list[str] = cells) -> str:
            j = columns.get(key)
            return cells[j] if j is not None and j < len(cells) else ""

        row = SheetRow(
            row=i,
            seq=col("seq"),
            title=col("title"),
            doc_number=col("doc_number"),
            result=col("result") or section_result,
            note=col("note"),
            issuer=col("issuer"),
        )
        if len(filled) > 1:  # a lone cell is a heading or a footnote, not a document row
            out.append(row)
    if not out:
        raise CleanupError("表格中没有可处理的行；请确认表头下方填写了文件名称、文号和清理结果。")
    if len(out) > MAX_ROWS:
        raise CleanupError(f"表格有 {len(out)} 行，超过上限 {MAX_ROWS} 行；请拆分后分批上传。")
    return out


def _map_result(text: str) -> str | None:
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    for word, status in RESULT_WORDS:
        if word in t:
            return status
    return None


# --- preview -----------------------------------------------------------------------------------


@dataclass
class DocInfo:
    id: int
    title: str
    doc_number: str | None
    doc_number_norm: str | None
    issuer: str | None
    status: str
    effective_date: date | None
    day: date


class Catalogue:
    """Every normative document's matching facts, loaded once so a 300-row preview stays fast."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(
            select(
                Document.id,
                Document.title,
                Document.doc_number,
                Document.doc_number_norm,
                Document.issuer,
                Document.status,
                Document.effective_date,
                Document.published_date,
                Document.signed_date,
            ).where(Document.kind == "document")
        ).all()
        self.docs = {
            r.id: DocInfo(
                r.id,
                r.title or "",
                r.doc_number,
                r.doc_number_norm,
                r.issuer,
                r.status,
                r.effective_date,
                r.effective_date or r.published_date or r.signed_date or date.min,
            )
            for r in rows
        }
        self.by_number: dict[str, list[int]] = {}
        for d in self.docs.values():
            if d.doc_number_norm:
                self.by_number.setdefault(d.doc_number_norm, []).append(d.id)
        self.titles = TitleMatcher(
            {d.id: title_keys(d.title, d.issuer) for d in self.docs.values()}
        )

    def newer_version(self, doc_id: int) -> int | None:
        """The latest document of the same title and issuer, dated after this one, if any."""
        doc = self.docs[doc_id]
        same = {i for k in title_keys(doc.title, doc.issuer) for i in self.titles.exact.get(k, [])}
        newer = [
            self.docs[i]
            for i in same
            if i != doc_id
            and self.docs[i].issuer == doc.issuer
            and (self.docs[i].day, i) > (doc.day, doc_id)
        ]
        return max(newer, key=lambda d: (d.day, d.id)).id if newer else None

    def candidate(self, doc_id: int, score: float | None = None) -> dict:
        d = self.docs[doc_id]
        return {
            "document_id": d.id,
            "title": d.title,
            "doc_number": d.doc_number,
            "issuer": d.issuer,
            "status": d.status,
            "status_label": status_label(d.status),
            "score": round(score, 1) if score is not None else None,
        }


def _title_score(title: str, doc: DocInfo) -> float:
    norm = normalize_title(title)
    return max((fuzz.ratio(norm, k) for k in title_keys(doc.title, doc.issuer)), default=0.0)


def _locate(cat: Catalogue, row: SheetRow) -> tuple[str, list[tuple[int, float]], str | None, str]:
    """(matched|ambiguous|not_found, [(doc id, score)], matched_by, message) for one row."""
    number = normalize_doc_number(row.doc_number) if row.doc_number else ""
    by_number = cat.by_number.get(number, []) if looks_like_doc_number(number) else []
    if len(by_number) == 1:
        doc_id = by_number[0]
        score = _title_score(row.title, cat.docs[doc_id]) if row.title else 100.0
        msg = "文号相符，但标题差异较大，请核对。" if score < TITLE_WARN_BELOW else ""
        return "matched", [(doc_id, score)], "doc_number", msg
    if len(by_number) > 1:
        scored = sorted(
            ((i, _title_score(row.title, cat.docs[i])) for i in by_number),
            key=lambda p: -p[1],
        )
        if row.title and scored[0][1] == 100.0 and scored[1][1] < 100.0:
            return "matched", scored[:1], "doc_number", ""
        return "ambiguous", scored, "doc_number", "多个文件的文号相同，请选择。"
    hits = cat.titles.find(row.title) if row.title else []
    best, close = best_or_ambiguous(hits)
    if best is None and close and row.issuer:
        same_issuer = [h for h in close if cat.docs[h.key].issuer == row.issuer]
        best = same_issuer[0] if len(same_issuer) == 1 else None
    if best is not None:
        doc = cat.docs[best.key]
        if number and doc.doc_number_norm and doc.doc_number_norm != number:
            return (
                "ambiguous",
                [(best.key, best.score)],
                "title",
                f"标题相符，但文号不同（表中为 {row.doc_number}，库中为 {doc.doc_number}），请确认。",
            )
        return "matched", [(best.key, best.score)], "title", ""
    if close:
        return "ambiguous", [(h.key, h.score) for h in close], "title", "有多个相近的文件，请选择。"
    return "not_found", [], None, "库中没有文号或标题相符的文件。"


def _plan(cat: Catalogue, prow: PreviewRow, doc_id: int, today: date) -> None:
    """Fill in the change a row makes to `doc_id` (or mark it unchanged)."""
    doc = cat.docs[doc_id]
    prow.document_id, prow.document_title = doc.id, doc.title
    prow.document_number, prow.old_status = doc.doc_number, doc.status
    status = prow.new_status
    pending_start = doc.effective_date is not None and doc.effective_date > today
    if doc.status == status or (
        status == "valid" and doc.status == "not_yet_effective" and pending_start
    ):
        prow.match = "unchanged"
        return
    prow.match = "matched"
    prow.status_note = prow.note or None
    if status == "amended":
        prow.superseded_by_id = cat.newer_version(doc_id)
        if prow.superseded_by_id is None and not prow.note:
            prow.status_note = "清理结果为“修改”，库中尚无修改后的新版本。"
    if status == "partially_invalid" and not prow.note:
        prow.match = "invalid"
        prow.message = "“部分失效”须在备注中写明失效的部分。"


def _preview_row(cat: Catalogue, row: SheetRow, today: date) -> PreviewRow:
    prow = PreviewRow(
        row=row.row,
        seq=row.seq,
        title=row.title,
        doc_number=row.doc_number,
        result=row.result,
        note=row.note,
        match="not_found",
        new_status=_map_result(row.result),
    )
    if not (row.title or row.doc_number):
        prow.match = "invalid"
        prow.message = "此行没有文件名称，也没有文号，无法匹配。"
        return prow
    if prow.new_status is None:
        prow.match = "invalid"
        prow.message = (
            f"无法识别的清理结果“{row.result}”；应为 继续有效、修改、废止、宣布失效 或 失效。"
            if row.result
            else "清理结果为空；请填写 继续有效、修改、废止、宣布失效 或 失效。"
        )
        return prow
    outcome, found, prow.matched_by, message = _locate(cat, row)
    prow.message = message or None
    if outcome == "matched":
        prow.score = round(found[0][1], 1)
        _plan(cat, prow, found[0][0], today)
    else:
        prow.match = outcome
        prow.candidates = [cat.candidate(i, s) for i, s in found]
    return prow


def _mark_duplicates(rows: list[PreviewRow]) -> None:
    """Two rows that name the same document cannot both be applied: the later one is invalid."""
    first: dict[int, int] = {}
    for r in rows:
        if r.document_id is None or r.match not in ("matched", "unchanged"):
            continue
        if r.document_id in first:
            r.match = "invalid"
            r.message = (
                f"与第 {first[r.document_id]} 行指向同一文件 #{r.document_id}，此行不会执行。"
            )
        else:
            first[r.document_id] = r.row


def build_preview(session: Session, rows: list[SheetRow], today: date | None = None) -> Preview:
    """What applying the sheet would do, row by row, against the database as it is now."""
    today = today or date.today()
    cat = Catalogue(session)
    out = [_preview_row(cat, r, today) for r in rows]
    _mark_duplicates(out)
    return Preview(out)


def preview_file(lib: Library, data: bytes, today: date | None = None) -> Preview:
    return preview_rows(lib, read_sheet(data), today)


def preview_rows(lib: Library, rows: list[SheetRow], today: date | None = None) -> Preview:
    """The preview of rows already read (an upload is parsed once, see `save_upload`)."""
    with lib.db.session() as session:
        return build_preview(session, rows, today)


# --- apply and undo ----------------------------------------------------------------------------


@dataclass
class ApplyResult:
    batch_id: int
    changed: int
    skipped: dict[str, int]
    preview: Preview

    def as_dict(self) -> dict:
        return {
            "batch": self.batch_id,
            "changed": self.changed,
            "skipped": self.skipped,
            "counts": self.preview.counts,
            "rows": [r.as_dict() for r in self.preview.rows],
        }


def _resolve_picks(preview: Preview, picks: dict[int, int], cat_docs: dict[int, DocInfo]) -> None:
    by_row = {r.row: r for r in preview.rows}
    for row_no, doc_id in picks.items():
        prow = by_row.get(row_no)
        if prow is None:
            raise CleanupError(f"第 {row_no} 行不在表格中（或不是文件行），不能为它选择文件。")
        if prow.match != "ambiguous":
            raise CleanupError(f"第 {row_no} 行不是“待选择”的行，不能为它选择文件。")
        if doc_id not in {c["document_id"] for c in prow.candidates}:
            raise CleanupError(f"文件 #{doc_id} 不是第 {row_no} 行的候选文件；请从候选中选择。")
        if doc_id not in cat_docs:
            raise CleanupError(f"文件 #{doc_id} 不存在。")


def apply_sheet(
    lib: Library,
    sheet: bytes | list[SheetRow],
    *,
    actor: str,
    filename: str,
    basis: str | None = None,
    picks: dict[int, int] | None = None,
    today: date | None = None,
) -> ApplyResult:
    """Apply every matched row (and each ambiguous row the clerk picked for) as ONE batch.

    The preview is recomputed inside the transaction, so the batch does exactly what the sheet
    says against the database as it is at this moment; any failure leaves nothing changed.
    """
    today = today or date.today()
    picks = picks or {}
    rows = read_sheet(sheet, filename) if isinstance(sheet, bytes) else sheet
    basis = (basis or "").strip() or f"清理结果表《{filename}》"
    basis_title, basis_number = split_basis(basis)
    touched = Touched()
    with lib.db.session() as session:
        cat = Catalogue(session)
        preview = Preview([_preview_row(cat, r, today) for r in rows])
        _resolve_picks(preview, picks, cat.docs)
        for prow in preview.rows:
            if prow.match == "ambiguous" and prow.row in picks:
                _plan(cat, prow, picks[prow.row], today)
                prow.matched_by = "pick"
        _mark_duplicates(preview.rows)
        batch = CleanupBatch(
            filename=filename,
            basis_title=basis_title,
            basis_number=basis_number,
            actor=actor,
            row_count=len(preview.rows),
            summary=preview.counts,
        )
        session.add(batch)
        session.flush()
        for prow in preview.rows:
            if prow.match != "matched":
                continue
            try:
                touched.merge(
                    set_status(
                        session,
                        prow.document_id,
                        prow.new_status,
                        actor=actor,
                        reason=f"清理结果“{prow.result}”（{filename} 第 {prow.row} 行）",
                        basis=basis,
                        since=today,
                        note=prow.status_note,
                        superseded_by_id=prow.superseded_by_id,
                        batch_id=batch.id,
                        today=today,
                    )
                )
            except ValidityError as exc:
                raise CleanupError(f"第 {prow.row} 行无法执行：{exc}（整批未作任何变更）") from exc
        changed = sum(1 for r in preview.rows if r.match == "matched")
        batch.changed_count = changed
        audit.record(
            session,
            actor=actor,
            action="cleanup.apply",
            entity_type="cleanup_batch",
            entity_id=batch.id,
            after={"filename": filename, "changed": changed, "counts": preview.counts},
            basis=basis_title,
            batch_id=batch.id,
        )
        batch_id = batch.id
    touched.refresh_index(lib)
    skipped = {k: v for k, v in preview.counts.items() if k != "matched" and v}
    log.info("cleanup applied batch=%s changed=%d actor=%s", batch_id, changed, actor)
    return ApplyResult(batch_id, changed, skipped, preview)


def undo_batch(lib: Library, batch_id: int, *, actor: str) -> int:
    """Revert a whole batch to the identical prior state; refused if anything changed since."""
    touched = Touched()
    with lib.db.session() as session:
        batch = session.get(CleanupBatch, batch_id)
        if batch is None:
            raise CleanupError(f"批次 #{batch_id} 不存在；请用 `policylib cleanup batches` 查看。")
        if batch.undone_at is not None:
            raise CleanupError(f"批次 #{batch_id} 已于 {batch.undone_at:%Y-%m-%d %H:%M} 撤销。")
        changes = list(
            session.scalars(
                select(StatusChange)
                .where(StatusChange.batch_id == batch_id, StatusChange.reverts_id.is_(None))
                .order_by(StatusChange.id)
            )
        )
        last = {c.document_id: c for c in changes}
        moved = [
            doc_id
            for doc_id, c in last.items()
            if not state_matches(session.get(Document, doc_id), c)
        ]
        if moved:
            ids = "、".join(f"#{i}" for i in sorted(moved))
            raise CleanupError(
                f"批次 #{batch_id} 之后，文件 {ids} 的状态又被变更过，不能整批撤销；"
                "请逐个文件在其状态页处理。"
            )
        reason = f"撤销清理批次 #{batch_id}"
        for change in reversed(changes):
            touched.merge(restore_change(session, change, actor=actor, reason=reason))
        batch.undone_at, batch.undone_by = utcnow(), actor
        audit.record(
            session,
            actor=actor,
            action="cleanup.undo",
            entity_type="cleanup_batch",
            entity_id=batch_id,
            before={"changed": batch.changed_count},
            reason=reason,
            batch_id=batch_id,
        )
    touched.refresh_index(lib)
    log.info("cleanup undone batch=%s changes=%d actor=%s", batch_id, len(changes), actor)
    return len(changes)


# --- uploads and batches -----------------------------------------------------------------------


def _store(lib: Library) -> UploadStore:
    return UploadStore(lib, "cleanup", CleanupError, "清理结果表")


def save_upload(lib: Library, data: bytes, *, filename: str, basis: str, actor: str) -> str:
    """Read the sheet once (refusing one that cannot be read now, not at apply time) and keep its
    rows between preview and apply; the token names it, nothing else does."""
    rows = read_sheet(data, filename)
    parsed = [asdict(r) for r in rows]
    return _store(lib).save(data, parsed, filename=filename, basis=basis, actor=actor)


def load_upload(lib: Library, token: str) -> tuple[list[SheetRow], dict]:
    """The sheet's rows as read at upload, and what was said about it (file name, basis, who)."""
    upload = _store(lib).load(token)
    return [SheetRow(**r) for r in upload.parsed], upload.meta


def batch_dict(batch: CleanupBatch) -> dict:
    return {
        "id": batch.id,
        "filename": batch.filename,
        "basis": batch.basis_title,
        "basis_number": batch.basis_number,
        "actor": batch.actor,
        "at": batch.at.isoformat() if batch.at else None,
        "row_count": batch.row_count,
        "changed_count": batch.changed_count,
        "summary": batch.summary,
        "undone_at": batch.undone_at.isoformat() if batch.undone_at else None,
        "undone_by": batch.undone_by,
    }


def list_batches(session: Session, limit: int = 200) -> list[CleanupBatch]:
    return list(session.scalars(select(CleanupBatch).order_by(CleanupBatch.id.desc()).limit(limit)))


def batch_view(session: Session, batch_id: int) -> dict | None:
    """One batch and the changes it made (its page and JSON); None when there is no such batch."""
    batch = session.get(CleanupBatch, batch_id)
    if batch is None:
        return None
    return {"batch": batch_dict(batch), "changes": batch_changes(session, batch_id)}
