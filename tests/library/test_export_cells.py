"""No export hands a formula to a spreadsheet: every CSV and XLSX cell the product writes that
starts with =, +, -, @, a tab or a carriage return is text (library/spreadsheet_cells.py).

Covers the public Q&A export (/api/qa/export, CSV and XLSX), the legal office's catalogue and
status-change exports (CSV and XLSX, the same functions the pages and `policylib export` use)
and the audit CSV.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from library import audit, exports
from library.core import Library
from library.models import Document, QAEntry
from library.spreadsheet_cells import FORMULA_START
from library.validity.status import change_status
from webapp import create_app

EVIL = ["=1+2", "+SUM(A1:A9)", "-2+3", "@cmd|' /C calc'!A0", "\tTAB", "\rCR"]


def _library_with_formulas(lib: Library) -> None:
    with lib.db.session() as s:
        doc = Document(
            title=EVIL[0], doc_number=EVIL[1], issuer=EVIL[3], text="正文", content_hash="e" * 64
        )
        s.add(doc)
        s.add(
            QAEntry(
                question=EVIL[0],
                similar=[EVIL[2]],
                answer=EVIL[1],
                topic=EVIL[4],
                department=EVIL[3],
                region=EVIL[5],
                external_id=EVIL[2],
                status="published",
            )
        )
        s.flush()
        doc_id = doc.id
        audit.record(
            s,
            actor=EVIL[3],
            action="test.formula",
            entity_type="document",
            entity_id=doc_id,
            reason=EVIL[0],
        )
    change_status(
        lib, doc_id, "repealed", actor=EVIL[3], reason=EVIL[2], basis=EVIL[0], note=EVIL[5]
    )


def _csv_cells(body: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")) for c in row]


def _xlsx_cells(body: bytes) -> list[object]:
    ws = load_workbook(io.BytesIO(body)).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells), "openpyxl stored a formula"
    return [c.value for c in cells]


def _assert_neutral(cells: list[object], where: str) -> None:
    texts = [c for c in cells if isinstance(c, str)]
    assert not [c for c in texts if c.startswith(FORMULA_START)], where
    assert {f"'{e}" for e in EVIL} & set(texts), f"{where}: the crafted values are not in it"


def test_every_export_neutralises_formula_cells(lib: Library) -> None:
    _library_with_formulas(lib)
    client = create_app(lib, config={"TESTING": True}).test_client()
    csv_body = client.get("/api/qa/export?format=csv").data
    _assert_neutral(_csv_cells(csv_body), "Q&A CSV")
    _assert_neutral(_xlsx_cells(client.get("/api/qa/export?format=xlsx").data), "Q&A XLSX")
    with lib.db.session() as s:
        tables = {
            "changes": exports.status_changes(s, date(2000, 1, 1), date(2100, 1, 1)),
            "audit": exports.audit_log([audit.entry_dict(e) for e in audit.query(s)]),
        }
        with_current = exports.catalogue(s)
    for name, table in tables.items():
        _assert_neutral(_csv_cells(exports.to_csv(table)), f"{name} CSV")
        _assert_neutral(_xlsx_cells(exports.to_xlsx(table)), f"{name} XLSX")
    assert with_current.rows == [], "the repealed document is not in the current catalogue"
    assert exports.to_csv(with_current)  # the catalogue shares to_csv/to_xlsx checked above
