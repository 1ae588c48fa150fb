"""A library and a cleanup sheet with every row shape, shared by the cleanup tests and the browser
test. Each row's expected preview is written next to it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook

from library.core import Library
from library.models import QABasis, QAEntry
from tests.validity.conftest import make_doc

TITLE_ROW = "宣汉县2024年行政规范性文件清理结果"
HEADER = ["序号", "文件名称", "文号", "清理结果", "备注"]


@dataclass
class Built:
    ids: dict[str, int]
    qa: int


def build_library(lib: Library) -> Built:
    xh, xhb = "宣汉县人民政府", "宣汉县人民政府办公室"
    ids = {
        "A": make_doc(
            lib, "关于印发《2019年全县政务公开工作要点》的通知", "宣府办〔2019〕41号", issuer=xhb
        ),
        "B": make_doc(
            lib,
            "高安市全面推进基层政务公开标准化规范化建设方案",
            "高府办发〔2022〕20号",
            issuer="高安市人民政府办公室",
        ),
        "C": make_doc(
            lib,
            "关于进一步规范行政规范性文件制定程序的通知",
            "川办发〔2018〕25号",
            issuer="四川省人民政府办公厅",
        ),
        "D1": make_doc(lib, "关于加强政务公开工作的通知", "宣府办〔2020〕3号", issuer=xhb),
        "D2": make_doc(
            lib, "关于加强政务公开工作的通知", "高府办发〔2021〕7号", issuer="高安市人民政府办公室"
        ),
        "E": make_doc(
            lib,
            "龙城区2019年政务公开工作要点",
            issuer="龙城区人民政府办公室",
            status="repealed",
            status_since=date(2021, 1, 1),
        ),
        "F_old": make_doc(
            lib,
            "关于规范行政执法公示的通知",
            "宣府发〔2018〕5号",
            issuer=xh,
            signed_date=date(2018, 5, 1),
        ),
        "F_new": make_doc(
            lib,
            "关于规范行政执法公示的通知",
            "宣府发〔2022〕11号",
            issuer=xh,
            signed_date=date(2022, 4, 1),
        ),
        "G": make_doc(
            lib, "关于做好农村宅基地审批管理工作的通知", "宣府办〔2017〕12号", issuer=xhb
        ),
        "H": make_doc(lib, "宣汉县城市绿化管理办法", "宣府发〔2016〕30号", issuer=xh),
        "I": make_doc(
            lib,
            "关于印发《宣汉县政府信息公开申请办理规定》的通知",
            "宣府办发（2019）8号",
            issuer=xhb,
        ),
        "J": make_doc(
            lib, "关于开展2023年度行政规范性文件清理工作的通知", "宣府办〔2023〕15号", issuer=xhb
        ),
        "K": make_doc(lib, "宣汉县行政规范性文件管理办法", "宣府发〔2020〕1号", issuer=xh),
    }
    ids["B_interp"] = make_doc(
        lib,
        "《高安市全面推进基层政务公开标准化规范化建设方案》解读",
        kind="interpretation",
        interprets_id=ids["B"],
    )
    with lib.db.session() as s:
        entry = QAEntry(
            question="2019年政务公开工作要点有哪些？",
            answer="见宣府办〔2019〕41号。",
            status="published",
            bases=[QABasis(document_id=ids["A"], ref="宣府办〔2019〕41号")],
        )
        s.add(entry)
        s.flush()
        qa = entry.id
    return Built(ids, qa)


# (序号, 文件名称, 文号, 清理结果, 备注) and what the preview must say: (match, doc key, new status)
ROWS = [
    (
        ("1", "关于印发《二〇一九年全县政务公开工作要点》的通知", "", "废止", ""),
        ("matched", "A", "repealed"),
    ),
    (
        (
            "2",
            "高安市全面推进基层政务公开标准化规范化建设方案",
            "高府办发[2022]20号",
            "宣布失效",
            "",
        ),
        ("matched", "B", "expired"),
    ),
    (
        ("3", "关于进一步规范行政规范性文件制定程序的通知", "川办发(2018)25号", "失效", ""),
        ("matched", "C", "expired"),
    ),
    (("4", "关于加强政务公开工作的通知", "", "废止", ""), ("ambiguous", None, "repealed")),
    (
        ("5", "关于印发《全县河道采砂管理办法》的通知", "宣府发〔2015〕99号", "废止", ""),
        ("not_found", None, "repealed"),
    ),
    (("6", "龙城区2019年政务公开工作要点", "", "废止", ""), ("unchanged", "E", "repealed")),
    (
        ("7", "关于规范行政执法公示的通知", "宣府发〔2018〕5号", "修改", ""),
        ("matched", "F_old", "amended"),
    ),
    (
        ("8", "关于做好农村宅基地审批管理工作的通知", "宣府办〔2017〕12号", "修改", ""),
        ("matched", "G", "amended"),
    ),
    (
        ("9", "宣汉县城市绿化管理办法", "宣府发〔2016〕30号", "继续有效", ""),
        ("unchanged", "H", "valid"),
    ),
    (
        (
            "10",
            "关于印发《宣汉县政府信息公开申请办理规定》的通知",
            "宣府办发〔2019〕8号",
            "废止",
            "已被新规定替代",
        ),
        ("matched", "I", "repealed"),
    ),
    (
        ("11", "關於開展２０２３年度行政規範性文件清理工作的通知\u3000", "", "宣布失效", ""),
        ("matched", "J", "expired"),
    ),
    (("12", "宣汉县行政规范性文件管理暂行办法", "", "废止", ""), ("matched", "K", "repealed")),
    (
        ("13", "关于加强政务公开工作的通知", "宣府办〔2020〕3号", "待定", ""),
        ("invalid", None, None),
    ),
    (("14", "", "宣府办〔2099〕1号", "废止", ""), ("not_found", None, "repealed")),
]
FIRST_DATA_ROW = 3  # row 1: the sheet's title, row 2: the header


def expected(ids: dict[str, int]) -> list[tuple[int, str, int | None, str | None]]:
    return [
        (FIRST_DATA_ROW + i, match, ids[key] if key else None, status)
        for i, (_, (match, key, status)) in enumerate(ROWS)
    ]


def sheet_rows() -> list[list[str]]:
    return [[TITLE_ROW, "", "", "", ""], HEADER] + [list(cells) for cells, _ in ROWS]


def as_csv(encoding: str = "gb18030") -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(sheet_rows())
    return buf.getvalue().encode(encoding)


def as_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in sheet_rows():
        ws.append([int(c) if c.isdigit() else (c or None) for c in row])
    ws.merge_cells("A1:E1")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
