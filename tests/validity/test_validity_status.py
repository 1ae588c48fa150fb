"""One document's status: the rules, the trail it leaves, and what search shows within a second."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli import main
from library.core import Library
from library.document_view import document_view
from library.models import AuditEntry, Document, QABasis, QAEntry
from library.search import search
from library.search_params import SearchParams
from library.validity.common import ValidityError, effective_status
from library.validity.history import status_history
from library.validity.status import change_status
from tests.validity.conftest import changes_of, doc_state

BASIS = "关于公布规范性文件清理结果的决定（宣府发〔2024〕12号）"


def _search_ids(lib: Library, q: str, include_all: bool) -> dict[int, str]:
    found = search(lib, SearchParams(q=q, include_all=include_all))
    return {r["id"]: r["status_label"] for r in found["results"] if r["type"] == "document"}


def _poll(check, deadline_s: float = 1.0) -> float:
    """Seconds until `check()` holds; fails if it does not within the deadline."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > deadline_s:
            pytest.fail(f"condition not met within {deadline_s}s")
        time.sleep(0.02)


def test_status_change_leaves_default_search_and_shows_labelled_in_include_all(lib, new_doc):
    doc_id = new_doc(
        "关于规范农村宅基地审批管理的通知", "宣府办〔2021〕8号", issuer="宣汉县人民政府"
    )
    assert doc_id in _search_ids(lib, "宅基地", include_all=False)

    change_status(lib, doc_id, "repealed", actor="clerk", reason="清理：废止", basis=BASIS)

    _poll(
        lambda: (
            doc_id not in _search_ids(lib, "宅基地", include_all=False)
            and _search_ids(lib, "宅基地", include_all=True).get(doc_id) == "已废止"
        )
    )
    view = document_view(lib, doc_id)
    assert view["status"] == "repealed"
    assert [h["new_status"] for h in view["status_history"]][-1] == "repealed"


def test_a_change_records_basis_reason_actor_since_and_an_audit_entry(lib, new_doc):
    doc_id = new_doc("关于加强政务公开工作的通知", "宣府办〔2020〕3号")
    change = change_status(
        lib,
        doc_id,
        "partially_invalid",
        actor="clerk",
        reason="第三条与新规定不一致",
        basis=BASIS,
        since=date(2024, 3, 1),
        note="第三条失效",
    )
    assert doc_state(lib, doc_id) == {
        "status": "partially_invalid",
        "status_since": date(2024, 3, 1),
        "status_note": "第三条失效",
        "superseded_by_id": None,
    }
    assert (change.basis_title, change.basis_number) == (BASIS, "宣府发〔2024〕12号")
    assert (change.actor, change.reason, change.old_status) == (
        "clerk",
        "第三条与新规定不一致",
        "valid",
    )
    with lib.db.session() as s:
        history = status_history(s, doc_id)
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "status.change")).one()
    assert history[-1]["new_status_label"] == "部分失效" and history[-1]["note"] == "第三条失效"
    assert entry.entity_id == str(doc_id) and entry.actor == "clerk" and entry.basis == BASIS
    assert entry.before["status"] == "valid" and entry.after["status"] == "partially_invalid"


@pytest.mark.parametrize(
    ("status", "kwargs", "message"),
    [
        ("cancelled", {}, "未知的状态"),
        ("repealed", {"reason": "  "}, "变更理由"),
        ("repealed", {"basis": ""}, "依据"),
        ("partially_invalid", {}, "失效的部分"),
        ("repealed", {"since": date(2999, 1, 1)}, "晚于今天"),
        ("valid", {}, "无需变更"),
        ("amended", {"superseded_by_id": 999}, "不存在"),
        ("expired", {"superseded_by_id": "other"}, "只有“已修改”或“已废止”"),
    ],
)
def test_refused_changes_say_why_and_change_nothing(lib, new_doc, status, kwargs, message):
    doc_id = new_doc("关于加强政务公开工作的通知", "宣府办〔2020〕3号")
    other = new_doc("关于加强政务公开工作的通知（修订）", "宣府办〔2023〕1号")
    if kwargs.get("superseded_by_id") == "other":
        kwargs["superseded_by_id"] = other
    args = {"actor": "clerk", "reason": "清理", "basis": BASIS} | kwargs
    before = doc_state(lib, doc_id)
    with pytest.raises(ValidityError, match=message):
        change_status(lib, doc_id, status, **args)
    assert doc_state(lib, doc_id) == before
    assert changes_of(lib, doc_id) == []


