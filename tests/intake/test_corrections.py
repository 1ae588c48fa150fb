"""Corrections by hand on the real seeds: validation, audit, the index at once, stickiness through
re-ingest of the same and of an updated file and through the weekly run, revert, links by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from library import audit, corrections, linking
from library.core import Library
from library.ingest import ingest_paths
from library.reindex import run_reindex
from library.search import search
from library.search_params import parse_params
from library.validity.history import status_history
from library.validity.status import change_status
from tests.intake.conftest import doc_of, seed_id

NUMBER = "龙政办发〔2019〕12号"


def touch(path: Path) -> None:
    """An updated file: a sentence of the body (never the page furniture) gets a few words more."""
    lines = path.read_text(encoding="utf-8").splitlines()
    body = [n for n, line in enumerate(lines) if line.rstrip().endswith("。")]
    n = body[len(body) // 2]
    lines[n] = lines[n].rstrip() + "（经核对补充）"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _hit(lib: Library, q: str, doc_id: int) -> dict:
    """The search result for `doc_id` when `q` is searched: what the index holds for it."""
    result = search(lib, parse_params({"q": q, "all": "1", "per_page": "50"}))
    return next(r for r in result["results"] if r["type"] == "document" and r["id"] == doc_id)


def test_a_correction_is_written_traced_and_searchable_at_once(seeded: Library) -> None:
    doc_id = seed_id(seeded, "001")
    assert doc_of(seeded, doc_id).doc_number is None
    assert _hit(seeded, "龙城区 政务公开", doc_id)["doc_number"] is None
    done = corrections.correct(
        seeded, doc_id, {"doc_number": NUMBER}, actor="clerk", reason="原件首页有文号"
    )
    assert done == {"doc_number": (None, NUMBER)}
    doc = doc_of(seeded, doc_id)
    assert doc.doc_number == NUMBER and doc.doc_number_norm == NUMBER
    assert doc.corrections["doc_number"]["parser"] is None
    assert doc.corrections["doc_number"]["by"] == "clerk"
    assert _hit(seeded, NUMBER, doc_id)["doc_number"] == NUMBER
    with seeded.db.session() as s:
        [entry] = audit.query(s, action="document.correct", entity_id=str(doc_id))
        assert (entry.actor, entry.reason) == ("clerk", "原件首页有文号")
        assert (entry.before, entry.after) == ({"doc_number": None}, {"doc_number": NUMBER})
        history = corrections.correction_history(s, doc_id)
    assert [h["fields"][0]["label"] for h in history] == ["文号"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"doc_number": "第12号文件"}, "doc_number", "不是可识别的文号"),
        ({"signed_date": "2019-02-30"}, "signed_date", "不是真实存在的日期"),
        ({"signed_date": "去年"}, "signed_date", "YYYY-MM-DD"),
        ({"effective_date": "2019-01-01"}, "effective_date", "施行日期不能早于成文日期"),
        ({"title": "  "}, "title", "不能为空"),
        ({"kind": "notice"}, "kind", "类型只能是"),
        ({"issuer": "机" * 201}, "issuer", "过长"),
    ],
)
def test_bad_values_are_refused_with_a_message_and_change_nothing(
    seeded: Library, changes: dict, field: str, words: str
) -> None:
    doc_id = seed_id(seeded, "001")  # signed 2019-09-18
    before = doc_of(seeded, doc_id)
    with pytest.raises(corrections.CorrectionError) as err:
        corrections.correct(seeded, doc_id, changes | {"topic": "政务公开"}, actor="clerk")
    assert list(err.value.errors) == [field]
    assert words in err.value.errors[field]
    after = doc_of(seeded, doc_id)
    assert (after.topic, after.corrections) == (before.topic, before.corrections)


def test_an_unchanged_submission_and_an_unknown_document_are_refused(seeded: Library) -> None:
    doc_id = seed_id(seeded, "003")
    with pytest.raises(corrections.CorrectionError, match="无需保存"):
        corrections.correct(seeded, doc_id, {"doc_number": "宣府办〔2023〕41号"}, actor="c")
    with pytest.raises(corrections.CorrectionError, match="不存在"):
        corrections.correct(seeded, 9999, {"title": "x"}, actor="c")


def test_corrections_survive_reingest_an_updated_file_and_the_weekly_run(
    seeded: Library, source: Path
) -> None:
    doc_id = seed_id(seeded, "004")
    parsed_title = doc_of(seeded, doc_id).title
    corrections.correct(
        seeded,
        doc_id,
        {"title": "高安市基层政务公开标准化规范化工作实施方案", "topic": "政务公开"},
        actor="clerk",
    )
    assert {f.outcome for f in ingest_paths(seeded, [source]).files} == {"unchanged"}
    touch(next(source.glob("004_*.txt")))
    report = ingest_paths(seeded, [source])
    assert [f.outcome for f in report.files if f.document_id == doc_id] == ["updated"]
    doc = doc_of(seeded, doc_id)
    assert doc.title == "高安市基层政务公开标准化规范化工作实施方案"
    assert doc.topic == "政务公开"
    assert "（经核对补充）" in doc.text  # the parser still fills the text and the rest
    assert doc.doc_number == "高府办发〔2022〕20号"
    assert doc.corrections["title"]["parser"] == parsed_title
    run_reindex(seeded, full=True, today=date(2024, 6, 1))
    doc = doc_of(seeded, doc_id)
    assert doc.title == "高安市基层政务公开标准化规范化工作实施方案"
    hit = _hit(seeded, "标准化规范化工作实施方案", doc_id)
    assert hit["title"] == "高安市基层政务公开标准化规范化工作实施方案"


def test_revert_gives_the_field_back_to_the_parser(seeded: Library) -> None:
    doc_id = seed_id(seeded, "003")
    corrections.correct(seeded, doc_id, {"issuer": "宣汉县人民政府"}, actor="clerk")
    old, parser = corrections.revert(seeded, doc_id, "issuer", actor="clerk2")
    assert (old, parser) == ("宣汉县人民政府", "宣汉县人民政府办公室")
    doc = doc_of(seeded, doc_id)
    assert doc.issuer == "宣汉县人民政府办公室" and doc.corrections is None
    with pytest.raises(corrections.CorrectionError, match="没有人工更正"):
        corrections.revert(seeded, doc_id, "issuer", actor="clerk2")
    with seeded.db.session() as s:
        [entry] = audit.query(s, action="document.revert", entity_id=str(doc_id))
    assert entry.after == {"issuer": "宣汉县人民政府办公室"} and entry.actor == "clerk2"


def test_setting_a_field_back_to_the_parsers_value_is_no_correction(seeded: Library) -> None:
    doc_id = seed_id(seeded, "003")
    corrections.correct(seeded, doc_id, {"signed_date": "2023-05-23"}, actor="c")
    corrections.correct(seeded, doc_id, {"signed_date": date(2023, 5, 22)}, actor="c")
    assert doc_of(seeded, doc_id).corrections is None


def test_kind_cannot_change_while_a_link_depends_on_it(seeded: Library) -> None:
    interp, target = seed_id(seeded, "000"), seed_id(seeded, "003")
    linking.link_by_hand(seeded, interp, target, actor="clerk")
    with pytest.raises(corrections.CorrectionError, match="请先解除"):
        corrections.correct(seeded, interp, {"kind": "document"}, actor="clerk")
    with pytest.raises(corrections.CorrectionError, match="已有解读"):
        corrections.correct(seeded, target, {"kind": "interpretation"}, actor="clerk")


def test_links_by_hand_from_either_side_stay_through_reingest(
    seeded: Library, source: Path
) -> None:
    interp, target = seed_id(seeded, "000"), seed_id(seeded, "003")
    linking.link_by_hand(seeded, interp, target, actor="clerk", reason="同一政务公开要点")
    doc = doc_of(seeded, interp)
    assert doc.interprets_id == target and doc.corrections["interprets"]["value"] == target
    result = search(seeded, parse_params({"q": "宣汉县 政务公开工作要点", "all": "1"}))
    hit = next(r for r in result["results"] if r["id"] == target and r["type"] == "document")
    assert interp in [i["id"] for i in hit["related"]["interpretations"]]
    for path in source.glob("*.txt"):
        touch(path)
    assert set(ingest_paths(seeded, [source]).counts.items()) >= {("updated", 5)}
    assert doc_of(seeded, interp).interprets_id == target

    # seed 002 is linked by the parser? it names a document that is not here: it waits
    waiting = seed_id(seeded, "002")
    linking.link_by_hand(seeded, waiting, target, actor="clerk")
    linking.link_by_hand(seeded, waiting, None, actor="clerk", reason="关联有误")
    assert doc_of(seeded, waiting).interprets_id is None
    assert "interprets" in doc_of(seeded, waiting).corrections  # unlinking is sticky too
    with pytest.raises(linking.LinkError, match="无需变更"):
        linking.link_by_hand(seeded, waiting, None, actor="clerk")
    with pytest.raises(linking.LinkError, match="不是政策解读"):
        linking.link_by_hand(seeded, target, interp, actor="clerk")
    with pytest.raises(linking.LinkError, match="只能关联到规范性文件"):
        linking.link_by_hand(seeded, interp, waiting, actor="clerk")
    with seeded.db.session() as s:
        actions = [e.action for e in audit.query(s, action="document")]
    assert actions.count("document.link") == 2 and actions.count("document.unlink") == 1


def test_an_unlinked_interpretation_is_not_relinked_automatically(
    seeded: Library, tmp_path: Path
) -> None:
    """Seed 002 explains 四川省2018年政务公开工作要点; once a clerk unlinks it, that document arriving
    later does not link it again."""
    interp = seed_id(seeded, "002")
    other = seed_id(seeded, "004")
    linking.link_by_hand(seeded, interp, other, actor="clerk")
    linking.link_by_hand(seeded, interp, None, actor="clerk")
    target = tmp_path / "sichuan.txt"
    target.write_text(
        "四川省人民政府办公厅关于印发四川省2018年政务公开工作要点的通知\n川办发〔2018〕25号\n"
        "各市（州）人民政府：现将《四川省2018年政务公开工作要点》印发给你们，请认真贯彻执行。\n"
        "四川省人民政府办公厅\n2018年5月1日\n",
        "utf-8",
    )
    assert ingest_paths(seeded, [target]).counts["added"] == 1
    assert doc_of(seeded, interp).interprets_id is None


def test_an_interpretation_linked_by_hand_takes_its_documents_status(seeded: Library) -> None:
    """Linked to a repealed document, an interpretation is no longer shown as current."""
    interp, target = seed_id(seeded, "000"), seed_id(seeded, "004")
    change_status(
        seeded, target, "repealed", actor="clerk", reason="清理", basis="宣府发〔2024〕12号"
    )
    title = doc_of(seeded, interp).title
    assert doc_of(seeded, interp).status == "valid"
    current = search(seeded, parse_params({"q": title}))["results"]
    assert interp in [r["id"] for r in current if r["type"] == "document"]
    linking.link_by_hand(seeded, interp, target, actor="clerk")
    assert doc_of(seeded, interp).status == "repealed"
    current = search(seeded, parse_params({"q": title}))["results"]
    assert interp not in [r["id"] for r in current if r["type"] == "document"]
    with seeded.db.session() as s:
        [change] = [c for c in status_history(s, interp) if c["new_status"] == "repealed"]
    assert change["actor"] == "clerk" and f"#{target}" in change["reason"]
