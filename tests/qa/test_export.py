"""Export to the hotline knowledge store: JSON, CSV, XLSX, a stable ETag, and round trips."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from openpyxl import load_workbook

from library.core import Library
from library.qa.export import TABLE_COLUMNS, build_export, current_etag
from library.qa.importer import import_file
from library.qa.workflow import commit_and_index, retire


def test_formats_hold_the_same_entries(shared_qa_lib: Library) -> None:
    data = json.loads(build_export(shared_qa_lib, "json").body)
    assert data["count"] == 56 == len(data["entries"])
    first = data["entries"][0]
    assert {"id", "external_id", "question", "similar_questions", "answer", "basis"} <= set(first)
    assert "owner" not in first and "review_reason" not in first
    rows = list(
        csv.reader(io.StringIO(build_export(shared_qa_lib, "csv").body.decode("utf-8-sig")))
    )
    assert tuple(rows[0]) == TABLE_COLUMNS and len(rows) == 57
    ws = load_workbook(io.BytesIO(build_export(shared_qa_lib, "xlsx").body)).active
    sheet = [[c.value for c in r] for r in ws.iter_rows()]
    assert tuple(sheet[0]) == TABLE_COLUMNS and len(sheet) == 57
    assert (
        {r[0] for r in rows[1:]}
        == {r[0] for r in sheet[1:]}
        == {e["external_id"] for e in data["entries"]}
    )


def test_etag_is_stable_until_something_changes(qa_lib: Library) -> None:
    first = build_export(qa_lib, "json")
    assert build_export(qa_lib, "json").etag == first.etag == current_etag(qa_lib, "json")
    assert build_export(qa_lib, "csv").etag != first.etag  # another representation
    entry_id = json.loads(first.body)["entries"][0]["id"]
    commit_and_index(qa_lib, lambda s: retire(s, entry_id, actor="e", reason="停用"))
    after = build_export(qa_lib, "json")
    assert after.etag != first.etag and after.count == first.count - 1


def test_csv_export_imports_back_unchanged(qa_lib: Library, tmp_path: Path) -> None:
    for fmt in ("csv", "xlsx", "json"):
        path = tmp_path / f"export.{fmt}"
        path.write_bytes(build_export(qa_lib, fmt).body)
        report = import_file(qa_lib, path, actor="test", write=False)
        assert report.counts == {"new": 0, "update": 0, "unchanged": 56, "error": 0}, fmt
