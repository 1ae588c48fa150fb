"""The public pages in real headless Chromium: axe-core WCAG 2.1 A/AA, phone, large text, keyboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from library.core import Library
from tests.browser.conftest import LiveServer, axe_violations, screenshot, start_live_server
from tests.db_backends import module_environment
from tests.web_sample import Sample, build_sample

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, module_db: dict[str, str]
) -> Iterator[tuple[LiveServer, Sample]]:
    with module_environment(module_db):
        lib = Library.open(tmp_path_factory.mktemp("public-home"))
    sample = build_sample(lib)
    server = start_live_server(lib)
    yield server, sample
    server.stop()
    lib.close()


def pages(sample: Sample) -> dict[str, str]:
    return {
        "home": "/",
        "results": "/search?q=政务公开工作要点&all=1",
        "no-results": "/search?q=量子纠缠暗物质",
        "document": f"/documents/{sample.doc}",
        "repealed": f"/documents/{sample.repealed}",
    }


def open_page(browser, site, name: str, *, large: bool, viewport: dict, js: bool = True):
    server, sample = site
    context = browser.new_context(locale="zh-CN", viewport=viewport, java_script_enabled=js)
    if large:
        context.add_cookies([{"name": "textsize", "value": "large", "url": server.url}])
    pg = context.new_page()
    resp = pg.goto(server.url + pages(sample)[name])
    assert resp is not None and resp.status == 200
    return context, pg


@pytest.mark.slow  # axe-core over a long document takes several seconds on a busy machine
@pytest.mark.parametrize("name", ["home", "results", "no-results", "document", "repealed"])
@pytest.mark.parametrize(
    "mode", ["desktop", "large-text", "phone"], ids=["desktop", "large-text", "phone"]
)
def test_no_axe_violations(browser, site, name: str, mode: str):
    viewport = PHONE if mode == "phone" else DESKTOP
    context, pg = open_page(browser, site, name, large=mode == "large-text", viewport=viewport)
    try:
        violations = axe_violations(pg)
        shot = screenshot(pg, f"public-{name}-{mode}")
        assert violations == [], [(v["id"], v["help"], len(v["nodes"])) for v in violations]
        if mode == "phone":
            width = pg.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"horizontal scroll on a phone: {width}px ({shot})"
        if name == "results" and mode == "desktop":
            DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(DOCS_IMAGES / "search.png"))
    finally:
        context.close()


def test_search_box_is_reachable_by_keyboard_and_enter_submits(browser, site):
    server, sample = site
    context, pg = open_page(browser, site, "home", large=False, viewport=DESKTOP)
    try:
        for _ in range(15):
            pg.keyboard.press("Tab")
            if pg.evaluate("document.activeElement && document.activeElement.id") == "q":
                break
        else:
            pytest.fail("the search box was not reached with Tab")
        pg.keyboard.type("宣府办〔2023〕41号")
        with pg.expect_navigation():
            pg.keyboard.press("Enter")
        assert "/search?q=" in pg.url
        first = pg.locator("ol.results > li").first
        assert first.locator(f'a[href="/documents/{sample.doc}"]').count() == 1
    finally:
        context.close()


def test_skip_link_is_first_and_moves_focus_to_main(browser, site):
    context, pg = open_page(browser, site, "results", large=False, viewport=DESKTOP)
    try:
        pg.keyboard.press("Tab")
        assert pg.evaluate("document.activeElement.textContent") == "跳到主要内容"
        assert pg.locator(".skip-link").bounding_box()["y"] >= 0
        pg.keyboard.press("Enter")
        assert pg.url.endswith("#main")
    finally:
        context.close()


def test_large_text_toggle_works_without_javascript(browser, site):
    context, pg = open_page(browser, site, "results", large=False, viewport=PHONE, js=False)
    try:
        before = pg.locator("h1").bounding_box()["height"]
        pg.get_by_role("link", name="大字模式").click()
        pg.wait_for_load_state()
        assert "/search?q=" in pg.url, "the toggle returns to the page it was used on"
        assert pg.locator("html").get_attribute("class") == "large-text"
        assert pg.locator("h1").bounding_box()["height"] > before
        screenshot(pg, "public-results-large-text-nojs-phone")
        pg.get_by_role("link", name="标准字号").click()
        pg.wait_for_load_state()
        assert pg.locator("html").get_attribute("class") is None
    finally:
        context.close()


def test_pages_work_without_javascript(browser, site):
    server, sample = site
    context, pg = open_page(browser, site, "home", large=False, viewport=DESKTOP, js=False)
    try:
        pg.get_by_label("搜索政策文件、解读和问答").fill("政务公开")
        pg.get_by_label("包含已失效/废止文件").check()
        pg.get_by_role("button", name="搜索").click()
        pg.wait_for_load_state()
        assert "all=1" in pg.url
        assert pg.locator(".badge.status-repealed").count() >= 1
        pg.locator(f'ol.results a[href="/documents/{sample.repealed}"]').click()
        pg.wait_for_load_state()
        assert pg.locator(".notice-warn").is_visible()
    finally:
        context.close()
