"""The hotline console in real headless Chromium, driven by the keyboard alone, and axe-core
(WCAG 2.1 A/AA) on the console, the Q&A editor pages and the public Q&A pages."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from library.core import Library
from library.models import QAEntry, QAEvent
from library.qa.workflow import commit_and_index, flag_for_review
from tests.browser.conftest import LiveServer, axe_violations, screenshot, start_live_server
from tests.db_backends import module_environment
from tests.qa.support import PASSWORD, add_accounts, build_qa_library

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, module_db: dict[str, str]
) -> Iterator[tuple[LiveServer, Library]]:
    with module_environment(module_db):
        lib = Library.open(tmp_path_factory.mktemp("hotline-home"))
        build_qa_library(lib)
        add_accounts(lib)
        server = start_live_server(lib)
        try:
            yield server, lib
        finally:
            server.stop()
            lib.close()


def _context(browser, server: LiveServer):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    return context


def _sign_in(page, server: LiveServer, name: str, target: str = "/hotline") -> None:
    page.goto(f"{server.url}/login?next={target}")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{server.url}{target}*")


def _focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def _wait_events(lib: Library, want: list[str], deadline: float = 5.0) -> list[str]:
    """Events are posted asynchronously by the page: poll the database until they arrive."""
    end = time.monotonic() + deadline
    while True:
        with lib.db.session() as s:
            got = [e.event for e in s.scalars(select(QAEvent).order_by(QAEvent.id))]
        if got[: len(want)] == want or time.monotonic() > end:
            return got


def test_console_by_keyboard_alone(browser, site: tuple[LiveServer, Library]) -> None:
    server, lib = site
    context = _context(browser, server)
    page = context.new_page()
    try:
        _sign_in(page, server, "agent1")
        # The search box has focus on load, and the keys are explained on the page.
        assert _focused_id(page) == "q"
        assert "Ctrl" in page.inner_text("#keys-help")

        page.keyboard.type("社保卡丢了怎么补", delay=40)
        options = page.locator('#results [role="option"]')
        expect(options.first).to_contain_text("社会保障卡")
        assert page.get_attribute("#q", "role") == "combobox"
        assert page.get_attribute("#q", "aria-expanded") == "true"
        assert options.count() >= 2
        assert options.nth(0).get_attribute("aria-selected") == "true"

        page.keyboard.press("ArrowDown")
        assert options.nth(1).get_attribute("aria-selected") == "true"
        assert page.get_attribute("#q", "aria-activedescendant") == options.nth(1).get_attribute(
            "id"
        )
        page.keyboard.press("ArrowUp")
        assert options.nth(0).get_attribute("aria-selected") == "true"
        assert _focused_id(page) == "q"

        page.keyboard.press("Enter")
        page.wait_for_selector("#answer-body .answer-text")
        assert _focused_id(page) == "answer"
        assert page.inner_text("#answer-body h3") == "社会保障卡如何申领和补换？"
        assert "人力资源和社会保障局" in page.inner_text("#answer-body")
        assert "最后复核：" in page.inner_text("#answer-body")

        page.keyboard.press("c")
        page.wait_for_selector("#answer-body .copied")
        assert page.inner_text("#answer-body .copied") == "已复制答案"
        clipboard = page.evaluate("navigator.clipboard.readText()")
        assert clipboard.startswith("参保人员可持本人有效身份证件到社会保障卡服务网点")
        page.keyboard.press("y")
        expect(page.locator("#answer-body .copied")).to_contain_text("已解决")
        screenshot(page, "hotline-console-answer")
        assert _wait_events(lib, ["open", "copy", "solved"]) == ["open", "copy", "solved"]

        # Esc goes back to the search box; Ctrl+Enter copies the selected answer in one go.
        page.keyboard.press("Escape")
        assert _focused_id(page) == "q"
        page.keyboard.press("Control+a")
        page.keyboard.type("个税退税怎么弄", delay=30)
        expect(options.first).to_contain_text("年度汇算")
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#answer-body .copied")
        assert page.evaluate("navigator.clipboard.readText()").startswith(
            "纳税人在取得综合所得的次年"
        )
        assert "已复制" in page.inner_text("#console-status")
        assert axe_violations(page) == []
    finally:
        context.close()


def test_needs_review_shows_a_red_warning(browser, site: tuple[LiveServer, Library]) -> None:
    server, lib = site
    with lib.db.session() as s:
        entry_id = s.scalar(select(QAEntry.id).where(QAEntry.external_id == "SAMPLE-GJJ-003"))
    commit_and_index(lib, lambda s: flag_for_review(s, entry_id, actor="t", reason="提取政策调整"))
    context = _context(browser, server)
    page = context.new_page()
    try:
        _sign_in(page, server, "agent1")
        page.keyboard.type("辞职了公积金咋办", delay=20)
        page.wait_for_selector('#results [role="option"]')
        texts = page.locator('#results [role="option"]').all_inner_texts()
        assert not any("离职后住房公积金" in t for t in texts)  # out of the default results
        page.keyboard.press("Tab")  # to the 查找 button
        page.keyboard.press("Tab")  # to the review checkbox
        page.keyboard.press("Space")
        expect(page.locator('#results [role="option"]').first).to_contain_text("离职后")
        page.focus("#q")
        page.keyboard.press("Enter")
        warning = page.locator("#answer-body .review-warning")
        warning.wait_for()
        assert "提取政策调整" in warning.inner_text()
        color = page.evaluate(
            "getComputedStyle(document.querySelector('#answer-body .review-warning')).color"
        )
        r, g, b = map(int, re.findall(r"\d+", color)[:3])
        assert r > 100 and g < 60 and b < 60  # red text on the pale red box
        screenshot(page, "hotline-console-needs-review")
        assert axe_violations(page) == []
    finally:
        context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/hotline/stats?period=day",
        "/hotline/review",
        "/hotline/entries",
        "/hotline/entries/new",
        "/hotline/import",
    ],
)
def test_editor_pages_have_no_axe_violations(browser, site, path: str) -> None:
    server, _ = site
    context = _context(browser, server)
    page = context.new_page()
    try:
        _sign_in(page, server, "editor1", target=path.split("?")[0])
        page.goto(server.url + path)
        assert axe_violations(page) == [], path
        if path.startswith("/hotline/stats"):
            screenshot(page, "hotline-stats")
    finally:
        context.close()


def test_public_qa_pages(page, site: tuple[LiveServer, Library]) -> None:
    server, lib = site
    page.goto(server.url + "/qa")
    assert page.inner_text("h1") == "政策问答"
    assert axe_violations(page) == []
    screenshot(page, "qa-public-index")
    with lib.db.session() as s:
        entry_id = s.scalar(select(QAEntry.id).where(QAEntry.external_id == "SAMPLE-ZW-002"))
    page.goto(f"{server.url}/qa/{entry_id}")
    assert "现行有效" in page.inner_text(".basis-list")
    assert axe_violations(page) == []
    screenshot(page, "qa-public-entry")
