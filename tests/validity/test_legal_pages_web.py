"""The legal office's pages through the real app (CSRF on): one document's change with its confirm
step, the cleanup upload -> preview -> apply -> undo, proposals, the audit page and exports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from cli import main
from library import exports
from library.cleanup import read_sheet
from library.models import AuditEntry, Document
from library.validity.proposals import pending_proposals, propose_replacements
from library.validity.status import change_status
from tests.validity.cleanup_sheet import FIRST_DATA_ROW, as_xlsx, build_library, expected
from tests.validity.conftest import doc_state, snapshot

BASIS = "关于公布规范性文件清理结果的决定（宣府发〔2024〕12号）"


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_one_document_change_needs_a_confirm_step(clerk, lib, new_doc):
    doc_id = new_doc("关于加强政务公开工作的通知", "宣府办〔2020〕3号")
    url = f"/legal/documents/{doc_id}/status"
    token = _token(clerk.get(url).get_data(as_text=True))
    form = {"csrf_token": token, "status": "repealed", "since": "2024-05-20", "basis": BASIS}

    resp = clerk.post(url, data=form | {"reason": ""})
    assert resp.status_code == 400 and "请填写变更理由" in resp.get_data(as_text=True)

    resp = clerk.post(url, data=form | {"reason": "清理：废止"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "确认变更" in html and 'name="confirmed" value="1"' in html
    assert doc_state(lib, doc_id)["status"] == "valid"  # nothing yet

    resp = clerk.post(url, data=form | {"reason": "清理：废止", "confirmed": "1"})
    assert resp.status_code == 303
    assert doc_state(lib, doc_id) == {
        "status": "repealed",
        "status_since": date(2024, 5, 20),
        "status_note": None,
        "superseded_by_id": None,
    }
    page = clerk.get(url).get_data(as_text=True)
    assert "已将文件" in page and BASIS in page
    data = clerk.get(url + "?format=json").get_json()
    assert data["status"] == "repealed"
    assert (data["history"][-1]["actor"], data["history"][-1]["basis"]) == ("clerk", BASIS)

    again = clerk.post(url, data=form | {"reason": "再次", "confirmed": "1"})
    assert again.status_code == 400 and "无需变更" in again.get_data(as_text=True)


def test_the_clock_of_the_app_bounds_the_since_date(clerk, lib, new_doc):
    doc_id = new_doc("关于加强政务公开工作的通知", "宣府办〔2020〕3号")
    url = f"/legal/documents/{doc_id}/status"
    token = _token(clerk.get(url).get_data(as_text=True))
    form = {"csrf_token": token, "status": "expired", "basis": BASIS, "reason": "到期"}
    resp = clerk.post(url, data=form | {"since": "2024-06-02"})  # the app's today is 2024-06-01
    assert resp.status_code == 400 and "晚于今天" in resp.get_data(as_text=True)


def _upload(client, data: bytes, name: str):
    token = _token(client.get("/legal/cleanup").get_data(as_text=True))
    return client.post(
        "/legal/cleanup",
        data={"csrf_token": token, "basis": BASIS, "sheet": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_cleanup_upload_preview_apply_undo(clerk, lib):
    built = build_library(lib)
    before = snapshot(lib)
    resp = _upload(clerk, as_xlsx(), "清理结果.xlsx")
    assert resp.status_code == 303
    preview_url = resp.headers["Location"]

    html = clerk.get(preview_url).get_data(as_text=True)
    assert "需处理" in html and 'id="pick-6-' in html
    data = clerk.get(preview_url + "?format=json").get_json()
    got = [(r["row"], r["match"], r["document_id"], r["new_status"]) for r in data["rows"]]
    assert got == expected(built.ids)
    assert data["counts"]["ambiguous"] == 1 and data["filename"] == "清理结果.xlsx"

    form = {
        "csrf_token": _token(html),
        "basis": BASIS,
        f"pick-{FIRST_DATA_ROW + 3}": str(built.ids["D1"]),
    }
    resp = clerk.post(preview_url + "/apply", data=form)
    assert resp.status_code == 303
    batch_url = resp.headers["Location"]
    batch = clerk.get(batch_url + "?format=json").get_json()
    assert batch["batch"]["changed_count"] == 9 and batch["batch"]["basis"] == BASIS
    assert doc_state(lib, built.ids["D1"])["status"] == "repealed"
    page = clerk.get(batch_url).get_data(as_text=True)
    assert "整批撤销" in page

    resp = clerk.post(batch_url + "/undo", data={"csrf_token": _token(page)})
    assert resp.status_code == 303
    assert "已整批撤销" in clerk.get(batch_url).get_data(as_text=True)
    assert snapshot(lib) == before


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "文件为空"),
        (b"not a sheet", "notes.txt", "只接受 .xlsx 或 .csv"),
        ("名称,说明\n甲,乙\n".encode(), "bad.csv", "找不到表头"),
    ],
)
def test_bad_uploads_are_refused_with_the_problem_named(clerk, lib, data, name, message):
    resp = _upload(clerk, data, name)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)


def test_proposals_confirm_and_reject_on_the_page(clerk, lib, new_doc):
    issuer = "宣汉县人民政府办公室"
    old = new_doc(
        "关于加强政务公开工作的通知",
        "宣府办〔2019〕3号",
        issuer=issuer,
        signed_date=date(2019, 1, 1),
    )
    new = new_doc(
        "关于加强政务公开工作的通知",
        "宣府办〔2024〕2号",
        issuer=issuer,
        signed_date=date(2024, 1, 1),
    )
    gone = new_doc(
        "关于废止有关文件的通知", "宣府办〔2024〕5号", evidence={"replaces": ["宣府办〔2024〕2号"]}
    )
    with lib.db.session() as s:
        propose_replacements(s, s.get(Document, new))
        propose_replacements(s, s.get(Document, gone))
        first, second = (p.id for p in pending_proposals(s))
    page = clerk.get("/legal/proposals")
    html = page.get_data(as_text=True)
    assert (
        "采纳并变更" in html
        and len(clerk.get("/legal/proposals?format=json").get_json()["proposals"]) == 2
    )

    token = _token(html)
    assert (
        clerk.post(f"/legal/proposals/{first}/confirm", data={"csrf_token": token}).status_code
        == 303
    )
    assert (
        doc_state(lib, old)["status"] == "amended"
        and doc_state(lib, old)["superseded_by_id"] == new
    )
    resp = clerk.post(f"/legal/proposals/{second}/reject", data={"csrf_token": token, "reason": ""})
    assert "不采纳的理由" in clerk.get(resp.headers["Location"]).get_data(as_text=True)
    clerk.post(
        f"/legal/proposals/{second}/reject", data={"csrf_token": token, "reason": "另有安排"}
    )
    assert clerk.get("/legal/proposals?format=json").get_json()["proposals"] == []
    assert doc_state(lib, new)["status"] == "valid"


def test_audit_page_filters_json_and_csv(clerk, lib, new_doc):
    a = new_doc("关于加强政务公开工作的通知", "宣府办〔2020〕3号")
    b = new_doc("宣汉县城市绿化管理办法", "宣府发〔2016〕30号")
    change_status(lib, a, "repealed", actor="clerk", reason="清理", basis=BASIS)
    change_status(lib, b, "expired", actor="other", reason="到期", basis="有效期届满")

    entries = clerk.get("/legal/audit?format=json&actor=other").get_json()["entries"]
    assert [(e["entity_id"], e["after"]["status"]) for e in entries] == [(str(b), "expired")]
    entries = clerk.get(f"/legal/audit?format=json&action=status&entity_id={a}").get_json()[
        "entries"
    ]
    assert [e["basis"] for e in entries] == [BASIS]
    html = clerk.get("/legal/audit?actor=clerk").get_data(as_text=True)
    assert "status.change" in html and "有效期届满" not in html

    resp = clerk.get("/legal/audit?format=csv&action=status.change")
    assert resp.mimetype == "text/csv" and "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert rows[0][:4] == ["编号", "时间（UTC）", "操作人", "操作"]
    assert sorted(r[2] for r in rows[1:]) == ["clerk", "other"]

    bad = clerk.get("/legal/audit?from=yesterday")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_data(as_text=True)


def test_the_audit_trail_is_append_only(lib, new_doc):
    doc_id = new_doc("关于加强政务公开工作的通知", "宣府办〔2020〕3号")
    change_status(lib, doc_id, "repealed", actor="clerk", reason="清理", basis=BASIS)
    with pytest.raises(PermissionError), lib.db.session() as s:
        s.scalars(select(AuditEntry)).first().reason = "rewritten"
    with pytest.raises(PermissionError), lib.db.session() as s:
        s.delete(s.scalars(select(AuditEntry)).first())
    with lib.db.session() as s:
        assert s.scalars(select(AuditEntry.reason)).all() == ["清理"]


def test_audit_cli_json_with_filters(lib, new_doc, home):
    a = new_doc("关于加强政务公开工作的通知", "宣府办〔2020〕3号")
    change_status(lib, a, "repealed", actor="clerk", reason="清理", basis=BASIS)
    runner = CliRunner()
    out = runner.invoke(main, ["--home", str(home), "audit", "--json", "--actor", "clerk"]).output
    rows = json.loads(out)
    assert [(r["action"], r["entity_id"], r["before"]["status"]) for r in rows] == [
        ("status.change", str(a), "valid")
    ]
    out = runner.invoke(main, ["--home", str(home), "audit", "--json", "--action", "user"]).output
    assert json.loads(out) == []


def test_exports_catalogue_and_changes(clerk, lib, new_doc, home, tmp_path):
    keep = new_doc("宣汉县城市绿化管理办法", "宣府发〔2016〕30号", issuer="宣汉县人民政府")
    part = new_doc("关于规范行政执法公示的通知", "宣府发〔2018〕5号", issuer="宣汉县人民政府")
    gone = new_doc('=HYPERLINK("http://x")关于加强政务公开工作的通知', "宣府办〔2020〕3号")
    change_status(
        lib, gone, "repealed", actor="clerk", reason="清理", basis=BASIS, since=date(2024, 5, 2)
    )
    change_status(
        lib, part, "partially_invalid", actor="clerk", reason="部分", basis=BASIS, note="第三条失效"
    )

    resp = clerk.get("/legal/exports/catalogue.xlsx")
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0][:3] == ["序号", "文件名称", "文号"]
    assert [(r[9], r[1], r[7], r[8]) for r in rows[1:]] == [
        (keep, "宣汉县城市绿化管理办法", "现行有效", None),
        (part, "关于规范行政执法公示的通知", "部分失效", "第三条失效"),
    ]
    # the catalogue, with a 清理结果 column added, reads back as a cleanup sheet
    ws.cell(row=1, column=11, value="清理结果")
    buf = io.BytesIO()
    ws.parent.save(buf)
    assert [r.doc_number for r in read_sheet(buf.getvalue())] == [
        "宣府发〔2016〕30号",
        "宣府发〔2018〕5号",
    ]

    text = clerk.get("/legal/exports/changes.csv?from=2024-05-01&to=2024-05-31").data.decode(
        "utf-8-sig"
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2 and rows[1][5] == "已废止"
    assert rows[1][1].startswith("'=HYPERLINK")  # a formula is never live in a spreadsheet
    assert clerk.get("/legal/exports/changes.csv?from=2024-06-01&to=2024-05-01").status_code == 400

    out = tmp_path / "目录.csv"
    result = CliRunner().invoke(main, ["--home", str(home), "export", "catalogue", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert [r[0] for r in csv.reader(io.StringIO(out.read_text("utf-8-sig")))][1:] == ["1", "2"]
    with lib.db.session() as s:
        assert len(exports.status_changes(s, date(2024, 5, 1), date(2024, 5, 31)).rows) == 1
