"""`policylib ingest`'s OCR bar while the workers read pages of several scans at once."""

from __future__ import annotations

import io

from tqdm import tqdm

from cli.ingest_cmds import OcrPages


def test_pages_of_scans_read_together_add_up_on_one_bar() -> None:
    out = io.StringIO()
    pages = OcrPages(tqdm(desc="OCR", unit="页", file=out, disable=False))
    pages("a.pdf", 1, 3)
    assert (pages.bar.n, pages.bar.total) == (1, 3)
    for call in [("b.pdf", 1, 2), ("a.pdf", 2, 3), ("b.pdf", 2, 2), ("a.pdf", 3, 3)]:
        pages(*call)
    assert (pages.bar.n, pages.bar.total) == (5, 5)  # nothing reset when the other scan moved
    pages.bar.close()
    assert "OCR 2 个扫描件" in out.getvalue() and "5/5" in out.getvalue()
