"""The export to the hotline's knowledge store: published entries whose bases are all current.

Formats: JSON (for systems), CSV and XLSX (for people; the columns are the import columns, so an
export can be edited and imported back). The ETag is a hash of the exported records, not of the
file bytes, so it stays the same until an entry or a basis document really changes and a
polling system can ask with If-None-Match and get 304.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..core import Library
from ..models import QAEntry
from ..spreadsheet_cells import neutralise_row
from .entries import bases_current, entry_dict, load_documents

FORMATS = {
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Fields a knowledge store needs; workflow internals (owner, source, review_reason) stay home.
RECORD_FIELDS = (
    "id",
    "external_id",
    "question",
    "similar_questions",
    "answer",
    "topic",
    "department",
    "region",
    "basis",
    "review_by",
    "last_reviewed_at",
    "version",
    "updated_at",
)
TABLE_COLUMNS = (
    "external_id",
    "question",
    "similar_questions",
    "answer",
    "topic",
    "basis",
    "department",
    "region",
    "status",
    "review_by",
    "last_reviewed_at",
    "id",
)


@dataclass
class Export:
    body: bytes
    etag: str
    mimetype: str
    filename: str
    count: int


def export_records(session: Session) -> list[dict]:
    """The exportable entries as plain dicts, ordered by id so the same data hashes the same."""
    stmt = (
        select(QAEntry)
        .where(QAEntry.status == "published")
        .options(selectinload(QAEntry.bases))
        .order_by(QAEntry.id)
    )
    entries = list(session.scalars(stmt))
    docs = load_documents(session, entries)
    return [
        {k: v for k, v in entry_dict(e, docs).items() if k in RECORD_FIELDS}
        for e in entries
        if bases_current(e, docs)
    ]


def records_etag(records: list[dict]) -> str:
    canonical = json.dumps(records, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _row(record: dict) -> list[object]:
    """One table row, every cell neutralised: the public can read this export into a spreadsheet."""
    values = record | {
        "status": "published",
        "similar_questions": "|".join(record["similar_questions"]),
        "basis": "|".join(b["ref"] for b in record["basis"]),
    }
    return neutralise_row("" if values.get(c) is None else str(values[c]) for c in TABLE_COLUMNS)


def to_json(records: list[dict]) -> bytes:
    return json.dumps(
        {"count": len(records), "entries": records}, ensure_ascii=False, indent=1
    ).encode("utf-8")


def to_csv(records: list[dict]) -> bytes:
    """UTF-8 with BOM so Excel opens the Chinese correctly."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(TABLE_COLUMNS)
    writer.writerows(_row(r) for r in records)
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(records: list[dict]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("问答")
    ws.append(list(TABLE_COLUMNS))
    for r in records:
        ws.append(_row(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


WRITERS = {"json": to_json, "csv": to_csv, "xlsx": to_xlsx}


def build_export(lib: Library, fmt: str = "json") -> Export:
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(WRITERS)}")
    with lib.db.session() as session:
        records = export_records(session)
    return Export(
        body=WRITERS[fmt](records),
        etag=f"{records_etag(records)}-{fmt}",
        mimetype=FORMATS[fmt],
        filename=f"qa_export.{fmt}",
        count=len(records),
    )


def current_etag(lib: Library, fmt: str = "json") -> str:
    """The ETag alone, for answering If-None-Match without writing the file."""
    with lib.db.session() as session:
        return f"{records_etag(export_records(session))}-{fmt}"
