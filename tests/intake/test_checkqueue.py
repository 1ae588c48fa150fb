"""The check queue on the real seeds and on documents with conflicting fields: reasons, counts,
newest first, confirm-as-checked, a correction that fixes the reason, and a new parse reopening."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from library import audit, checkqueue, corrections, linking
from library.core import Library
from library.ingest import ingest_paths
from tests.intake.conftest import doc_of, seed_id
from tests.intake.test_corrections import touch
from tests.validity.conftest import make_doc


def _queue(lib: Library, **kw: object) -> dict:
    with lib.db.session() as s:
        return checkqueue.queue(s, **kw)


def _reasons(lib: Library) -> dict[int, list[str]]:
    return {i["id"]: [r["code"] for r in i["reasons"]] for i in _queue(lib, limit=None)["items"]}


def test_the_seeds_are_queued_for_what_the_parser_doubted_or_missed(seeded: Library) -> None:
    ids = {n: seed_id(seeded, n) for n in ("000", "001", "002", "003", "004")}
    reasons = _reasons(seeded)
    assert "warning" in reasons[ids["000"]] and "unlinked" in reasons[ids["000"]]
    assert "no_doc_number" in reasons[ids["001"]]
    assert reasons[ids["002"]] == ["unlinked"]
    assert ids["003"] not in reasons and ids["004"] not in reasons
    data = _queue(seeded)
    assert data["total"] == len(reasons)
    assert data["counts"]["unlinked"] == 2 and data["counts"]["no_doc_number"] == 1
    assert sum(data["counts"].values()) == sum(len(r) for r in reasons.values())
    assert [i["id"] for i in data["items"]] == sorted(reasons, reverse=True)  # newest first


def test_conflicting_fields_are_queued(lib: Library) -> None:
    early = make_doc(
        lib,
        "施行早于成文的文件",
        "宣府办〔2023〕7号",
        issuer="宣汉县人民政府办公室",
        signed_date=date(2023, 5, 1),
        effective_date=date(2023, 4, 1),
    )
    year = make_doc(
        lib,
        "文号年份不符的文件",
        "宣府办〔2022〕8号",
        issuer="宣汉县人民政府办公室",
        signed_date=date(2023, 5, 1),
    )
    fine = make_doc(
        lib, "无可挑剔的文件", "宣府办〔2023〕9号", issuer="宣汉县", signed_date=date(2023, 5, 1)
    )
    reasons = _reasons(lib)
    assert reasons[early] == ["effective_before_signed"]
    assert reasons[year] == ["number_year"]
    assert fine not in reasons
    only = _queue(lib, reason="number_year")
    assert [i["id"] for i in only["items"]] == [year] and only["total"] == 2
    with pytest.raises(checkqueue.CheckError, match="未知的核对原因"):
        _queue(lib, reason="bogus")
    corrections.correct(lib, year, {"doc_number": "宣府办〔2023〕8号"}, actor="clerk")
    assert year not in _reasons(lib)


def test_confirm_and_corrections_take_documents_off_the_queue(seeded: Library) -> None:
    number, interp = seed_id(seeded, "001"), seed_id(seeded, "002")
    checkqueue.confirm_checked(seeded, interp, actor="clerk", note="上级文件未收录")
    assert interp not in _reasons(seeded)
    with pytest.raises(checkqueue.CheckError, match="不在待核对队列"):
        checkqueue.confirm_checked(seeded, interp, actor="clerk")
    with seeded.db.session() as s:
        [entry] = audit.query(s, action="document.check")
    assert (entry.actor, entry.reason, entry.after) == (
        "clerk",
        "上级文件未收录",
        {"handled": ["unlinked"]},
    )

    corrections.correct(seeded, number, {"doc_number": "龙政办发〔2019〕12号"}, actor="clerk")
    assert number not in _reasons(seeded)  # the correction fixed 文号 and covered the warning
    corrections.revert(seeded, number, "doc_number", actor="clerk")
    assert _reasons(seeded)[number] == ["no_doc_number"]

    linked = seed_id(seeded, "000")
    linking.link_by_hand(seeded, linked, seed_id(seeded, "003"), actor="clerk")
    assert "unlinked" not in _reasons(seeded).get(linked, [])


def test_a_new_parse_of_a_checked_document_is_checked_again(seeded: Library, source: Path) -> None:
    interp = seed_id(seeded, "002")
    checkqueue.confirm_checked(seeded, interp, actor="clerk")
    ingest_paths(seeded, [source])  # same files: nothing re-parsed
    assert interp not in _reasons(seeded)
    touch(next(source.glob("002_*.txt")))
    ingest_paths(seeded, [source])
    assert doc_of(seeded, interp).review is None
    assert _reasons(seeded)[interp] == ["unlinked"]


def _cli(home: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--home", str(home), *args])
    return result.exit_code, result.output


def test_cli_edit_queue_check_link_unlink_revert(seeded: Library, home: Path) -> None:
    number, interp, target = seed_id(seeded, "001"), seed_id(seeded, "000"), seed_id(seeded, "003")
    code, out = _cli(home, "docs", "queue", "--json")
    assert code == 0 and json.loads(out)["counts"]["no_doc_number"] == 1

    code, out = _cli(home, "docs", "edit", str(number), "--doc-number", "第12号")
    assert code == 1 and "不是可识别的文号" in out
    code, out = _cli(
        home, "docs", "edit", str(number), "--doc-number", "龙政办发〔2019〕12号",
        "--signed-date", "2019-09-19", "--reason", "原件核对", "--json",
    )  # fmt: skip
    assert code == 0, out
    assert json.loads(out)["changed"] == {
        "doc_number": {"from": None, "to": "龙政办发〔2019〕12号"},
        "signed_date": {"from": "2019-09-18", "to": "2019-09-19"},
    }
    code, out = _cli(home, "docs", "show", str(number), "--json")
    assert json.loads(out)["corrections"]["signed_date"]["reason"] == "原件核对"

    code, out = _cli(home, "docs", "revert", str(number), "signed_date")
    assert code == 0 and "2019-09-19 → 2019-09-18" in out
    code, out = _cli(home, "docs", "revert", str(number), "signed_date")
    assert code == 1 and "没有人工更正" in out

    code, out = _cli(home, "docs", "link", str(interp), str(target))
    assert code == 0 and doc_of(seeded, interp).interprets_id == target
    code, out = _cli(home, "docs", "link", str(target), str(interp))
    assert code == 1 and "不是政策解读" in out
    code, out = _cli(home, "docs", "unlink", str(interp), "--reason", "关联有误")
    assert code == 0 and doc_of(seeded, interp).interprets_id is None

    code, out = _cli(home, "docs", "check", str(interp), "--json")
    assert code == 0
    assert {r["code"] for r in json.loads(out)["handled"]} == {"warning", "unlinked"}
    code, out = _cli(home, "docs", "queue")
    assert code == 0 and f"#{interp}\t" not in out
    code, out = _cli(home, "docs", "edit", "9999", "--title", "x")
    assert code == 1 and "不存在" in out
