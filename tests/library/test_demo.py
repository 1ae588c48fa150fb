"""The README's first command loads the samples; running it twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from library.demo import ACCOUNTS_FILE, load_demo
from library.models import Document, QAEntry, User
from library.search_params import SearchParams


def test_demo_loads_samples_once(lib) -> None:
    first = load_demo(lib)
    assert first.ingest.counts["failed"] == 0
    assert first.ingest.counts["added"] == 6  # the five seeds and one scanned red-head notice
    assert set(first.accounts) == {"admin", "legal", "editor", "agent"}
    assert (lib.settings.home / ACCOUNTS_FILE).stat().st_mode & 0o077 == 0
    second = load_demo(lib)
    assert second.accounts == {}
    assert second.ingest.counts["added"] == 0 and second.ingest.counts["failed"] == 0
    assert second.qa_counts.get("new", 0) == 0
    with lib.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 6
        scan = s.scalar(select(Document).where(Document.ocr.is_not(None)))
        assert scan.doc_number == "示府办〔2021〕8号" and scan.ocr["pages"] == 1
        assert s.scalar(select(func.count()).select_from(QAEntry)) >= 30
        assert s.scalar(select(func.count()).select_from(User)) == 4
    results = lib.index.search(SearchParams(q="宣府办[2023]41号").to_query())
    assert results.hits and results.hits[0].doc_number == "宣府办〔2023〕41号"
