"""A failed index refresh after a commit is recorded, reported and retried (library/index_backlog.py).

The failure is real: the index's write lock is held, as a stuck writer would hold it, so the refresh
after a status change times out. The change stays committed, health warns "index behind the
database", and once the lock is free the web app's next request cycle, the daily job or the next
write brings the index back in line: the repealed document leaves the default public results.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy import select

from indexer import SearchQuery
from indexer.locks import FileLock
from library import indexing
from library.core import Library
from library.daily import retry_index_backlog
from library.health import health
from library.ingest import ingest_paths
from library.models import Document
from library.validity.status import change_status
from webapp import create_app

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


@contextmanager
def index_locked(lib: Library) -> Iterator[None]:
    """Another writer holds the index; our writes give up after a short wait."""
    lib.index.write_timeout = 0.3
    with FileLock(lib.index.path / "write.lock", timeout=5):
        yield


def current_ids(lib: Library) -> set[str]:
    """What the public sees by default: current documents only."""
    return {h.id for h in lib.index.search(SearchQuery(per_page=1000)).hits}


def a_valid_document(lib: Library) -> int:
    ingest_paths(lib, [SAMPLES], workers=1)
    with lib.db.session() as s:
        return s.scalars(
            select(Document.id).where(Document.kind == "document", Document.status == "valid")
        ).first()


def repeal(lib: Library, doc_id: int) -> None:
    change_status(
        lib,
        doc_id,
        "repealed",
        actor="legal",
        reason="清理",
        basis="某府办〔2026〕1号",
        today=date.today(),
    )


def behind(report: dict) -> list[str]:
    return [p for p in report["problems"] if p.startswith("index behind the database")]


def test_a_failed_refresh_warns_and_the_request_cycle_retries_it(lib: Library) -> None:
    doc_id = a_valid_document(lib)
    assert f"doc:{doc_id}" in current_ids(lib)
    with index_locked(lib):
        repeal(lib, doc_id)  # committed; the refresh fails and must not raise
    assert f"doc:{doc_id}" in current_ids(lib), "the index really missed the change"
    report = health(lib)
    assert report["status"] == "warning" and behind(report), report["problems"]
    assert report["index_backlog"]["records"] >= 1
    lib.settings.health_token = "monitoring"  # the full report, as a monitoring system sees it
    client = create_app(lib, config={"TESTING": True}).test_client()
    auth = {"Authorization": "Bearer monitoring"}
    body = client.get("/healthz", headers=auth).get_json()  # the request cycle retries first
    assert not behind(body), body["problems"]
    assert f"doc:{doc_id}" not in current_ids(lib)
    assert health(lib)["index_backlog"]["records"] == 0


def test_the_daily_job_and_the_next_write_retry_a_failed_refresh(lib: Library) -> None:
    doc_id = a_valid_document(lib)
    with index_locked(lib):
        repeal(lib, doc_id)
        assert retry_index_backlog(lib) is False, "the retry fails while the index is locked"
    assert behind(health(lib))
    assert retry_index_backlog(lib) is True
    assert f"doc:{doc_id}" not in current_ids(lib) and not behind(health(lib))

    with index_locked(lib):
        change_status(lib, doc_id, "valid", actor="legal", reason="恢复", basis="某府办〔2026〕2号")
    assert f"doc:{doc_id}" not in current_ids(lib) and behind(health(lib))
    with lib.db.session() as s:
        other = s.scalars(select(Document.id).where(Document.id != doc_id)).first()
    assert indexing.refresh(lib, doc_ids=[other]) is True  # any later write takes the backlog too
    assert f"doc:{doc_id}" in current_ids(lib) and not behind(health(lib))


def test_search_answers_from_the_database_while_the_index_stays_behind(lib: Library) -> None:
    """No retry has succeeded (the index is still locked), yet the public default search already
    leaves the repealed document out, and "all" shows it with the database's status."""
    from library.search import search
    from library.search_params import SearchParams

    doc_id = a_valid_document(lib)
    with lib.db.session() as s:
        title = s.get(Document, doc_id).title
    with index_locked(lib):
        repeal(lib, doc_id)
        assert f"doc:{doc_id}" in current_ids(lib), "the index itself still says current"
        default = search(lib, SearchParams(q=title))
        assert f"doc:{doc_id}" not in {r["ref"] for r in default["results"]}
        everything = search(lib, SearchParams(q=title, include_all=True))
        row = next(r for r in everything["results"] if r["ref"] == f"doc:{doc_id}")
        assert row["status"] == "repealed" and not row["is_current"], row
