"""Real headless Chromium (Debian's) driven by Playwright, against the app served on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from library.core import Library
from webapp import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


class LiveServer:
    """The WSGI app on a free loopback port, in a thread, stopped at teardown.

    Werkzeug's threaded server, because its shutdown() waits for the serving loop to end before the
    socket closes (closing waitress from another thread races its select loop).
    """

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def start_live_server(lib: Library, config: dict | None = None) -> LiveServer:
    return LiveServer(create_app(lib, config=config))


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


# Best-practice rules held to as strictly as WCAG: two landmarks with one name (a section and
# its scrolling table both called 有效性变更记录) leave screen-reader users unable to tell them apart.
BEST_PRACTICE_RULES = ["landmark-unique"]


def axe_violations(pg) -> list[dict]:
    """Run axe-core (shipped in the axe-playwright-python package) for WCAG 2.1 A and AA rules,
    plus BEST_PRACTICE_RULES."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    wcag = {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
    results = axe.run(pg, options={"runOnly": wcag})
    extra = axe.run(pg, options={"runOnly": {"type": "rule", "values": BEST_PRACTICE_RULES}})
    return results.response["violations"] + extra.response["violations"]


def screenshot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path
