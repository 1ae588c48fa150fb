"""The legal office's pages in real headless Chromium: sign in, upload a cleanup sheet, preview,
filter to problems, pick the ambiguous row, apply, undo; one document's change with its confirm
step; zero axe-core violations (WCAG 2.1 A/AA) on every page, and screenshots to look at."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from library.core import Library
from library.users import add_user
from tests.browser.conftest import LiveServer, axe_violations, screenshot, start_live_server
from tests.db_backends import module_environment
from tests.validity.cleanup_sheet import FIRST_DATA_ROW, Built, as_xlsx, build_library
from tests.validity.conftest import doc_state, snapshot

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
BASIS = "关于公布2024年规范性文件清理结果的决定（宣府发〔2024〕12号）"


@dataclass
class Site:
    server: LiveServer
    lib: Library
    built: Built
    sheet: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, module_db: dict[str, str]) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("legal-home")
    with module_environment(module_db):
        lib = Library.open(home)
    built = build_library(lib)
    with lib.db.session() as s:
        add_user(s, "clerk", "legal", PASSWORD, actor="test")
    sheet = home.parent / "宣汉县2024年清理结果.xlsx"
    sheet.write_bytes(as_xlsx())
    server = start_live_server(lib)
    yield Site(server, lib, built, sheet)
    server.stop()
    lib.close()


@pytest.fixture
def clerk_page(browser, site: Site):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.goto(site.server.url + "/legal")
    assert "/login" in pg.url
    check_axe(pg, "legal-login")
    pg.fill("#name", "clerk")
    pg.fill("#password", PASSWORD)
    pg.click("form.stack-form button[type=submit]")
    pg.wait_for_url(site.server.url + "/legal")
    yield pg
    context.close()


def check_axe(pg, name: str) -> None:
    violations = axe_violations(pg)
    screenshot(pg, name)
    assert violations == [], [(v["id"], v["help"], len(v["nodes"])) for v in violations]


def test_sign_in_upload_preview_apply_undo(clerk_page, site: Site):
    pg, ids = clerk_page, site.built.ids
    before = snapshot(site.lib)
    check_axe(pg, "legal-dashboard")

    pg.click("text=上传清理结果表")
    check_axe(pg, "legal-cleanup-upload")
    pg.set_input_files("#sheet", str(site.sheet))
    pg.fill("#basis", BASIS)
    pg.click("form.stack-form button[type=submit]")
    pg.wait_for_selector("table.preview")
    assert pg.locator(".preview tbody tr").count() == 14
    check_axe(pg, "legal-cleanup-preview")

    pg.click("label[for=show-problems]")
    visible = pg.locator(".preview tbody tr:visible")
    assert visible.count() == 4  # 1 ambiguous, 2 not found, 1 invalid
    screenshot(pg, "legal-cleanup-preview-problems")
    row6 = FIRST_DATA_ROW + 3
    pg.check(f"#pick-{row6}-{ids['D2']}")
    pg.click("label[for=show-all]")
    assert pg.locator(".preview tbody tr:visible").count() == 14
    assert pg.is_checked(f"#pick-{row6}-{ids['D2']}")  # filtering keeps the choice

    pg.click("text=执行变更")
    pg.wait_for_selector("text=整批撤销")
    assert "变更 9 件文件" in pg.inner_text(".flash")
    check_axe(pg, "legal-batch-applied")
    assert doc_state(site.lib, ids["D2"])["status"] == "repealed"
    assert doc_state(site.lib, ids["D1"])["status"] == "valid"

    pg.click("button:has-text('整批撤销')")
    pg.wait_for_selector("text=已整批撤销")
    check_axe(pg, "legal-batch-undone")
    assert snapshot(site.lib) == before


def test_one_document_change_with_confirm(clerk_page, site: Site):
    pg, doc_id = clerk_page, site.built.ids["H"]
    pg.goto(f"{site.server.url}/legal/documents?q=绿化")
    check_axe(pg, "legal-documents")
    pg.click("text=变更状态")
    check_axe(pg, "legal-status-form")
    pg.select_option("#status", "partially_invalid")
    pg.fill("#basis", BASIS)
    pg.fill("#reason", "第五条与上位法不一致")
    pg.click("text=下一步：确认")
    check_axe(pg, "legal-status-form-error")  # 部分失效 needs the part named
    assert "须在备注中写明" in pg.inner_text("form.stack-form")
    pg.fill("#note", "第五条失效")
    pg.click("text=下一步：确认")
    pg.wait_for_selector("text=确认变更")
    check_axe(pg, "legal-status-confirm")
    assert doc_state(site.lib, doc_id)["status"] == "valid"
    pg.click("button:has-text('确认变更')")
    pg.wait_for_selector(".flash")
    check_axe(pg, "legal-status-done")
    assert doc_state(site.lib, doc_id)["status"] == "partially_invalid"
    assert "第五条与上位法不一致" in pg.inner_text("table.history")


@pytest.mark.parametrize(
    "path", ["/legal/batches", "/legal/proposals", "/legal/audit", "/legal/exports"]
)
def test_other_legal_pages_have_no_axe_violations(clerk_page, site: Site, path: str):
    clerk_page.goto(site.server.url + path)
    check_axe(clerk_page, "legal-" + path.rsplit("/", 1)[-1])


@pytest.mark.slow
def test_a_300_row_preview_is_usable(clerk_page, site: Site, tmp_path):
    """The clerk's real list: counts per outcome, filter to problems, header stays in view."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["序号", "文件名称", "文号", "清理结果", "备注"])
    for n in range(1, 301):
        if n == 3:  # already repealed, never touched by the other tests
            writer.writerow([n, "龙城区2019年政务公开工作要点", "", "废止", ""])
        elif n % 3 == 0:
            writer.writerow([n, f"不存在的文件第{n}号", "", "继续有效", ""])
        else:
            writer.writerow([n, f"关于第{n}批示范项目的通知", f"宣府办〔2010〕{n}号", "废止", ""])
    sheet = tmp_path / "三百行.csv"
    sheet.write_bytes(buf.getvalue().encode("gb18030"))
    pg = clerk_page
    pg.goto(site.server.url + "/legal/cleanup")
    pg.set_input_files("#sheet", str(sheet))
    pg.fill("#basis", BASIS)
    pg.click("form.stack-form button[type=submit]")
    pg.wait_for_selector("table.preview")
    assert pg.locator(".preview tbody tr").count() == 300
    assert "299" in pg.inner_text("label[for=show-problems]")
    check_axe(pg, "legal-cleanup-preview-300")

    wrap = pg.locator(".table-wrap")
    wrap.evaluate("el => { el.scrollTop = 4000; }")
    header = pg.locator(".preview thead th").first.bounding_box()
    assert abs(header["y"] - wrap.bounding_box()["y"]) < 3  # sticky header
    screenshot(pg, "legal-cleanup-preview-300-scrolled")
    pg.click("label[for=show-unchanged]")
    assert pg.locator(".preview tbody tr:visible").count() == 1
