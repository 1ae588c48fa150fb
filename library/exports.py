"""Published lists: the 现行有效规范性文件目录 and the documents whose status changed in a period.

Both come as XLSX (what the office publishes) and CSV (UTF-8 with BOM, so Excel on a Chinese
Windows opens it right). The catalogue's columns are the ones a cleanup sheet is read with, so an
exported catalogue, with a 清理结果 column filled in, is a valid cleanup sheet.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.records import CURRENT_STATUSES

from .models import Document, StatusChange
from .spreadsheet_cells import neutralise_row
from .validity.common import status_label


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[object]]
    widths: list[int]


def catalogue(session: Session, today: date | None = None) -> Table:
    """The current (现行有效) normative documents, by issuer then date, numbered for publication."""
    docs = session.scalars(
        select(Document)
        .where(Document.kind == "document", Document.status.in_(CURRENT_STATUSES))
        .order_by(Document.issuer, Document.signed_date, Document.published_date, Document.id)
    ).all()
    rows = [
        [
            n,
            d.title,
            d.doc_number or "",
            d.issuer or "",
            d.signed_date or d.published_date,
            d.effective_date,
            d.expiry_date,
            status_label(d.status),
            d.status_note or "",
            d.id,
        ]
        for n, d in enumerate(docs, start=1)
    ]
    day = (today or date.today()).isoformat()
    return Table(
        title=f"现行有效规范性文件目录（截至 {day}）",
        headers=[
            "序号",
            "文件名称",
            "文号",
            "发文机关",
            "成文日期",
            "施行日期",
            "有效期至",
            "时效性",
            "备注",
            "库内ID",
        ],
        rows=rows,
        widths=[6, 60, 22, 24, 12, 12, 12, 10, 30, 9],
    )


def status_changes(session: Session, start: date, end: date) -> Table:
    """Every status change whose date (since) falls in [start, end], undone batches marked."""
    changes = session.execute(
        select(StatusChange, Document)
        .join(Document, Document.id == StatusChange.document_id)
        .where(StatusChange.since >= start, StatusChange.since <= end)
        .order_by(StatusChange.since, StatusChange.id)
    ).all()
    reverted = set(
        session.scalars(select(StatusChange.reverts_id).where(StatusChange.reverts_id.is_not(None)))
    )
    rows = [
        [
            n,
            d.title,
            d.doc_number or "",
            d.issuer or "",
            status_label(c.old_status),
            status_label(c.new_status),
            c.since,
            c.basis_title or "",
            c.reason or "",
            c.note or "",
            c.actor,
            c.at.replace(microsecond=0).isoformat(sep=" ") if c.at else "",
            c.batch_id or "",
            "撤销操作" if c.reverts_id else ("已撤销" if c.id in reverted else ""),
            d.id,
        ]
        for n, (c, d) in enumerate(changes, start=1)
    ]
    return Table(
        title=f"规范性文件时效性变更清单（{start.isoformat()} 至 {end.isoformat()}）",
        headers=[
            "序号",
            "文件名称",
            "文号",
            "发文机关",
            "原状态",
            "新状态",
            "起始日期",
            "依据",
            "理由",
            "备注",
            "操作人",
            "记录时间",
            "清理批次",
            "撤销",
            "库内ID",
        ],
        rows=rows,
        widths=[6, 50, 22, 24, 10, 10, 12, 40, 40, 30, 12, 20, 9, 9, 9],
    )


def _text(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def to_csv(table: Table) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(neutralise_row(table.headers))
    for row in table.rows:
        writer.writerow(neutralise_row(_text(v) for v in row))
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table) -> bytes:
    """One sheet, header row first (so it reads back as a cleanup sheet), frozen, sized, dated."""
    wb = Workbook()
    ws = wb.active
    ws.title = table.title[:31].replace("（", "(").replace("）", ")")
    ws.append(neutralise_row(table.headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for row in table.rows:
        ws.append(neutralise_row(row))
    for idx, width in enumerate(table.widths, start=1):
        ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = width
    for col in ws.iter_cols(min_row=2):
        for cell in col:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    wb.properties.title = table.title
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def audit_log(entries: list[dict]) -> Table:
    """The audit trail as filtered on its page, for the office's own records."""
    rows = [
        [
            e["id"],
            (e["at"] or "")[:19].replace("T", " "),
            e["actor"],
            e["action"],
            e["entity_type"],
            e["entity_id"] or "",
            json.dumps(e["before"], ensure_ascii=False) if e["before"] else "",
            json.dumps(e["after"], ensure_ascii=False) if e["after"] else "",
            e["basis"] or "",
            e["reason"] or "",
            e["batch_id"] or "",
        ]
        for e in entries
    ]
    return Table(
        title="审计记录",
        headers=[
            "编号",
            "时间（UTC）",
            "操作人",
            "操作",
            "对象类型",
            "对象编号",
            "变更前",
            "变更后",
            "依据",
            "理由",
            "清理批次",
        ],
        rows=rows,
        widths=[8, 20, 16, 22, 14, 10, 40, 40, 40, 40, 9],
    )
