"""Replacement detection proposes; the legal office decides. Nothing changes silently."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from library.cli import main
from library.models import Document, StatusProposal
from library.validity import (
    ValidityError,
    confirm_proposal,
    pending_proposals,
    propose_replacements,
    reject_proposal,
)
from tests.validity.conftest import changes_of, doc_state

OLD_TITLE = "关于加强政务公开工作的通知"
ISSUER = "宣汉县人民政府办公室"


def _propose(lib, doc_id) -> list[tuple[int, str, int]]:  # noqa: ANN001
    with lib.db.session() as s:
        made = propose_replacements(s, s.get(Document, doc_id))
        return [(p.document_id, p.proposed_status, p.source_document_id) for p in made]


@pytest.mark.parametrize(
    "ref", ["宣府办[2019]3号", "《关于加强政务公开工作的通知》", "關於加強政務公開工作的通知"]
)
def test_a_document_that_says_it_repeals_another_creates_a_proposal(lib, new_doc, ref):
    old = new_doc(OLD_TITLE, "宣府办〔2019〕3号", issuer=ISSUER)
    new = new_doc(
        "关于全面推进政务公开的实施意见",
        "宣府办〔2024〕9号",
        issuer=ISSUER,
        evidence={"replaces": [ref]},
    )

    assert _propose(lib, new) == [(old, "repealed", new)]
    assert doc_state(lib, old)["status"] == "valid"  # never a silent change
    assert changes_of(lib, old) == []
    assert _propose(lib, new) == []  # not raised twice


def test_a_newer_version_from_the_same_issuer_proposes_amended_for_the_older(lib, new_doc):
    old = new_doc(OLD_TITLE, "宣府办〔2019〕3号", issuer=ISSUER, signed_date=date(2019, 3, 1))
    other_issuer = new_doc(OLD_TITLE, "高府办发〔2021〕7号", issuer="高安市人民政府办公室")
    new = new_doc(
        f"《{OLD_TITLE}》", "宣府办〔2024〕2号", issuer=ISSUER, signed_date=date(2024, 2, 1)
    )

    assert _propose(lib, new) == [(old, "amended", new)]
    assert doc_state(lib, other_issuer)["status"] == "valid"


def test_an_older_version_arriving_late_gets_the_proposal_itself(lib, new_doc):
    new = new_doc(OLD_TITLE, "宣府办〔2024〕2号", issuer=ISSUER, signed_date=date(2024, 2, 1))
    old = new_doc(OLD_TITLE, "宣府办〔2019〕3号", issuer=ISSUER, signed_date=date(2019, 3, 1))
    assert _propose(lib, old) == [(old, "amended", new)]


def test_confirm_applies_the_change_linked_to_the_replacing_document(lib, new_doc):
    old = new_doc(OLD_TITLE, "宣府办〔2019〕3号", issuer=ISSUER, signed_date=date(2019, 3, 1))
    new = new_doc(OLD_TITLE, "宣府办〔2024〕2号", issuer=ISSUER, signed_date=date(2024, 2, 1))
    _propose(lib, new)
    with lib.db.session() as s:
        (proposal,) = pending_proposals(s)
        proposal_id = proposal.id

    confirm_proposal(lib, proposal_id, actor="clerk")

    assert doc_state(lib, old)["status"] == "amended"
    assert doc_state(lib, old)["superseded_by_id"] == new
    change = changes_of(lib, old)[-1]
    assert change.actor == "clerk" and change.basis_title == f"《{OLD_TITLE}》（宣府办〔2024〕2号）"
    with lib.db.session() as s:
        assert s.get(StatusProposal, proposal_id).state == "accepted"
        assert pending_proposals(s) == []
    with pytest.raises(ValidityError, match="已处理"):
        confirm_proposal(lib, proposal_id, actor="clerk")


def test_reject_needs_a_reason_and_is_not_raised_again(lib, new_doc):
    new_doc(OLD_TITLE, "宣府办〔2019〕3号", issuer=ISSUER, signed_date=date(2019, 3, 1))
    new = new_doc(OLD_TITLE, "宣府办〔2024〕2号", issuer=ISSUER, signed_date=date(2024, 2, 1))
    _propose(lib, new)
    with lib.db.session() as s:
        proposal_id = pending_proposals(s)[0].id
    with pytest.raises(ValidityError, match="理由"):
        reject_proposal(lib, proposal_id, actor="clerk", reason=" ")
    reject_proposal(lib, proposal_id, actor="clerk", reason="两件文件适用范围不同")
    assert _propose(lib, new) == []
    with lib.db.session() as s:
        assert s.get(StatusProposal, proposal_id).resolution_reason == "两件文件适用范围不同"


def test_cli_lists_confirms_and_rejects(lib, new_doc, home):
    new_doc(OLD_TITLE, "宣府办〔2019〕3号", issuer=ISSUER, signed_date=date(2019, 3, 1))
    new = new_doc(OLD_TITLE, "宣府办〔2024〕2号", issuer=ISSUER, signed_date=date(2024, 2, 1))
    _propose(lib, new)
    runner = CliRunner()
    base = ["--home", str(home), "status", "proposals"]
    rows = json.loads(runner.invoke(main, [*base, "--json"]).output)
    assert [(r["proposed_status"], r["source_document_id"]) for r in rows] == [("amended", new)]
    result = runner.invoke(main, [*base, "reject", str(rows[0]["id"]), "--reason", "不同"])
    assert result.exit_code == 0, result.output
    assert json.loads(runner.invoke(main, [*base, "--json"]).output) == []