def test_a_document_cannot_supersede_itself_and_unknown_ids_are_named(lib, new_doc):
    doc_id = new_doc("关于加强政务公开工作的通知", "宣府办〔2020〕3号")
    with pytest.raises(ValidityError, match="自身"):
        change_status(
            lib, doc_id, "amended", actor="c", reason="r", basis=BASIS, superseded_by_id=doc_id
        )
    with pytest.raises(ValidityError, match="#4242 不存在"):
        change_status(lib, 4242, "repealed", actor="c", reason="r", basis=BASIS)


def test_interpretations_follow_their_document_and_cannot_be_set_alone(lib, new_doc):
    doc_id = new_doc("关于印发《2023年全县政务公开工作要点》的通知", "宣府办〔2023〕41号")
    interp_id = new_doc(
        "《2023年全县政务公开工作要点》解读", kind="interpretation", interprets_id=doc_id
    )
    with pytest.raises(ValidityError, match="政策解读"):
        change_status(lib, interp_id, "repealed", actor="c", reason="r", basis=BASIS)

    change_status(lib, doc_id, "repealed", actor="clerk", reason="清理：废止", basis=BASIS)

    with lib.db.session() as s:
        interp = s.get(Document, interp_id)
        assert interp.status == "repealed"
        assert effective_status(interp) == "repealed"
    mirrored = changes_of(lib, interp_id)[-1]
    assert mirrored.actor == "clerk" and "随所解读文件" in mirrored.reason
    assert doc_id not in _search_ids(lib, "政务公开", include_all=False)
    assert interp_id not in _search_ids(lib, "政务公开", include_all=False)


def test_effective_status_reads_the_parent_even_before_the_rows_are_aligned(lib, new_doc):
    doc_id = new_doc("关于印发《要点》的通知", "宣府办〔2023〕41号", status="expired")
    interp_id = new_doc("《要点》解读", kind="interpretation", interprets_id=doc_id)
    with lib.db.session() as s:
        interp = s.get(Document, interp_id)
        assert interp.status == "valid"  # stored before the link was known
        assert effective_status(interp) == "expired"


def test_qa_on_a_document_that_stops_being_current_goes_to_review(lib, new_doc):
    doc_id = new_doc("关于印发《2023年全县政务公开工作要点》的通知", "宣府办〔2023〕41号")
    with lib.db.session() as s:
        entry = QAEntry(
            question="要点什么时候印发？",
            answer="2023年5月22日。",
            status="published",
            bases=[QABasis(document_id=doc_id, ref="宣府办〔2023〕41号")],
        )
        s.add(entry)
        s.flush()
        qa_id = entry.id
    change_status(lib, doc_id, "expired", actor="clerk", reason="有效期届满", basis=BASIS)
    with lib.db.session() as s:
        entry = s.get(QAEntry, qa_id)
        assert entry.status == "needs_review"
        assert "失效" in entry.review_reason


def test_cli_status_set_and_history(lib, new_doc, home):
    doc_id = new_doc("关于加强政务公开工作的通知", "宣府办〔2020〕3号")
    runner = CliRunner()
    args = ["--home", str(home), "status", "set", str(doc_id), "repealed"]
    result = runner.invoke(main, [*args, "--reason", "清理：废止", "--basis", BASIS, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["new_status"] == "repealed"

    result = runner.invoke(main, ["--home", str(home), "status", "history", str(doc_id), "--json"])
    history = json.loads(result.output)
    assert history[-1]["actor"].startswith("cli:") and history[-1]["basis"] == BASIS

    missing = runner.invoke(main, [*args[:4], str(doc_id), "valid", "--reason", "r"])
    assert missing.exit_code != 0 and "--basis" in missing.output
    refused = runner.invoke(main, [*args, "--reason", "again", "--basis", BASIS])
    assert refused.exit_code == 1 and "无需变更" in refused.output
