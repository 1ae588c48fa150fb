"""The intake desk in real headless Chromium: upload a zip of the five seeds in every format plus
two hostile files, read the outcomes, open the queue, correct seed 001's missing 文号 and seed 000's
interpreted document, see both in public search within 1 s, re-upload the same files and run the
weekly reindex with the corrections still there, revert one field; zero axe-core violations
(WCAG 2.1 A/AA, and landmark-unique) on every page, and screenshots to look at."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from library.core import Library
from library.models import Document
from library.reindex import run_reindex
from library.users import add_user
from tests.browser.conftest import (
    ARTIFACTS,
    LiveServer,
    axe_violations,
    screenshot,
    start_live_server,
)
from tests.conftest import SAMPLES
from tests.db_backends import module_environment
from tests.intake.hostile import hostile_zip, seeds_zip
from tests.ops.support import configure

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
NUMBER = "龙政办发〔2019〕12号"
TARGET_NUMBER = "宣府办〔2023〕41号"  # seed 003, which clerk links seed 000 to
SEARCH_DEADLINE_S = 1.0


@dataclass
class Site:
    server: LiveServer
    lib: Library
    files: list[Path]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, module_db: dict[str, str]) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("intake-home")
    uploads = tmp_path_factory.mktemp("clerk-desktop")
    source = tmp_path_factory.mktemp("source")
    for path in SAMPLES.glob("*.txt"):  # the weekly run's folder holds the same seeds
        shutil.copy(path, source / path.name)
    configure(home, source_folders=[str(source)])
    with module_environment(module_db):
        lib = Library.open(home)
    with lib.db.session() as s:
        add_user(s, "clerk", "legal", PASSWORD, actor="test")
    files = [
        _write(uploads / "五份样本.zip", seeds_zip("样本")),
        _write(uploads / "可疑压缩包.zip", hostile_zip()),
        _write(uploads / "伪装的文件.pdf", b"%PDF-1.4\n" + b"\x00\xff" * 2000),
    ]
    server = start_live_server(lib, config={"LOGIN_RATE_LIMIT": "500/minute"})
    yield Site(server, lib, files)
    server.stop()
    lib.close()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture
def desk(browser, site: Site):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.goto(site.server.url + "/legal/intake")
    pg.fill("#name", "clerk")
    pg.fill("#password", PASSWORD)
    pg.click("form.stack-form button[type=submit]")
    pg.wait_for_url(site.server.url + "/legal/intake")
    yield pg
    context.close()


def check_axe(pg, name: str) -> None:
    """WCAG 2.1 A/AA and landmark-unique (see tests/browser/conftest.py), and a screenshot."""
    violations = axe_violations(pg)
    screenshot(pg, name)
    assert violations == [], [(v["id"], v["help"], len(v["nodes"])) for v in violations]


def seed(lib: Library, number: str) -> int:
    with lib.db.session() as s:
        stmt = select(Document.id).where(Document.source_file.startswith(number + "_"))
        return s.scalar(stmt.order_by(Document.id).limit(1))


def doc_number(lib: Library, doc_id: int) -> str | None:
    with lib.db.session() as s:
        return s.get(Document, doc_id).doc_number


def within_deadline(pg, url: str, expected: str, since: float) -> float:
    """Load `url` until its text holds `expected`: a request sent within the deadline after
    `since` (when the change was saved) must show it. Returns when that request was sent."""
    while True:
        sent = time.monotonic() - since
        if sent > SEARCH_DEADLINE_S:
            raise AssertionError(f"{expected!r} not on {url} within {SEARCH_DEADLINE_S} s")
        pg.goto(url)
        if expected in pg.inner_text("main"):
            return sent


def upload(pg, site: Site, files: list[Path]) -> None:
    pg.goto(site.server.url + "/legal/intake")
    pg.set_input_files("#files", [str(f) for f in files])
    pg.click("#upload-form button[type=submit]")
    pg.wait_for_selector("text=导入完成", timeout=180_000)  # the page follows the batch by itself


def test_the_intake_desk_end_to_end(desk, site: Site, browser) -> None:
    pg, url, lib = desk, site.server.url, site.lib
    check_axe(pg, "intake-upload")

    upload(pg, site, site.files)
    check_axe(pg, "intake-batch")
    rows = pg.locator("table.outcomes tbody tr")
    outcomes = {
        rows.nth(i).locator("td").nth(0).inner_text(): rows.nth(i).locator("td").nth(1).inner_text()
        for i in range(rows.count())
    }
    seeds = {k: v for k, v in outcomes.items() if k.startswith("五份样本.zip/")}
    assert len(seeds) == 20 and set(seeds.values()) == {"新增", "重复"}
    assert list(seeds.values()).count("新增") == 5
    assert outcomes["伪装的文件.pdf"] == "失败"
    assert outcomes["可疑压缩包.zip/../../escape.txt"] == "失败"
    assert outcomes["可疑压缩包.zip/evil-link.txt"] == "失败"
    assert outcomes["可疑压缩包.zip/bomb.txt"] == "失败"
    assert "符号链接" in pg.inner_text("table.outcomes") and "压缩炸弹" in pg.inner_text(
        "table.outcomes"
    )

    pg.click(".legal-nav >> text=待核对")
    check_axe(pg, "intake-queue")
    counts = " ".join(pg.inner_text(".reason-counts").split())
    assert "缺少文号 1" in counts and "解读未关联文件 2" in counts

    number_doc, interp, target = seed(lib, "001"), seed(lib, "000"), seed(lib, "003")
    pg.click(f"a[href='/legal/intake/documents/{number_doc}']")
    check_axe(pg, "intake-edit")
    assert "2019918" in pg.inner_text("#signed_date-evidence")
    pg.fill("#f-doc_number", "第十二号")
    pg.click("form.edit-form button[type=submit]:has-text('保存更正')")
    assert "不是可识别的文号" in pg.inner_text("#doc_number-error")
    check_axe(pg, "intake-edit-error")
    search = browser.new_page()
    search.goto(f"{url}/search?q={NUMBER}&all=1")  # a reader already on the results page
    assert NUMBER not in search.inner_text("main .results-main")
    pg.fill("#f-doc_number", NUMBER)
    pg.fill("#edit-reason", "据原件首页补录文号")
    pg.click("form.edit-form button[type=submit]:has-text('保存更正')")
    pg.wait_for_selector(".flash-ok")
    saved = time.monotonic()
    took = within_deadline(search, f"{url}/search?q={NUMBER}&all=1", NUMBER, saved)
    print(f"correction in public search: request sent {took:.3f} s after the save showed it")
    check_axe(pg, "intake-edit-saved")

    title = "《2024年興國縣政務公開工作要點》解读"
    search.goto(f"{url}/search?q={TARGET_NUMBER}&all=1")
    assert title not in search.inner_text("main")
    pg.goto(f"{url}/legal/intake/documents/{interp}")
    pg.fill("#find", TARGET_NUMBER)
    pg.click("form[role=search] button")
    pg.click("ul.candidates button:has-text('关联')")
    pg.wait_for_selector(".flash-ok")
    saved = time.monotonic()
    took = within_deadline(search, f"{url}/search?q={TARGET_NUMBER}&all=1", title, saved)
    print(f"link in public search: request sent {took:.3f} s after the save showed it")
    check_axe(pg, "intake-edit-linked")
    search.goto(f"{url}/documents/{target}")
    assert title in search.inner_text("main")

    search.goto(f"{url}/documents/{number_doc}")
    assert "人工核对更正：文号" in search.inner_text("main")
    check_axe(search, "intake-public-document")
    search.screenshot(path=str(ARTIFACTS / "intake-public-document-top.png"))  # for the docs

    # The same files again, and the weekly run: the corrections stay.
    upload(pg, site, site.files[:1])
    assert set(pg.locator("table.outcomes tbody td:nth-child(2)").all_inner_texts()) == {"重复"}
    report = run_reindex(lib, full=True, today=date.today())
    assert report.status == "ok"
    assert doc_number(lib, number_doc) == NUMBER
    search.goto(f"{url}/search?q={NUMBER}&all=1")
    assert NUMBER in search.inner_text("main .results-main")
    search.goto(f"{url}/documents/{interp}")
    assert "本文是对以下文件的解读" in search.inner_text("main")

    pg.goto(f"{url}/legal/intake/documents/{number_doc}")
    pg.click("button:has-text('恢复解析结果')")
    pg.wait_for_selector(".flash-ok")
    assert doc_number(lib, number_doc) is None
    assert "恢复解析结果" in pg.inner_text("table.history")
    check_axe(pg, "intake-edit-reverted")

    for name, path in [
        ("home", "/"),
        ("search", "/search?q=政务公开工作要点&all=1"),
        ("catalogue", "/documents"),
        ("catalogue-filtered", "/documents?all=1&kind=document&year=2022"),
        ("interpretation", f"/documents/{interp}"),
        ("document", f"/documents/{target}"),
    ]:
        resp = search.goto(url + path)
        assert resp is not None and resp.status == 200, path
        check_axe(search, f"intake-public-{name}")
    search.close()
