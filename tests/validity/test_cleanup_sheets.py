"""The cleanup sheet: every row shape previews exactly right; apply is one batch; undo restores the
identical state; bad sheets are refused with the problem named and nothing changed."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli import main
from library import sheet_reader
from library.cleanup import CleanupError, apply_sheet, preview_file, read_sheet, undo_batch
from library.models import CleanupBatch, QAEntry, StatusChange
from library.validity.status import change_status
from tests.validity.cleanup_sheet import FIRST_DATA_ROW, as_csv, as_xlsx, build_library, expected
from tests.validity.conftest import doc_state, snapshot


def _shape(preview) -> list[tuple]:
    return [(r.row, r.match, r.document_id, r.new_status) for r in preview.rows]


@pytest.fixture
def built(lib):
    return build_library(lib)


@pytest.mark.parametrize(
    "data",
    [as_xlsx(), as_csv("gb18030"), as_csv("utf-8-sig")],
    ids=["xlsx", "csv-gb18030", "csv-utf8"],
)
def test_every_row_shape_previews_exactly_right(lib, built, data):
    ids = built.ids
    before = snapshot(lib)
    preview = preview_file(lib, data)
    assert _shape(preview) == expected(ids)
    rows = {r.row: r for r in preview.rows}

    assert rows[3].matched_by == "title" and rows[4].matched_by == "doc_number"
    assert {c["document_id"] for c in rows[6].candidates} == {ids["D1"], ids["D2"]}
    assert rows[9].superseded_by_id == ids["F_new"] and rows[9].old_status == "valid"
    assert rows[10].superseded_by_id is None and "尚无修改后的新版本" in rows[10].status_note
    assert rows[12].status_note == "已被新规定替代"
    assert rows[14].matched_by == "title" and 85 < rows[14].score < 100
    assert "待定" in rows[15].message
    assert preview.counts == {
        "matched": 8,
        "unchanged": 2,
        "ambiguous": 1,
        "not_found": 2,
        "invalid": 1,
    }
    assert snapshot(lib) == before  # the preview itself changed nothing
    with lib.db.session() as s:
        assert s.scalar(select(func.count()).select_from(StatusChange)) == 0


def test_apply_is_one_batch_and_undo_restores_the_identical_state(lib, built):
    ids = built.ids
    before = snapshot(lib)
    result = apply_sheet(
        lib,
        as_xlsx(),
        actor="clerk",
        filename="清理结果.xlsx",
        basis="宣府发〔2024〕12号",
        picks={FIRST_DATA_ROW + 3: ids["D2"]},
    )
    assert result.changed == 9  # the 8 matched rows and the picked ambiguous one
    assert doc_state(lib, ids["D2"])["status"] == "repealed"
    assert doc_state(lib, ids["D1"])["status"] == "valid"
    assert doc_state(lib, ids["F_old"])["superseded_by_id"] == ids["F_new"]
    assert doc_state(lib, ids["B_interp"])["status"] == "expired"  # follows its document
    with lib.db.session() as s:
        assert s.get(QAEntry, built.qa).status == "needs_review"
        changes = s.scalars(
            select(StatusChange).where(StatusChange.batch_id == result.batch_id)
        ).all()
        assert len(changes) == 10  # 9 documents + the interpretation
        assert {c.basis_number for c in changes} == {"宣府发〔2024〕12号"}
        batch = s.get(CleanupBatch, result.batch_id)
        assert (batch.row_count, batch.changed_count, batch.actor) == (14, 9, "clerk")
    assert snapshot(lib) != before

    assert undo_batch(lib, result.batch_id, actor="clerk") == 10
    assert snapshot(lib) == before
    with pytest.raises(CleanupError, match="已于"):
        undo_batch(lib, result.batch_id, actor="clerk")


def test_undo_is_refused_when_a_document_changed_since(lib, built):
    ids = built.ids
    result = apply_sheet(lib, as_csv(), actor="clerk", filename="s.csv")
    change_status(lib, ids["C"], "valid", actor="clerk", reason="误判", basis="复核意见")
    after = snapshot(lib)
    with pytest.raises(CleanupError, match=f"#{ids['C']}"):
        undo_batch(lib, result.batch_id, actor="clerk")
    assert snapshot(lib) == after


@pytest.mark.parametrize(
    ("picks", "message"),
    [
        ({FIRST_DATA_ROW + 3: 999}, "不是第 6 行的候选"),
        ({FIRST_DATA_ROW: 1}, "不是“待选择”"),
        ({99: 1}, "不在表格中"),
    ],
)
def test_bad_picks_are_refused_and_nothing_is_applied(lib, built, picks, message):
    before = snapshot(lib)
    with pytest.raises(CleanupError, match=message):
        apply_sheet(lib, as_csv(), actor="clerk", filename="s.csv", picks=picks)
    assert snapshot(lib) == before
    with lib.db.session() as s:
        assert s.scalar(select(func.count()).select_from(CleanupBatch)) == 0


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(encoding)


def test_other_header_words_and_section_headings(lib, built):
    data = _csv(
        [
            ["编号", "文件标题", "发文字号", "发文机关", "清理意见", "说明"],
            ["一、继续有效的规范性文件（1件）", "", "", "", "", ""],
            ["1", "宣汉县城市绿化管理办法", "宣府发【2016】30号", "宣汉县人民政府", "", ""],
            ["二、废止的规范性文件（1件）", "", "", "", "", ""],
            ["2", "关于加强政务公开工作的通知", "", "高安市人民政府办公室", "", ""],
        ]
    )
    rows = read_sheet(data)
    assert [(r.row, r.result, r.issuer) for r in rows] == [
        (3, "一、继续有效的规范性文件（1件）", "宣汉县人民政府"),
        (5, "二、废止的规范性文件（1件）", "高安市人民政府办公室"),
    ]
    preview = preview_file(lib, data)
    # the issuer column settles the otherwise ambiguous title
    assert _shape(preview) == [
        (3, "unchanged", built.ids["H"], "valid"),
        (5, "matched", built.ids["D2"], "repealed"),
    ]


def test_two_rows_naming_one_document_cannot_both_apply(lib, built):
    data = _csv(
        [
            ["序号", "文件名称", "文号", "清理结果"],
            ["1", "宣汉县城市绿化管理办法", "", "废止"],
            ["2", "", "宣府发〔2016〕30号", "继续有效"],
        ]
    )
    preview = preview_file(lib, data)
    assert [(r.match, r.document_id) for r in preview.rows] == [
        ("matched", built.ids["H"]),
        ("invalid", built.ids["H"]),
    ]
    assert "第 2 行" in preview.rows[1].message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件为空"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
        (b"PK\x03\x04 this is not really a zip file", "不是有效的 XLSX 文件"),
        ("名称,说明\n甲,乙\n".encode(), "找不到表头"),
        ("文件名称,文号,清理结果\n".encode(), "没有可处理的行"),
    ],
    ids=["empty", "xls", "corrupt-xlsx", "no-header", "no-rows"],
)
def test_bad_sheets_are_refused_with_the_problem_named(lib, built, data, message):
    before = snapshot(lib)
    with pytest.raises(CleanupError, match=message):
        preview_file(lib, data)
    with pytest.raises(CleanupError, match=message):
        apply_sheet(lib, data, actor="clerk", filename="bad")
    assert snapshot(lib) == before


def test_cli_preview_apply_undo(lib, built, home, tmp_path):
    sheet = tmp_path / "清理结果.xlsx"
    sheet.write_bytes(as_xlsx())
    runner = CliRunner()
    base = ["--home", str(home), "cleanup"]
    before = snapshot(lib)

    out = json.loads(runner.invoke(main, [*base, "preview", str(sheet), "--json"]).output)
    got = [(r["row"], r["match"], r["document_id"], r["new_status"]) for r in out["rows"]]
    assert got == expected(built.ids)

    pick = f"{FIRST_DATA_ROW + 3}={built.ids['D1']}"
    result = runner.invoke(main, [*base, "apply", str(sheet), "--json", "--pick", pick])
    assert result.exit_code == 0, result.output
    applied = json.loads(result.output)
    assert applied["changed"] == 9 and isinstance(applied["batch"], int)
    assert doc_state(lib, built.ids["D1"])["status"] == "repealed"

    listed = json.loads(runner.invoke(main, [*base, "batches", "--json"]).output)
    assert [b["id"] for b in listed] == [applied["batch"]]
    result = runner.invoke(main, [*base, "undo", str(applied["batch"])])
    assert result.exit_code == 0, result.output
    assert snapshot(lib) == before

    bad = runner.invoke(main, [*base, "apply", str(sheet), "--pick", "six=1"])
    assert bad.exit_code == 1 and "行号=文件编号" in bad.output


def test_rows_without_title_or_number_are_shown_not_dropped(lib, built):
    data = _csv(
        [
            ["序号", "文件名称", "文号", "清理结果"],
            ["1", "宣汉县城市绿化管理办法", "", "继续有效"],
            ["2", "", "", "废止"],
            ["注：以上文件自公布之日起执行。", "", "", ""],
        ]
    )
    preview = preview_file(lib, data)
    assert [(r.row, r.match) for r in preview.rows] == [(2, "unchanged"), (3, "invalid")]
    assert "没有文件名称" in preview.rows[1].message


def test_a_title_printed_with_its_issuer_in_front_still_matches(lib, new_doc):
    issuer = "宣汉县人民政府办公室"
    doc_id = new_doc(f"{issuer}关于规范村级公益事业建设的通知", "宣府办〔2018〕77号", issuer=issuer)
    data = _csv([["文件名称", "清理结果"], ["关于规范村级公益事业建设的通知", "废止"]])
    assert _shape(preview_file(lib, data)) == [(2, "matched", doc_id, "repealed")]


def test_a_sheet_that_unpacks_too_large_is_refused_before_reading(lib, built, monkeypatch):
    monkeypatch.setattr(sheet_reader, "MAX_UNPACKED_BYTES", 4096)  # a real bomb is slow to build
    with pytest.raises(CleanupError, match="解压后超过"):
        preview_file(lib, as_xlsx())
