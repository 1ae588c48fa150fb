"""Date-driven status: a future 施行日期 waits, an ended 有效期 expires the day after. The clock is
passed in, so each test decides what "today" is."""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner
from sqlalchemy import select

from cli import main
from library.models import AuditEntry, QABasis, QAEntry
from library.validity.dates import apply_due_transitions, last_due_run, run_due_if_needed
from tests.validity.conftest import changes_of, doc_state


def _status(lib, doc_id) -> str:
    return doc_state(lib, doc_id)["status"]


def test_a_future_effective_date_means_not_yet_effective_until_that_very_day(lib, new_doc):
    doc_id = new_doc("关于实施新规的通知", "宣府发〔2024〕3号", effective_date=date(2024, 7, 1))

    done = apply_due_transitions(lib, date(2024, 6, 15))
    assert [(t.document_id, t.new_status) for t in done] == [(doc_id, "not_yet_effective")]
    assert apply_due_transitions(lib, date(2024, 6, 30)) == []
    assert _status(lib, doc_id) == "not_yet_effective"

    done = apply_due_transitions(lib, date(2024, 7, 1))
    assert [(t.document_id, t.new_status, t.since) for t in done] == [
        (doc_id, "valid", date(2024, 7, 1))
    ]
    assert doc_state(lib, doc_id)["status_since"] == date(2024, 7, 1)


def test_an_ended_validity_period_means_expired_from_the_next_day(lib, new_doc):
    doc_id = new_doc("关于试行办法的通知", "宣府发〔2019〕7号", expiry_date=date(2024, 6, 30))

    assert apply_due_transitions(lib, date(2024, 6, 30)) == []  # the last day is still valid
    assert _status(lib, doc_id) == "valid"

    done = apply_due_transitions(lib, date(2024, 7, 1))
    assert [(t.document_id, t.new_status, t.since) for t in done] == [
        (doc_id, "expired", date(2024, 7, 1))
    ]
    change = changes_of(lib, doc_id)[-1]
    assert change.actor == "system" and change.basis_title == "有效期至 2024-06-30"
    with lib.db.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(doc_id))).one()
    assert entry.actor == "system" and entry.after["status"] == "expired"


def test_a_missed_day_is_caught_up_with_the_right_dates(lib, new_doc):
    waits = new_doc(
        "甲", "宣府发〔2024〕1号", effective_date=date(2024, 3, 1), status="not_yet_effective"
    )
    ends = new_doc("乙", "宣府发〔2020〕2号", expiry_date=date(2024, 2, 10))
    apply_due_transitions(lib, date(2024, 4, 2))  # the server was off for weeks
    assert doc_state(lib, waits)["status_since"] == date(2024, 3, 1)
    assert doc_state(lib, ends)["status"] == "expired"
    assert doc_state(lib, ends)["status_since"] == date(2024, 2, 11)


def test_decisions_of_the_legal_office_are_left_alone(lib, new_doc):
    repealed = new_doc("丙", "宣府发〔2018〕9号", status="repealed", expiry_date=date(2020, 1, 1))
    amended = new_doc("丁", "宣府发〔2018〕10号", status="amended", effective_date=date(2030, 1, 1))
    assert apply_due_transitions(lib, date(2024, 6, 1)) == []
    assert (_status(lib, repealed), _status(lib, amended)) == ("repealed", "amended")


def test_once_per_day_and_remembered(lib, new_doc):
    new_doc("戊", "宣府发〔2020〕2号", expiry_date=date(2024, 2, 10))
    assert last_due_run(lib) is None
    assert len(run_due_if_needed(lib, date(2024, 3, 1))) == 1
    assert run_due_if_needed(lib, date(2024, 3, 1)) is None
    assert last_due_run(lib) == date(2024, 3, 1)
    assert run_due_if_needed(lib, date(2024, 3, 2)) == []


def test_interpretations_and_qa_follow_an_expiry(lib, new_doc):
    doc_id = new_doc("关于试行办法的通知", "宣府发〔2019〕7号", expiry_date=date(2024, 6, 30))
    interp_id = new_doc("《试行办法》解读", kind="interpretation", interprets_id=doc_id)
    with lib.db.session() as s:
        entry = QAEntry(
            question="试行办法还有效吗？",
            answer="有效。",
            status="published",
            bases=[QABasis(document_id=doc_id, ref="宣府发〔2019〕7号")],
        )
        s.add(entry)
        s.flush()
        qa_id = entry.id
    apply_due_transitions(lib, date(2024, 7, 1))
    assert _status(lib, interp_id) == "expired"
    with lib.db.session() as s:
        assert s.get(QAEntry, qa_id).status == "needs_review"


def test_a_late_linked_interpretation_is_aligned_by_the_daily_run(lib, new_doc):
    doc_id = new_doc("关于试行办法的通知", "宣府发〔2019〕7号", status="repealed")
    interp_id = new_doc("《试行办法》解读", kind="interpretation", interprets_id=doc_id)
    apply_due_transitions(lib, date(2024, 7, 1))
    assert _status(lib, interp_id) == "repealed"
    assert changes_of(lib, interp_id)[-1].actor == "system"


def test_cli_apply_due_with_a_given_day(lib, new_doc, home):
    doc_id = new_doc("关于试行办法的通知", "宣府发〔2019〕7号", expiry_date=date(2024, 6, 30))
    runner = CliRunner()
    args = ["--home", str(home), "status", "apply-due", "--json", "--today"]
    out = json.loads(runner.invoke(main, [*args, "2024-06-30"]).output)
    assert out == {"today": "2024-06-30", "changes": []}
    out = json.loads(runner.invoke(main, [*args, "2024-07-01"]).output)
    assert [(c["document_id"], c["new_status"], c["since"]) for c in out["changes"]] == [
        (doc_id, "expired", "2024-07-01")
    ]
