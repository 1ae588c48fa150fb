"""Crafted spreadsheets get a 400 naming the problem, in the cleanup upload as in the Q&A import,
read by the one sheet reader (library/sheet_reader.py); an upload is parsed once and kept.

Every file is made here for real: an XLSX written by openpyxl whose sheet XML is then edited the way
an attacker would (a lying dimension, a far-away cell, a DTD, broken XML), a CSV with a field over
the csv module's limit, a JSON array nested 100,000 deep.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import zipfile
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from library import cleanup
from library.core import Library
from library.qa import importer
from library.sheet_reader import MAX_COLUMNS
from tests.validity.conftest import csrf_token, make_doc, sign_in

SHEET_XML = "xl/worksheets/sheet1.xml"


def xlsx(rows: list[list[str]], edit: Callable[[str], str] = lambda xml: xml) -> bytes:
    """A real workbook of `rows`, its first sheet's XML passed through `edit`."""
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == SHEET_XML:
                data = edit(data.decode("utf-8")).encode("utf-8")
            dst.writestr(item, data)
    return out.getvalue()


CLEANUP_ROWS = [["序号", "文件名称", "清理结果"], ["1", "关于加强路灯管理的通知", "废止"]]
QA_ROWS = [["问题", "答案"], ["路灯坏了找谁？", "向城市管理部门反映。"]]


def lying_dimension(xml: str) -> str:
    return re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', xml)


def cell_at(column: str) -> Callable[[str], str]:
    """One more cell in the second row, in `column`."""

    def edit(xml: str) -> str:
        cell = f'<c r="{column}2" t="inlineStr"><is><t>x</t></is></c>'
        first, rest = xml.split("</row>", 1)
        return first + "</row>" + rest.replace("</row>", cell + "</row>", 1)

    return edit


def lying_and_far(xml: str) -> str:
    return cell_at("XFD")(lying_dimension(xml))


def far_row(xml: str) -> str:
    last = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return xml.replace("</sheetData>", last + "</sheetData>")


def with_dtd(xml: str) -> str:
    dtd = '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    declaration, _, body = xml.rpartition("?>")
    return f"{declaration}?>{dtd}{body}" if declaration else dtd + xml


def broken(xml: str) -> str:
    return xml[: len(xml) // 2]


def big_field_csv(header: list[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows([header, ["x" * (csv.field_size_limit() + 10)] * len(header)])
    return buf.getvalue().encode("utf-8")


DEEP_JSON = b"[" * 100_000 + b"]" * 100_000

# (crafted file maker taking the good rows, words the refusal must contain)
CRAFTED = {
    "wide-row": (lambda rows: xlsx(rows, cell_at(get_column_letter(MAX_COLUMNS + 1))), "超过"),
    "far-row": (lambda rows: xlsx(rows, far_row), "表格超过"),
    "dtd": (lambda rows: xlsx(rows, with_dtd), "DTD"),
    "broken-xml": (lambda rows: xlsx(rows, broken), "XML 结构已损坏"),
    "csv-field": (lambda rows: big_field_csv(rows[0]), f"超过 {csv.field_size_limit()} 个字符"),
}


def test_a_lying_dimension_is_ignored_by_both_readers() -> None:
    """A 5 KB workbook declaring A1:XFD1048576, with a cell in its last column, reads as the two
    rows it really has: cells right of the column cap are never read."""
    sheet = xlsx(CLEANUP_ROWS, lying_and_far)
    assert len(sheet) < 8000 and b"XFD1048576" in zipfile.ZipFile(io.BytesIO(sheet)).read(SHEET_XML)
    assert [(r.row, r.title, r.result) for r in cleanup.read_sheet(sheet)] == [
        (2, "关于加强路灯管理的通知", "废止")
    ]
    _, columns, _, records = importer.read_table("kb.xlsx", xlsx(QA_ROWS, lying_and_far))
    assert columns == ["question", "answer"]
    assert records == [(2, {"question": "路灯坏了找谁？", "answer": "向城市管理部门反映。"})]


def signed_in(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    sign_in(client, name)
    return client


@pytest.fixture
def clerk(app: Flask, accounts: dict[str, str]) -> FlaskClient:
    return signed_in(app, accounts["legal"])


@pytest.fixture
def editor(app: Flask, accounts: dict[str, str]) -> FlaskClient:
    return signed_in(app, accounts["editor"])


def post_cleanup(client: FlaskClient, data: bytes, name: str):
    token = csrf_token(client, "/legal/cleanup")
    form = {"csrf_token": token, "basis": "某府办〔2024〕1号", "sheet": (io.BytesIO(data), name)}
    return client.post("/legal/cleanup", data=form, content_type="multipart/form-data")


def post_import(client: FlaskClient, data: bytes, name: str):
    token = csrf_token(client, "/hotline/import")
    form = {"csrf_token": token, "sheet": (io.BytesIO(data), name)}
    return client.post("/hotline/import", data=form, content_type="multipart/form-data")


@pytest.mark.parametrize("kind", list(CRAFTED))
def test_crafted_files_get_a_400_naming_the_problem_on_both_pages(
    clerk: FlaskClient, editor: FlaskClient, kind: str
) -> None:
    make, words = CRAFTED[kind]
    suffix = "csv" if kind.startswith("csv") else "xlsx"
    for resp in (
        post_cleanup(clerk, make(CLEANUP_ROWS), f"清理.{suffix}"),
        post_import(editor, make(QA_ROWS), f"问答.{suffix}"),
    ):
        assert resp.status_code == 400
        assert words in resp.get_data(as_text=True)


def test_deep_json_gets_a_400_on_both_pages(clerk: FlaskClient, editor: FlaskClient) -> None:
    resp = post_import(editor, DEEP_JSON, "问答.json")
    assert resp.status_code == 400 and "嵌套层数过深" in resp.get_data(as_text=True)
    resp = post_cleanup(clerk, DEEP_JSON, "清理.csv")  # the form takes .xlsx and .csv names
    assert resp.status_code == 400 and "只接受 .xlsx、.csv" in resp.get_data(as_text=True)


def test_an_upload_is_parsed_once_and_kept_private(lib: Library, clerk: FlaskClient) -> None:
    doc_id = make_doc(lib, "关于加强路灯管理的通知", "某府发〔2020〕3号")
    old_umask = os.umask(0o022)
    try:
        resp = post_cleanup(clerk, xlsx(CLEANUP_ROWS), "清理.xlsx")
    finally:
        os.umask(old_umask)
    assert resp.status_code == 303
    token = resp.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    folder = lib.settings.home / "uploads" / "cleanup"
    kept = sorted(folder.iterdir())
    assert [p.name for p in kept] == [f"{token}.bin", f"{token}.json"]
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in kept} == {"0o600"}
    assert oct(stat.S_IMODE(folder.stat().st_mode)) == "0o700"
    (folder / f"{token}.bin").write_bytes(b"not a sheet any more")  # previews must not reread it
    data = clerk.get(resp.headers["Location"] + "?format=json").get_json()
    assert [(r["row"], r["document_id"], r["new_status"]) for r in data["rows"]] == [
        (2, doc_id, "repealed")
    ]
