"""One reader for every table staff upload: the legal office's cleanup sheet and the Q&A import.

Uploads are untrusted. A 5 KB XLSX can declare the range A1:XFD1048576 and make a naive reader build
17 billion empty cells; its XML can carry a DTD or be broken; a CSV can hold a field longer than the
csv module accepts; a JSON file can nest 100,000 levels deep. This module reads XLSX, CSV and JSON
with the limits applied while reading: the declared dimension is ignored, rows and columns are
capped as they stream by, and every such file ends in a `SheetError` that names the problem in
words a clerk can act on, never in a traceback. Text is decoded by the parsers' one decoder.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from xml.etree.ElementTree import ParseError as XMLParseError

from parsers.model import ParseError
from parsers.text import decode

from .spreadsheet_cells import restore

MAX_FILE_BYTES = 50 * 2**20
MAX_UNPACKED_BYTES = 200 * 2**20
MAX_COLUMNS = 100
# Rows above the header (a title, notes) that do not count against a caller's row limit.
HEADER_ROWS = 20
_XML_PROLOG = 4096
_DELIMITERS = (",", "\t", ";")


class SheetError(ValueError):
    """The upload cannot be read; the message names the file, the problem and what to do."""


@dataclass
class Table:
    """A read upload: `rows` of text cells (XLSX, CSV) or the parsed `document` (JSON)."""

    format: str  # xlsx | csv | json
    rows: list[list[str]] = field(default_factory=list)
    document: object = None


def detect_format(name: str, data: bytes, formats: tuple[str, ...]) -> str:
    """By content first (a zip is XLSX, `[`/`{` is JSON, OLE is old .xls), then by extension."""
    if data[:4] == b"\xd0\xcf\x11\xe0" or Path(name).suffix.lower() in (".xls", ".xlsm"):
        raise SheetError(
            f"{name}：不支持旧版 .xls 格式；请在 Excel 或 WPS 中另存为 .xlsx 或 .csv。"
        )
    if data[:4] == b"PK\x03\x04":
        fmt = "xlsx"
    elif data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
        fmt = "json"
    else:
        fmt = "csv"
    if fmt not in formats:
        allowed = "、".join(f".{f}" for f in formats)
        raise SheetError(f"{name}：内容是 {fmt.upper()}，这里只接受 {allowed} 文件。")
    return fmt


def read_table(
    name: str, data: bytes, *, max_rows: int, formats: tuple[str, ...] = ("xlsx", "csv")
) -> Table:
    """Read an upload of one of `formats`, at most `max_rows` rows below the header."""
    if not data.strip():
        raise SheetError(f"{name}：文件为空；请选择填好的表格后重新上传。")
    if len(data) > MAX_FILE_BYTES:
        raise SheetError(f"{name}：文件超过 {MAX_FILE_BYTES // 2**20} MB；请拆分后分批上传。")
    fmt = detect_format(name, data, formats)
    if fmt == "json":
        return Table(fmt, document=_json(name, data))
    limit = max_rows + HEADER_ROWS + 1
    rows = _xlsx_rows(name, data, limit) if fmt == "xlsx" else _csv_rows(name, data, limit)
    while rows and not any(rows[-1]):
        rows.pop()
    return Table(fmt, rows=rows)


def cell_text(value: object) -> str:
    """A cell as text: whole numbers without ".0", dates as YYYY-MM-DD, an export's quote gone."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return restore(str(value).strip())


def _keep(name: str, number: int, cells: list[str], limit: int) -> list[str] | None:
    """The row without trailing empty cells; None past the row limit for an empty row; a
    SheetError for a row past the limit that holds something, or one too wide."""
    while cells and not cells[-1]:
        cells.pop()
    if len(cells) > MAX_COLUMNS:
        raise SheetError(
            f"{name}：第 {number} 行超过 {MAX_COLUMNS} 列，不像问答表或清理结果表；"
            "请删除多余的列后重试。"
        )
    if number > limit:
        if cells:
            raise _too_long(name, number, limit)
        return None
    return cells


def _too_long(name: str, number: int, limit: int) -> SheetError:
    return SheetError(
        f"{name}：表格超过 {limit - HEADER_ROWS - 1} 行（第 {number} 行起仍有行）；请拆分后分批上传。"
    )


# --- XLSX --------------------------------------------------------------------------------------


