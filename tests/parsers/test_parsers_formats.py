"""The five seeds give the same metadata whatever the format they arrive in."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pytest

from parsers import ParsedDocument, detect_format, parse_file

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"

EXPECTED = {
    "000": {
        "kind": "interpretation",
        "title": "《2024年興國縣政務公開工作要點》解读",
        "doc_number": None,
        "issuer": None,
        "signed_date": None,
        "published_date": None,
        "interprets_title": "2024年興國縣政務公開工作要點",
    },
    "001": {
        "kind": "document",
        "title": "龙城区2019年政务公开工作要点",
        "doc_number": None,
        "issuer": "朝阳市龙城区人民政府办公室",
        "signed_date": date(2019, 9, 18),
        "published_date": date(2019, 10, 22),
        "interprets_title": None,
    },
    "002": {
        "kind": "interpretation",
        "title": "《四川省人民政府辦公廳關于印發四川省2018年政務公開工作要點的通知》解讀三",
        "doc_number": None,  # 川办发〔2018〕25号 is only cited in the body
        "issuer": None,
        "signed_date": None,
        "published_date": None,
        "interprets_title": "四川省人民政府辦公廳關于印發四川省2018年政務公開工作要點的通知",
    },
    "003": {
        "kind": "document",
        "title": "宣汉县人民政府办公室关于印发《2023年全县政务公开工作要点》的通知",
        "doc_number": "宣府办〔2023〕41号",
        "issuer": "宣汉县人民政府办公室",
        "signed_date": date(2023, 5, 22),
        "published_date": None,
        "interprets_title": None,
    },
    "004": {
        "kind": "document",
        "title": "高安市人民政府办公室关于印发高安市全面推进基层政务公开标准化规范化建设方案的通知",
        "doc_number": "高府办发〔2022〕20号",
        "issuer": "高安市人民政府办公室",
        "signed_date": date(2022, 3, 14),
        "published_date": date(2022, 3, 14),
        "interprets_title": None,
    },
}

FILES = sorted(SAMPLES.glob("*.txt")) + sorted((SAMPLES / "formats").iterdir())
FORMAT_OF = {".txt": "txt", ".docx": "docx", ".pdf": "pdf", ".doc": "doc", ".html": "html"}


@cache
def parsed(path: Path) -> ParsedDocument:
    """Each sample is parsed once per session; the PDFs take a few hundred milliseconds each."""
    return parse_file(path)


def test_every_seed_is_present_in_every_format() -> None:
    formats = {(f.name[:3], FORMAT_OF[f.suffix]) for f in FILES}
    assert {seed for seed, _ in formats} == set(EXPECTED)
    assert {fmt for _, fmt in formats} == {"txt", "docx", "pdf", "doc", "html"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_same_metadata_whatever_the_format(path: Path) -> None:
    doc = parsed(path)
    expected = EXPECTED[path.name[:3]]
    got = {name: getattr(doc, name) for name in expected}
    assert got == expected
    assert doc.format == FORMAT_OF[path.suffix] == detect_format(path)
    assert doc.effective_date is None and doc.expiry_date is None and doc.replaces == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_evidence_points_at_the_line_it_came_from(path: Path) -> None:
    doc = parsed(path)
    lines = doc.text.split("\n")
    for name in ("title", "doc_number", "issuer", "signed_date", "published_date"):
        if getattr(doc, name) is None:
            assert name not in doc.evidence
            continue
        ev = doc.evidence[name]
        assert ev.line is not None, name
        assert ev.source.split("\n")[0] == lines[ev.line - 1], name
    if doc.doc_number:
        assert doc.doc_number in lines[doc.evidence["doc_number"].line - 1]


def test_damaged_signature_date_is_repaired_with_a_warning() -> None:
    doc = parsed(SAMPLES / "001_a5b66b52be1972cf.txt")
    assert doc.evidence["signed_date"].source == "2019918"
    assert any("2019918" in w and "2019-09-18" in w for w in doc.warnings)
    assert doc.evidence["published_date"].source == "发布日期:2019-10-22"


def test_title_split_over_two_lines_is_joined() -> None:
    doc = parsed(SAMPLES / "003_7e78c8e7992595bb.txt")
    ev = doc.evidence["title"]
    assert ev.line == 2
    assert ev.source == "宣汉县人民政府办公室\n关于印发《2023年全县政务公开工作要点》的通知"
    assert doc.evidence["doc_number"].line == 1


def test_interpretation_without_title_line_gets_a_derived_title_and_a_warning() -> None:
    doc = parsed(SAMPLES / "000_bb9fbcf38e3de303.txt")
    assert doc.evidence["interprets_title"].line == 1
    assert any("推断" in w for w in doc.warnings)


def test_gb18030_copy_reads_as_the_utf8_original() -> None:
    original = parsed(SAMPLES / "001_a5b66b52be1972cf.txt")
    gb = parsed(SAMPLES / "formats" / "001_a5b66b52be1972cf.gb18030.txt")
    assert gb.encoding == "gb18030" and original.encoding == "utf-8"
    assert gb.text == original.text


@pytest.mark.parametrize("fmt", ["docx", "doc", "html"])
def test_office_and_web_copies_give_the_same_text_as_the_txt(fmt: str) -> None:
    for seed in ("003_7e78c8e7992595bb", "004_9b5c80f8d1dcffda"):
        assert (
            parsed(SAMPLES / "formats" / f"{seed}.{fmt}").text
            == parsed(SAMPLES / f"{seed}.txt").text
        )


def test_pdf_lines_are_rejoined_and_spaces_inside_chinese_removed() -> None:
    doc = parsed(SAMPLES / "formats" / "003_7e78c8e7992595bb.pdf")
    lines = doc.text.split("\n")
    assert "2023年5月22日" in lines
    assert "2023 年" not in doc.text
    assert lines[4] == (
        "经县政府同意，现将《2023年全县政务公开工作要点》印发你们，请结合工作实际认真抓好贯彻落实。"
    )


def test_pdf_of_converter_litter_reads_like_the_txt() -> None:
    doc = parsed(SAMPLES / "formats" / "000_bb9fbcf38e3de303.pdf")
    assert "統籌政務公開和安全保密" in doc.text
    assert "(t" not in doc.text and "ǒ" not in doc.text


def test_docx_tables_become_pipe_separated_lines() -> None:
    doc = parsed(SAMPLES / "formats" / "003_7e78c8e7992595bb.docx")
    assert "| 县发改局 |" in doc.text


def test_page_furniture_is_dropped_from_the_web_copy() -> None:
    doc = parsed(SAMPLES / "004_9b5c80f8d1dcffda.txt")
    for litter in ("【打印】", "访问量", "扫一扫", "返回顶部", "高安发布抖音号", "关联稿件"):
        assert litter not in doc.text
    assert doc.text.split("\n")[1] == "时间: 2022-03-14 08:34"
