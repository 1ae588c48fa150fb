"""Replacement detection proposes; the legal office decides. Nothing changes silently."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from cli import main
from library.ingest import ingest_paths
from library.models import Document, StatusProposal
from library.validity.common import ValidityError
from library.validity.proposals import (
    confirm_proposal,
    pending_proposals,
    propose_replacements,
    reject_proposal,
)
from tests.validity.conftest import changes_of, doc_state

OLD_TITLE = "关于加强政务公开工作的通知"
ISSUER = "宣汉县人民政府办公室"


def _propose(lib, doc_id) -> list[tuple[int, str, int]]:
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


OLD_TEXT = """宣府办〔2019〕3号
宣汉县人民政府办公室
关于加强政务公开工作的通知
各乡镇人民政府、街道办事处，县级有关部门：
为进一步加强政务公开工作，现就有关事项通知如下。
一、加大主动公开力度。各单位要及时公开政策文件。
宣汉县人民政府办公室
2019年3月1日
"""
NEW_TEXT = """宣府办〔2024〕9号
宣汉县人民政府办公室
关于全面推进政务公开的实施意见
各乡镇人民政府、街道办事处，县级有关部门：
为全面推进政务公开工作，提出如下意见。
一、坚持以公开为常态、不公开为例外。
二、本意见自2024年3月1日起施行，原《关于加强政务公开工作的通知》（宣府办〔2019〕3号）同时废止。
宣汉县人民政府办公室
2024年2月1日
"""


def test_a_real_同时废止_clause_through_ingest_becomes_one_proposal(lib, tmp_path):
    (tmp_path / "old.txt").write_text(OLD_TEXT, encoding="utf-8")
    (tmp_path / "new.txt").write_text(NEW_TEXT, encoding="utf-8")
    report = ingest_paths(lib, [tmp_path / "old.txt", tmp_path / "new.txt"])
    ids = {f.path.rsplit("/", 1)[-1]: f.document_id for f in report.files}
    with lib.db.session() as s:
        propose_replacements(s, s.get(Document, ids["new.txt"]))  # a no-op once ingest calls it
        rows = [
            (p.document_id, p.proposed_status, p.source_document_id) for p in pending_proposals(s)
        ]
    # the clause names the old document twice (title and 文号): one proposal, nothing changed
    assert rows == [(ids["old.txt"], "repealed", ids["new.txt"])]
    assert doc_state(lib, ids["old.txt"])["status"] == "valid"


def test_a_同时废止_clause_naming_a_title_proposes_that_document_only(lib, new_doc):
    """Found through the stored title keys: the title as printed with its issuer's name, the one
    a clerk corrected since, and never another year's document or an interpretation."""
    printed = new_doc(f"{ISSUER}{OLD_TITLE}", None, issuer=ISSUER)
    corrected = new_doc("关于加强政务公开的通知（草稿）", None, issuer="达州市人民政府办公室")
    other_year = new_doc("关于做好2019年政务公开工作的通知", None, issuer=ISSUER)
    new_doc(OLD_TITLE, None, issuer=ISSUER, kind="interpretation")
    with lib.db.session() as s:
        s.get(Document, corrected).title = "达州市人民政府办公室关于加强政务公开工作的通知"
    new = new_doc(
        "关于全面推进政务公开的实施意见",
        "宣府办〔2024〕9号",
        issuer=ISSUER,
        evidence={"replaces": [f"《{OLD_TITLE}》", "关于做好2020年政务公开工作的通知"]},
    )

    assert sorted(_propose(lib, new)) == [(printed, "repealed", new), (corrected, "repealed", new)]
    assert doc_state(lib, other_year)["status"] == "valid"