def _check_archive(name: str, data: bytes) -> None:
    """Refuse a zip bomb and any XML part with a DTD before openpyxl parses a byte of it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
            if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
                raise SheetError(
                    f"{name}：解压后超过 {MAX_UNPACKED_BYTES // 2**20} MB，不像一张表格；"
                    "请只保留需要的工作表后重试。"
                )
            for member in members:
                if member.filename.endswith((".xml", ".rels")):
                    with zf.open(member) as fh:
                        if b"<!DOCTYPE" in fh.read(_XML_PROLOG).upper():
                            raise SheetError(
                                f"{name}：文件中的 {member.filename} 含有 DTD 声明，正常的 Excel "
                                "文件不会有，已拒绝；请用 Excel 或 WPS 重新另存为 .xlsx。"
                            )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as exc:
        raise SheetError(
            f"{name}：不是有效的 XLSX 文件（压缩包已损坏：{exc}）；请用 Excel 或 WPS 另存为 .xlsx。"
        ) from exc


def _xlsx_problem(exc: Exception) -> str:
    kind = type(exc).__name__
    if type(exc).__module__.startswith("defusedxml"):
        return f"XML 含有 DTD 或实体声明（{kind}），疑为恶意构造"
    if isinstance(exc, XMLParseError | SyntaxError):
        return f"XML 结构已损坏（{exc}）"
    if isinstance(exc, KeyError):
        return f"缺少必需的部件 {exc}"
    return f"{kind}：{exc}"[:200]


def _xlsx_rows(name: str, data: bytes, limit: int) -> list[list[str]]:
    from openpyxl import load_workbook

    _check_archive(name, data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            ws.reset_dimensions()  # the declared A1:XFD1048576 of a crafted file means nothing
            rows: list[list[str]] = []
            blank = (None,) * (MAX_COLUMNS + 1)  # what openpyxl yields for a row not in the file
            for number, values in enumerate(
                ws.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1
            ):
                if number > limit:  # openpyxl yields a row here only if the file has more
                    raise _too_long(name, number, limit)
                texts = [] if values == blank else [cell_text(v) for v in values]
                cells = _keep(name, number, texts, limit)
                if cells is not None:
                    rows.append(cells)
            return rows
        finally:
            wb.close()
    except SheetError:
        raise
    except Exception as exc:  # openpyxl and its XML parser raise many types
        raise SheetError(
            f"{name}：无法读取该 XLSX 文件：{_xlsx_problem(exc)}；请用 Excel 或 WPS 另存为 .xlsx 后重试。"
        ) from exc


# --- CSV ---------------------------------------------------------------------------------------


def _delimiter(text: str) -> str:
    """The separator the header line uses most: comma, tab or semicolon; a full-width comma only
    when the header has none of those (typed in a Chinese input method)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    best = max(_DELIMITERS, key=first.count)
    if first.count(best) == 0 and "，" in first:
        return "，"
    return best


def _csv_rows(name: str, data: bytes, limit: int) -> list[list[str]]:
    try:
        text, _, _ = decode(data, name)
    except ParseError as exc:
        raise SheetError(str(exc)) from exc
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[list[str]] = []
    try:
        for number, row in enumerate(reader, start=1):
            cells = _keep(name, number, [cell_text(c) for c in row[: MAX_COLUMNS + 1]], limit)
            if cells is not None:
                rows.append(cells)
    except csv.Error as exc:
        where = f"第 {reader.line_num} 行"
        if "field larger than field limit" in str(exc):
            raise SheetError(
                f"{name}：CSV {where}有一个单元格超过 {csv.field_size_limit()} 个字符"
                "（常因引号不成对）；请检查引号后重试。"
            ) from exc
        raise SheetError(f"{name}：CSV 格式有误（{where}：{exc}）；请检查引号是否成对。") from exc
    return rows


# --- JSON --------------------------------------------------------------------------------------


def _json(name: str, data: bytes) -> object:
    try:
        text, _, _ = decode(data, name)
        return json.loads(text)
    except ParseError as exc:
        raise SheetError(str(exc)) from exc
    except json.JSONDecodeError as exc:
        raise SheetError(f"{name}：JSON 格式有误（第 {exc.lineno} 行：{exc.msg}）。") from exc
    except RecursionError as exc:
        raise SheetError(
            f"{name}：JSON 嵌套层数过深，不像问答数据；请导出为对象数组后重试。"
        ) from exc
