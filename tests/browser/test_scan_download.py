"""A scan's document page in real Chromium: the searchable PDF is offered next to the original,
the page still passes axe-core, and the link downloads the scan with its OCR text in it."""

from __future__ import annotations

import io
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from pdfminer.high_level import extract_text

from library.core import Library
from library.ingest import ingest_paths
from tests import scans
from tests.browser.conftest import axe_violations, screenshot, start_live_server

pytestmark = pytest.mark.browser


def fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def test_searchable_pdf_downloads_from_the_document_page(
    browser, lib: Library, ocr_scans, tmp_path: Path
) -> None:
    shutil.copytree(ocr_scans.cache_dir, lib.settings.ocr_cache_dir, dirs_exist_ok=True)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(ocr_scans.folder / "redhead.scan.pdf", folder / "保密审查通知.pdf")
    [outcome] = ingest_paths(lib, [folder]).files
    server = start_live_server(lib)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        pg = context.new_page()
        pg.goto(f"{server.url}/documents/{outcome.document_id}")
        original = pg.get_by_role("link", name=re.compile("下载原件"))
        link = pg.get_by_role("link", name=re.compile("可检索的 PDF"))
        assert original.is_visible() and link.is_visible()
        violations = axe_violations(pg)
        screenshot(pg, "public-document-scan")
        assert violations == [], [(v["id"], v["help"]) for v in violations]
        with pg.expect_download() as info:
            link.click()
        download = info.value
        assert download.suggested_filename == "保密审查通知.searchable.pdf"
        data = Path(download.path()).read_bytes()
        text = fold(extract_text(io.BytesIO(data)))
        assert data.startswith(b"%PDF") and fold(scans.REDHEAD["number"]) in text
        assert fold(scans.REDHEAD["title"][1]) in text
    finally:
        context.close()
        server.stop()
