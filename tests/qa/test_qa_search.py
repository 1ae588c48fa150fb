"""The hotline's answer finder: colloquial words find formally worded entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.analyzer import Analyzer
from library.core import Library
from library.qa.entries import check_input
from library.qa.search import (
    DICTIONARY_DIR,
    FinderEntry,
    QAFinder,
    search_entries,
    synonym_canon,
)
from library.qa.workflow import commit_and_index, create_entry, retire, update_entry
from tests.qa.support import EVAL


def _top(lib: Library, query: str, **kw: object) -> str | None:
    results = search_entries(lib, query, **kw)
    return results[0]["external_id"] if results else None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("生三胎有补贴吗", "SAMPLE-SY-001"),  # 三胎 = 三孩
        ("娃上小学要准备啥材料", "SAMPLE-JY-001"),  # 娃 glued to 上 by the segmenter
        ("退伍回来找工作有啥政策", "SAMPLE-TY-001"),  # 退伍 = 退役
        ("社保卡丢了怎么补", "SAMPLE-SB-002"),  # 社保卡 = 社会保障卡
        ("公积金怎么取出来", "SAMPLE-GJJ-001"),  # 公积金 = 住房公积金, 取出来 = 提取
        ("个税退税怎么弄", "SAMPLE-NS-002"),  # 个税 = 个人所得税, 退税 = 汇算
        ("家里收入低能吃低保吗", "SAMPLE-DB-001"),  # 低保 = 最低生活保障
        ("退休工資每年都要刷臉認證嗎", "SAMPLE-YL-004"),  # traditional characters
        ("SAMPLE-HJ-001", "SAMPLE-HJ-001"),  # the hotline's own id
    ],
)
def test_colloquial_words_find_formal_entries(
    shared_qa_lib: Library, query: str, expected: str
) -> None:
    assert _top(shared_qa_lib, query) == expected


def test_result_shape_and_published_only(shared_qa_lib: Library) -> None:
    qa_lib = shared_qa_lib
    results = search_entries(qa_lib, "怎么查政策文件还有没有效")
    first = results[0]
    assert first["external_id"] == "SAMPLE-ZW-002"
    assert {"id", "external_id", "question", "answer", "status", "topic", "basis", "score"} <= set(
        first
    )
    assert first["basis"][0]["ref"] == "宣府办〔2023〕41号"
    assert first["basis"][0]["document_id"] is not None
    assert first["basis"][0]["status"] == "valid"
    assert all(r["status"] == "published" for r in results)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert search_entries(qa_lib, "") == []
    assert search_entries(qa_lib, "？？？ ！") == []


def test_every_keystroke_gives_sensible_results(shared_qa_lib: Library) -> None:
    """Typed prefix by prefix, the entry appears early and stays once the words are there."""
    qa_lib = shared_qa_lib
    query = "公积金怎么取出来"
    tops = [_top(qa_lib, query[:n]) for n in range(1, len(query) + 1)]
    assert tops[2] in {"SAMPLE-GJJ-001", "SAMPLE-GJJ-002", "SAMPLE-GJJ-003", "SAMPLE-GJJ-004"}
    assert tops[-1] == "SAMPLE-GJJ-001"


def test_edits_are_seen_at_once(qa_lib: Library) -> None:
    assert _top(qa_lib, "养蜂补贴") is None or _top(qa_lib, "养蜂补贴") != "NEW-1"
    data = check_input(
        question="养蜂户可以申请哪些补贴？", answer="按规定申请。", external_id="NEW-1"
    )
    entry = commit_and_index(qa_lib, lambda s: create_entry(s, data, actor="t", status="published"))
    assert _top(qa_lib, "养蜂补贴") == "NEW-1"
    data.question = "蜜蜂养殖补助如何申请？"
    commit_and_index(qa_lib, lambda s: update_entry(s, entry.id, data, actor="t"))
    assert _top(qa_lib, "蜜蜂养殖") == "NEW-1"
    commit_and_index(qa_lib, lambda s: retire(s, entry.id, actor="t", reason="合并"))
    assert _top(qa_lib, "蜜蜂养殖") != "NEW-1"


def test_published_entries_appear_in_the_public_search(shared_qa_lib: Library) -> None:
    from library.search import search
    from library.search_params import SearchParams

    results = search(shared_qa_lib, SearchParams(q="社会保障卡"))["results"]
    qa = [r for r in results if r["type"] == "qa"]
    assert qa and qa[0]["title"] == "社会保障卡如何申领和补换？"
    assert qa[0]["ref"] == f"qa:{qa[0]['id']}"  # the library gives refs; the web layer adds URLs


def test_synonym_groups_sharing_a_word_merge() -> None:
    groups = {"a": ("b",), "b": ("a", "c"), "c": ("b",), "x": ("y",), "y": ("x",)}
    canon = {w: synonym_canon(w, lambda v: groups.get(v, ())) for w in groups}
    assert canon["a"] == canon["b"] == canon["c"] == "a" and canon["x"] == canon["y"] == "x"


def test_eval_set_is_written_for_the_purpose() -> None:
    """At least 60 caller questions, none a copy of an entry's question or similar phrasing."""
    import csv

    from tests.qa.support import SAMPLE_QA

    queries = json.loads(EVAL.read_text(encoding="utf-8"))["queries"]
    holdout = json.loads(EVAL.with_name("qa_eval_holdout.json").read_text(encoding="utf-8"))
    with SAMPLE_QA.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 30 and len(queries) >= 60
    phrasings = {r["question"] for r in rows} | {
        s for r in rows for s in r["similar_questions"].split("|")
    }
    ids = {r["external_id"] for r in rows}
    held = holdout["queries"]
    assert not {q["query"] for q in held} & {q["query"] for q in queries}
    for q in queries + held:
        assert q["expected"] in ids
        assert q["query"] not in phrasings


def test_finder_meets_the_quality_targets_on_the_eval_set() -> None:
    """The bench prints the figures; this guards against a change that breaks ranking outright."""
    import csv

    from library.qa.entries import split_similar
    from tests.qa.support import SAMPLE_QA

    with Path(SAMPLE_QA).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    entries = [
        FinderEntry(
            i,
            "published",
            r["question"],
            tuple(split_similar(r["similar_questions"])),
            r["answer"],
            r["topic"],
            r["external_id"],
        )
        for i, r in enumerate(rows, 1)
    ]
    finder = QAFinder(Analyzer(DICTIONARY_DIR), entries)
    ext = {e.id: e.external_id for e in entries}
    queries = json.loads(EVAL.read_text(encoding="utf-8"))["queries"]
    hit1 = sum(
        [ext[h.entry_id] for h in finder.search(q["query"], limit=1)] == [q["expected"]]
        for q in queries
    )
    assert hit1 / len(queries) >= 0.85
