"""Splitting interpretations written as numbered questions and answers (parsers/qa_pairs.py)."""

from __future__ import annotations

import opencc

from parsers.normalize import normalize_text
from parsers.qa_pairs import abbreviations, cn_number, expand_abbreviations, split_qa_pairs
from tests.qa.support import seed

SEED_000_QUESTIONS = [
    "《要点》的出台基于什么样的政策背景？",
    "《要点》的依据有哪些？",
    "《要点》出台目的是什么？",
    "重要举措有哪些？",
    "与企业、群众密切相关的事项？",
    "新旧政策有哪些关联、差异？",
]
T2S = opencc.OpenCC("t2s")


def test_seed_000_gives_its_six_questions_with_their_answers() -> None:
    raw = seed("000").read_text(encoding="utf-8")
    for text in (raw, normalize_text(raw)):
        pairs = split_qa_pairs(text)
        assert [T2S.convert(p.question) for p in pairs] == SEED_000_QUESTIONS
        assert [p.number for p in pairs] == [1, 2, 3, 4, 5, 6]
        # The numbering is gone, the characters are the document's own (traditional, no litter).
        assert pairs[5].question == "新舊政策有哪些關聯、差異？"
        assert pairs[0].answer.startswith("新時代政務公開工作面臨新形勢")
        assert pairs[0].answer.endswith("(以下簡稱《要點》)。")
        assert pairs[1].answer.startswith("起草《要點》的主要依據包含")
        # 一是/二是 points inside answer 4 stay in answer 4, all five of them.
        assert pairs[3].answer.startswith("《要點》的重要舉措主要分為五個部門。")
        assert all(f"{n}是" in pairs[3].answer for n in "一二三四五")
        assert pairs[5].answer.startswith("一是公眾參與方面")
        assert pairs[5].answer.endswith("推動公開與服務深度融合。")
        # The preamble belongs to no answer and nothing carries converter litter.
        assert not any("為全面貫徹落實" in p.answer for p in pairs)
        assert not any("(tǒng)" in p.answer or "(tǒng)" in p.question for p in pairs)


def test_interpretation_without_questions_gives_nothing() -> None:
    assert split_qa_pairs(seed("002").read_text(encoding="utf-8")) == []
    statements = "前言。\n一、起草背景\n为了做好工作。\n二、主要内容\n包括三个方面。"
    assert split_qa_pairs(statements) == []


def test_other_layouts() -> None:
    ask_answer = "关于低保的问答\n问：低保怎么申请？\n答：向乡镇人民政府提出申请。\n问：多久审批完？\n答：一般30日内。"
    pairs = split_qa_pairs(ask_answer)
    assert [(p.question, p.answer) for p in pairs] == [
        ("低保怎么申请？", "向乡镇人民政府提出申请。"),
        ("多久审批完？", "一般30日内。"),
    ]
    arabic = (
        "1.什么是临时救助?\n临时救助是……\n（一）急难型\n（二）支出型\n2、如何申请？答：向街道申请。"
    )
    pairs = split_qa_pairs(arabic)
    assert [p.question for p in pairs] == ["什么是临时救助？", "如何申请？"]
    assert pairs[0].answer == "临时救助是……\n（一）急难型\n（二）支出型"
    assert pairs[1].answer == "向街道申请。"


def test_out_of_sequence_headings_stay_in_the_answer() -> None:
    text = "一、为什么出台？\n因为需要。\n三、这一条跳号了吗？\n仍属第一问。\n二、怎么办理？\n到窗口办理。"
    pairs = split_qa_pairs(text)
    assert [p.question for p in pairs] == ["为什么出台？", "怎么办理？"]
    assert "三、这一条跳号了吗？" in pairs[0].answer


def test_question_without_answer_is_dropped() -> None:
    assert [p.question for p in split_qa_pairs("一、有答案吗？\n有。\n二、没有答案吗？")] == [
        "有答案吗？"
    ]


def test_chinese_numbers() -> None:
    assert [
        cn_number(v) for v in ("一", "十", "十二", "二十", "二十三", "一百零五", "7", "甲")
    ] == [
        1,
        10,
        12,
        20,
        23,
        105,
        7,
        None,
    ]


def test_abbreviations_spell_out_the_short_title() -> None:
    short = abbreviations(seed("000").read_text(encoding="utf-8"))
    assert short == {"《要點》": "《2024年興國縣政務公開工作要點》"}
    assert expand_abbreviations("《要點》的依據有哪些？", short) == (
        "《2024年興國縣政務公開工作要點》的依據有哪些？"
    )
