"""Importing a Q&A base from CSV, XLSX and JSON: preview, apply, bad rows, Chinese headers."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from library.core import Library
from library.models import AuditEntry, QAEntry
from library.qa.entries import QAError
from library.qa.importer import import_file, preview
from tests.qa.support import SAMPLE_QA


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _count(lib: Library) -> int:
    with lib.db.session() as s:
        return s.scalar(select(func.count()).select_from(QAEntry))


def _entry(lib: Library, external_id: str) -> QAEntry:
    with lib.db.session() as s:
        entry = s.scalars(select(QAEntry).where(QAEntry.external_id == external_id)).one()
        _ = entry.bases
        return entry


def test_sample_csv_previews_then_applies_then_is_unchanged(lib: Library) -> None:
    report = import_file(lib, SAMPLE_QA, actor="test", write=False)
    assert report.counts == {"new": 56, "update": 0, "unchanged": 0, "error": 0}
    assert _count(lib) == 0  # a preview writes nothing
    applied = import_file(lib, SAMPLE_QA, actor="test", write=True)
    assert applied.applied and applied.counts["new"] == 56
    assert _count(lib) == 56
    entry = _entry(lib, "SAMPLE-SB-002")
    assert entry.status == "published" and entry.source == "import"
    assert entry.similar == [
        "社会保障卡挂失补办流程",
        "社会保障卡申领方式",
        "电子社会保障卡如何开通",
    ]
    assert entry.last_reviewed_at is not None and entry.review_by is not None
    again = import_file(lib, SAMPLE_QA, actor="test", write=False)
    assert again.counts == {"new": 0, "update": 0, "unchanged": 56, "error": 0}


def test_chinese_headers_gb18030_and_bad_rows(lib: Library, tmp_path: Path) -> None:
    rows = [
        ["编号", "问题", "相似问法", "答案", "分类", "依据", "部门", "状态", "备注"],
        [
            "A1",
            "低保怎么申请？",
            "吃低保条件|低保材料",
            "向乡镇人民政府申请。",
            "低保",
            "",
            "民政局",
            "",
            "x",
        ],
        ["A2", "", "", "没有问题的答案。", "低保", "", "", "", ""],
        ["A3", "没有答案的问题？", "", "", "低保", "", "", "", ""],
        ["A4", "状态写错了？", "", "答案。", "低保", "", "", "上线", ""],
        ["A1", "重复编号？", "", "答案。", "低保", "", "", "", ""],
        ["A5", "问" * 400, "", "答案。", "", "", "", "", ""],
        ["A6", "草稿条目？", "", "答案。", "新分类", "", "", "草稿", ""],
    ]
    path = _csv(tmp_path / "问答.csv", rows, encoding="gb18030")
    report = import_file(lib, path, actor="test", write=True)
    by_id = {r.row: r for r in report.rows}
    assert report.ignored_columns == ["备注"]
    assert [r.outcome for r in report.rows] == [
        "new",
        "error",
        "error",
        "error",
        "error",
        "error",
        "new",
    ]
    assert "缺少问题" in by_id[3].reason
    assert "缺少答案" in by_id[4].reason
    assert "上线" in by_id[5].reason
    assert "与第 2 行重复" in by_id[6].reason
    assert "问题超过 300 字" in by_id[7].reason
    assert _count(lib) == 2
    assert _entry(lib, "A1").similar == ["吃低保条件", "低保材料"]
    assert _entry(lib, "A6").status == "draft"
    with lib.db.session() as s:
        from library.qa.entries import list_topics

        assert "新分类" in list_topics(s)


def test_xlsx_resolves_bases_by_number_and_title(
    lib: Library, docs: dict[str, int], tmp_path: Path
) -> None:
    path = _xlsx(
        tmp_path / "kb.xlsx",
        [
            ["问答编号", "标准问题", "相似问法", "标准答案", "分类", "政策依据", "责任部门"],
            [
                1001,
                "怎么查政策文件？",
                "文件在哪查\n红头文件",
                "在文件库查询。",
                "政务公开",
                "宣府办[2023]41号|《高安市人民政府办公室关于印发高安市全面推进基层政务公开标准化规范化建设方案的通知》|《不存在的办法》",
                "司法局",
            ],
        ],
    )
    report = import_file(lib, path, actor="test", write=True)
    row = report.rows[0]
    assert report.format == "xlsx" and row.outcome == "new" and row.external_id == "1001"
    assert row.warnings == ["依据未在库中找到，按原文保存：《不存在的办法》"]
    entry = _entry(lib, "1001")
    assert entry.similar == ["文件在哪查", "红头文件"]
    assert [b.document_id for b in entry.bases] == [docs["003"], docs["004"], None]
    assert entry.bases[0].ref == "宣府办[2023]41号"  # kept as written


def test_json_list_and_object_forms(lib: Library, tmp_path: Path) -> None:
    items = [
        {
            "external_id": "J1",
            "question": "公积金怎么取？",
            "similar_questions": ["提取公积金", "取公积金"],
            "answer": "按条件提取。",
            "topic": "公积金",
            "basis": ["住房公积金管理条例"],
        },
        {"external_id": "J2", "question": "缺答案？"},
        "not an object",
    ]
    path = tmp_path / "kb.json"
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    report = import_file(lib, path, actor="test", write=True)
    assert [r.outcome for r in report.rows] == ["new", "error", "error"]
    assert _entry(lib, "J1").similar == ["提取公积金", "取公积金"]
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"entries": items[:1]}, ensure_ascii=False), encoding="utf-8")
    assert import_file(lib, wrapped, actor="test", write=False).counts["unchanged"] == 1


def test_update_by_external_id_records_a_version(lib: Library, tmp_path: Path) -> None:
    header = ["external_id", "question", "answer", "topic"]
    _csv(tmp_path / "v1.csv", [header, ["U1", "问题？", "旧答案。", "社保"]])
    import_file(lib, tmp_path / "v1.csv", actor="test", write=True)
    _csv(tmp_path / "v2.csv", [header, ["U1", "问题？", "新答案。", "社保"]])
    with lib.db.session() as s:
        pre = preview(s, "v2.csv", (tmp_path / "v2.csv").read_bytes())
    assert pre.rows[0].outcome == "update" and pre.rows[0].changes == ["answer"]
    assert _entry(lib, "U1").answer == "旧答案。"
    import_file(lib, tmp_path / "v2.csv", actor="importer", write=True)
    entry = _entry(lib, "U1")
    assert entry.answer == "新答案。" and entry.version == 2
    with lib.db.session() as s:
        actions = list(
            s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity_id == str(entry.id))
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["qa.create", "qa.update"]


def test_published_row_on_an_expired_basis_waits_for_review(
    lib: Library, docs: dict[str, int], tmp_path: Path
) -> None:
    from library.validity.status import change_status

    change_status(lib, docs["003"], "expired", actor="test", reason="到期", basis="清理决定")
    _csv(
        tmp_path / "x.csv",
        [["编号", "问题", "答案", "依据"], ["E1", "问？", "答。", "宣府办〔2023〕41号"]],
    )
    report = import_file(lib, tmp_path / "x.csv", actor="test", write=True)
    assert report.rows[0].status == "needs_review"
    assert report.rows[0].warnings[-1].startswith("依据文件已不再现行有效")
    assert _entry(lib, "E1").status == "needs_review"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "文件为空"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "不是有效的 XLSX"),
        ("junk.csv", b"\x00\x01\x02binary" * 20, "二进制"),
        ("old.xls", b"\xd0\xcf\x11\xe0 legacy excel", "另存为 .xlsx"),
        ("cols.csv", "名称,内容\n甲,乙\n".encode(), "缺少必需的列"),
        ("bad.json", b'[{"question": ', "JSON 格式有误"),
    ],
)
def test_bad_files_fail_with_a_clear_reason(
    lib: Library, tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(QAError, match=message):
        import_file(lib, path, actor="test", write=True)
    assert _count(lib) == 0
