"""A basis document stops being current: its entries go to review, leave the hotline default and
the export, and come back after review."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from library.core import Library
from library.models import AuditEntry, QAEntry
from library.qa.entries import QAError, check_input
from library.qa.export import build_export
from library.qa.search import HOTLINE_STATUSES, search_entries
from library.qa.workflow import (
    approve,
    commit_and_index,
    flag_for_review,
    get_entry,
    retire,
    review_queue,
    update_entry,
    versions,
)
from library.search import search
from library.search_params import SearchParams
from library.validity.status import change_status


def _by_external(lib: Library, external_id: str) -> QAEntry:
    with lib.db.session() as s:
        entry = s.scalars(select(QAEntry).where(QAEntry.external_id == external_id)).one()
        _ = entry.bases
        return entry


def _exported(lib: Library) -> set[str]:
    import json

    return {e["external_id"] for e in json.loads(build_export(lib, "json").body)["entries"]}


def _hotline(lib: Library, query: str, **kw: object) -> list[str]:
    return [r["external_id"] for r in search_entries(lib, query, **kw)]


def _public_qa(lib: Library, query: str) -> set[int]:
    return {r["id"] for r in search(lib, SearchParams(q=query))["results"] if r["type"] == "qa"}


def test_expired_basis_sends_entries_to_review_and_back(qa_lib: Library, docs: dict) -> None:
    flagged = ["SAMPLE-JY-004", "SAMPLE-ZW-002", "SAMPLE-ZW-005"]  # rest on 宣府办〔2023〕41号
    query = "政策文件在哪查有没有效"
    assert _hotline(qa_lib, query)[0] == "SAMPLE-ZW-002"
    etag_before = build_export(qa_lib).etag
    entry_id = _by_external(qa_lib, "SAMPLE-ZW-002").id
    assert entry_id in _public_qa(qa_lib, "行政规范性文件 现行有效")

    change_status(
        qa_lib, docs["003"], "expired", actor="legal", reason="有效期满", basis="清理决定"
    )

    for ext in flagged:
        entry = _by_external(qa_lib, ext)
        assert entry.status == "needs_review"
        assert "2023年全县政务公开工作要点" in entry.review_reason
        assert "失效" in entry.review_reason
    assert _by_external(qa_lib, "SAMPLE-ZW-001").status == "published"  # rests on 高府办发 only
    assert not set(flagged) & _exported(qa_lib)
    assert build_export(qa_lib).etag != etag_before
    assert "SAMPLE-ZW-002" not in _hotline(qa_lib, query)
    with_review = search_entries(qa_lib, query, statuses=HOTLINE_STATUSES)
    assert with_review[0]["external_id"] == "SAMPLE-ZW-002"
    assert with_review[0]["status"] == "needs_review"
    assert with_review[0]["basis"][0]["status"] == "expired"
    assert entry_id not in _public_qa(qa_lib, "行政规范性文件 现行有效")
    with qa_lib.db.session() as s:
        queue = review_queue(s)
    assert [q["external_id"] for q in queue if q["queue"] == "待复核"] == flagged

    # Publishing is refused while the basis is not current ...
    with qa_lib.db.session() as s, pytest.raises(QAError, match="已不再现行有效"):
        approve(s, entry_id, actor="editor")
    # ... the editor replaces the basis, then approves.
    entry = _by_external(qa_lib, "SAMPLE-ZW-002")
    data = check_input(
        question=entry.question,
        answer=entry.answer,
        similar=entry.similar,
        topic=entry.topic,
        department=entry.department,
        bases="高府办发〔2022〕20号",
    )
    commit_and_index(qa_lib, lambda s: update_entry(s, entry_id, data, actor="editor"))
    assert _by_external(qa_lib, "SAMPLE-ZW-002").status == "needs_review"
    commit_and_index(qa_lib, lambda s: approve(s, entry_id, actor="editor", note="已换依据"))
    entry = _by_external(qa_lib, "SAMPLE-ZW-002")
    assert entry.status == "published" and entry.review_reason is None
    assert entry.last_reviewed_at is not None
    assert "SAMPLE-ZW-002" in _exported(qa_lib)
    assert _hotline(qa_lib, query)[0] == "SAMPLE-ZW-002"
    assert entry_id in _public_qa(qa_lib, "行政规范性文件 现行有效")

    # The document becomes current again: the other entries wait for a person, then come back.
    change_status(qa_lib, docs["003"], "valid", actor="legal", reason="恢复", basis="复查决定")
    jy = _by_external(qa_lib, "SAMPLE-JY-004")
    assert jy.status == "needs_review"
    commit_and_index(qa_lib, lambda s: approve(s, jy.id, actor="editor"))
    assert "SAMPLE-JY-004" in _exported(qa_lib)
    with qa_lib.db.session() as s:
        actions = s.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == "qa", AuditEntry.entity_id == str(jy.id))
            .order_by(AuditEntry.id)
        )
        assert list(actions) == ["qa.create", "qa.needs_review", "qa.publish"]


def test_flag_and_retire_need_a_reason_and_take_entries_out(qa_lib: Library) -> None:
    entry_id = _by_external(qa_lib, "SAMPLE-SB-002").id
    with qa_lib.db.session() as s, pytest.raises(QAError, match="原因"):
        flag_for_review(s, entry_id, actor="e", reason=" ")
    commit_and_index(qa_lib, lambda s: flag_for_review(s, entry_id, actor="e", reason="标准已调整"))
    assert "SAMPLE-SB-002" not in _exported(qa_lib)
    commit_and_index(qa_lib, lambda s: retire(s, entry_id, actor="e", reason="并入其他条目"))
    assert "SAMPLE-SB-002" not in _hotline(qa_lib, "社保卡丢了", statuses=HOTLINE_STATUSES)
    with qa_lib.db.session() as s:
        assert get_entry(s, entry_id).status == "retired"
        assert [v["status"] for v in versions(s, entry_id)] == [
            "retired",
            "needs_review",
            "published",
        ]


def test_stale_edit_is_refused(qa_lib: Library) -> None:
    entry = _by_external(qa_lib, "SAMPLE-SB-002")
    data = check_input(question=entry.question, answer="改过的答案。")
    commit_and_index(
        qa_lib, lambda s: update_entry(s, entry.id, data, actor="a", expected_version=1)
    )
    with qa_lib.db.session() as s, pytest.raises(QAError, match="已被他人修改"):
        update_entry(s, entry.id, data, actor="b", expected_version=1)
