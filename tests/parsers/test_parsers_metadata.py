"""Metadata rules on small texts written to real files: own vs cited numbers, dates, validity,
interpretations, repeals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from parsers import ParsedDocument, parse_file
from parsers.dates import parse_date, repair_damaged
from parsers.docnumber import find_doc_numbers, looks_like_doc_number, normalize_doc_number

NOTICE = """宣府办〔2023〕41号
宣汉县人民政府办公室
关于印发《全县政务公开管理办法》的通知
各乡镇人民政府、街道办事处：
现将《全县政务公开管理办法》印发你们，请认真贯彻落实。
宣汉县人民政府办公室
2023年5月22日
全县政务公开管理办法
第一条 为规范政务公开工作，根据《中华人民共和国政府信息公开条例》制定本办法。
{body}
"""


def parse_text(tmp_path: Path, text: str, name: str = "doc.txt") -> ParsedDocument:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_file(path)


def notice(tmp_path: Path, body: str) -> ParsedDocument:
    return parse_text(tmp_path, NOTICE.format(body=body))


def test_effective_date_and_validity_in_years(tmp_path: Path) -> None:
    doc = notice(tmp_path, "第九条 本办法自2023年6月1日起施行，有效期5年。")
    assert doc.effective_date == date(2023, 6, 1)
    assert doc.expiry_date == date(2028, 5, 31)
    assert doc.evidence["expiry_date"].line == 10


def test_valid_until_a_date(tmp_path: Path) -> None:
    doc = notice(tmp_path, "本办法自印发之日起施行，有效期至2025年12月31日。")
    assert doc.effective_date == date(2023, 5, 22)  # 印发之日 = the signature date
    assert doc.expiry_date == date(2025, 12, 31)


def test_validity_range(tmp_path: Path) -> None:
    doc = notice(tmp_path, "本办法有效期为2024年1月1日至2026年12月31日。")
    assert (doc.effective_date, doc.expiry_date) == (date(2024, 1, 1), date(2026, 12, 31))


def test_cited_dates_and_licence_periods_are_not_the_documents(tmp_path: Path) -> None:
    doc = notice(
        tmp_path,
        "新修订的《条例》自2019年5月15日起施行后，各单位要加强学习。\n许可证有效期为三年，期满前申请延续。",
    )
    assert doc.effective_date is None and doc.expiry_date is None


def test_validity_without_a_start_date_warns(tmp_path: Path) -> None:
    doc = parse_text(tmp_path, "关于加强管理的通知\n各部门：\n本通知有效期3年。")
    assert doc.expiry_date is None
    assert any("有效期3年" in w for w in doc.warnings)


def test_repealed_documents(tmp_path: Path) -> None:
    doc = notice(
        tmp_path,
        "本办法自2023年6月1日起施行，原《宣汉县政务公开办法》（宣府办〔2018〕12号）同时废止。\n"
        "宣府发〔2019〕3号文件同时废止。",
    )
    assert doc.replaces == ["宣汉县政务公开办法", "宣府办〔2018〕12号", "宣府发〔2019〕3号"]
    assert doc.evidence["replaces"].line == 10


def test_own_number_only_from_the_header(tmp_path: Path) -> None:
    doc = notice(tmp_path, "根据宣府发〔2020〕7号文件精神，结合实际，制定本办法。")
    assert doc.doc_number == "宣府办〔2023〕41号"
    cited_only = parse_text(
        tmp_path,
        "关于做好政务公开工作的通知\n各部门：\n根据《通知》（川办发〔2018〕25号）要求，现通知如下。",
    )
    assert cited_only.doc_number is None


def test_own_number_in_any_bracket_style_and_from_labels(tmp_path: Path) -> None:
    assert parse_text(tmp_path, "宣府办[2023]41号\n关于X的通知\n各部门：").doc_number == (
        "宣府办[2023]41号"
    )
    labelled = parse_text(
        tmp_path,
        "索引号：123\n发文机关：宣汉县人民政府办公室\n发文字号：宣府办〔2023〕41号\n"
        "成文日期：2023年05月22日\n发布日期：2023-05-25\n标题：关于X的通知\n正文第一段，内容很长很长。",
    )
    assert labelled.doc_number == "宣府办〔2023〕41号"
    assert labelled.issuer == "宣汉县人民政府办公室"
    assert labelled.signed_date == date(2023, 5, 22)
    assert labelled.published_date == date(2023, 5, 25)
    assert labelled.title == "关于X的通知"


def test_chinese_numeral_signature_date(tmp_path: Path) -> None:
    doc = parse_text(
        tmp_path, "关于X的通知\n各部门：\n请执行。\n宣汉县财政局\n二〇二三年五月二十二日"
    )
    assert (doc.issuer, doc.signed_date) == ("宣汉县财政局", date(2023, 5, 22))


def test_ambiguous_damaged_date_is_not_guessed(tmp_path: Path) -> None:
    doc = parse_text(tmp_path, "关于X的通知\n各部门：\n请执行。\n宣汉县财政局\n2019111")
    assert doc.signed_date is None
    assert any("2019-01-11" in w and "2019-11-01" in w for w in doc.warnings)


def test_issuer_from_the_title_when_unsigned(tmp_path: Path) -> None:
    doc = parse_text(tmp_path, "宣汉县财政局关于做好预算公开的通知\n各单位：\n请执行。")
    assert doc.issuer == "宣汉县财政局"


@pytest.mark.parametrize(
    ("title", "kind", "target"),
    [
        ("关于《宣汉县政务公开管理办法》的政策解读", "interpretation", "宣汉县政务公开管理办法"),
        ("《2023年全县政务公开工作要点》图解", "interpretation", "2023年全县政务公开工作要点"),
        ("2023年全县政务公开工作要点解读", "interpretation", "2023年全县政务公开工作要点"),
        ("宣汉县政务公开管理办法政策问答", "interpretation", "宣汉县政务公开管理办法"),
        ("关于加强政策解读工作的通知", "document", None),
        ("关于印发《政策解读工作规范》的通知", "document", None),
    ],
)
def test_kind_from_the_title(tmp_path: Path, title: str, kind: str, target: str | None) -> None:
    doc = parse_text(tmp_path, f"{title}\n各部门：\n正文。")
    assert (doc.kind, doc.interprets_title) == (kind, target)


def test_interpreted_number_next_to_the_title(tmp_path: Path) -> None:
    doc = parse_text(
        tmp_path,
        "近日，县政府办公室印发了《宣汉县政务公开管理办法》（宣府办〔2023〕41号），现解读如下：\n"
        "一、出台背景是什么？\n答案。",
    )
    assert doc.kind == "interpretation"
    assert doc.interprets_title == "宣汉县政务公开管理办法"
    assert doc.interprets_number == "宣府办〔2023〕41号"
    assert doc.title == "《宣汉县政务公开管理办法》解读"


def test_text_without_anything_recognisable_warns(tmp_path: Path) -> None:
    doc = parse_text(tmp_path, "这是一段没有标题的长文字。" * 10)
    assert doc.title is None and doc.kind == "document"
    assert "未找到标题，请人工补充" in doc.warnings


def test_markdown_lawref_header(tmp_path: Path) -> None:
    doc = parse_text(
        tmp_path,
        "# 上海口岸服务条例\n\n2011年11月17日 上海市第十三届人民代表大会常务委员会第三十次会议通过\n\n"
        "2020年5月14日 上海市第十五届人民代表大会常务委员会第二十一次会议《关于修改本市部分地方性法规的决定》"
        "第一次修正\n\n2020年5月15日 施行\n\n<!-- INFO END -->\n\n## 第一章  总则\n\n第一条 为了规范口岸开放。\n",
        "law.md",
    )
    assert doc.format == "md"
    assert doc.title == "上海口岸服务条例"
    assert doc.text.split("\n")[0] == "上海口岸服务条例"
    assert "<!--" not in doc.text and "#" not in doc.text
    assert doc.published_date == date(2020, 5, 14)
    assert doc.effective_date == date(2020, 5, 15)
    assert doc.issuer == "上海市人民代表大会常务委员会"
    assert doc.evidence["published_date"].line == 3


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2023年5月22日", date(2023, 5, 22)),
        ("2023 年 5 月 22 日", date(2023, 5, 22)),
        ("2019-10-22 08:34", date(2019, 10, 22)),
        ("2019/1/2", date(2019, 1, 2)),
        ("二〇一九年十月二十二日", date(2019, 10, 22)),
        ("二○二三年十二月三十一日", date(2023, 12, 31)),
        ("2023年2月30日", None),
    ],
)
def test_parse_date(text: str, value: date | None) -> None:
    assert parse_date(text) == value


def test_repair_damaged() -> None:
    assert repair_damaged("2019918") == (date(2019, 9, 18), [date(2019, 9, 18)])
    assert repair_damaged("20190918")[0] == date(2019, 9, 18)
    assert repair_damaged("2019515")[0] == date(2019, 5, 15)
    assert repair_damaged("2019111")[0] is None


def test_doc_number_does_not_swallow_preceding_words() -> None:
    text = "印发<关于全面推进政务公开工作的意见>和中办发〔2016〕8号、根据宣府办[2023] 41 号和經信發〔2020〕1號"
    assert [m.group() for m in find_doc_numbers(text)] == [
        "中办发〔2016〕8号",
        "宣府办[2023] 41 号",
        "經信發〔2020〕1號",
    ]
    assert normalize_doc_number("宣府办（2023）041号") == "宣府办〔2023〕41号"
    assert normalize_doc_number("中辦發〔2016〕8號") == "中辦發〔2016〕8号"
    assert looks_like_doc_number("高府办发〔2022〕20号")
    assert not looks_like_doc_number("和中办发〔2016〕8号")


def test_disclosure_header_labels_are_not_titles(tmp_path: Path) -> None:
    doc = parse_text(
        tmp_path,
        "索引号：11511722MB1234567X/2023-00041\n主题分类：政务公开\n发文机关：宣汉县人民政府办公室\n"
        "宣汉县人民政府办公室关于印发要点的通知\n各乡镇：\n正文。",
    )
    assert doc.title == "宣汉县人民政府办公室关于印发要点的通知"
    assert doc.evidence["title"].line == 4


def test_control_characters_and_front_matter_are_dropped(tmp_path: Path) -> None:
    doc = parse_text(tmp_path, "---\ndraft: true\n---\n# 标题\x07\n\n正文\x1b。\n", "x.md")
    assert doc.text == "标题\n正文。"
    assert doc.title == "标题"


def test_joint_signature_lists_every_issuer(tmp_path: Path) -> None:
    doc = parse_text(
        tmp_path,
        "关于X的通知\n各部门：\n请执行。\n宣汉县财政局\n宣汉县人力资源和社会保障局\n2023年5月22日",
    )
    assert doc.issuer == "宣汉县财政局、宣汉县人力资源和社会保障局"
    assert doc.evidence["issuer"].line == 4


def test_interpreted_number_from_the_opening_paragraph(tmp_path: Path) -> None:
    doc = parse_text(
        tmp_path,
        "《宣汉县政务公开管理办法》政策解读\n"
        "近日，县政府办公室印发了《宣汉县政务公开管理办法》（宣府办〔2023〕41号）。\n"
        "一、出台背景是什么？",
    )
    assert (doc.interprets_title, doc.interprets_number) == (
        "宣汉县政务公开管理办法",
        "宣府办〔2023〕41号",
    )
    assert doc.evidence["interprets_number"].line == 2
    assert doc.doc_number is None
