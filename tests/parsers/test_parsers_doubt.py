"""Doubt made visible: every warning path of parsers/doubt.py on real files, each with the field's
confidence lowered; navigation and site furniture never become metadata."""

from __future__ import annotations

from pathlib import Path

from parsers import ParsedDocument, parse_file
from parsers.doubt import assess
from parsers.model import Evidence

BODY = "各有关单位：\n现将有关事项通知如下，请认真贯彻执行。\n"


def parse_text(tmp_path: Path, text: str, name: str = "doc.txt") -> ParsedDocument:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_file(path)


def warned(doc: ParsedDocument, *words: str) -> bool:
    return any(all(w in warning for w in words) for warning in doc.warnings)


def test_site_name_as_title_is_warned(tmp_path: Path) -> None:
    """A page whose text has no heading falls back to its <title>; here that is the site's name."""
    page = (
        "<html><head><title>湖州市人民政府门户网站</title></head><body><div>"
        "<p>各区县人民政府，市级各部门：为加强城市管理，现提出如下意见，请认真贯彻执行。</p>"
        "</div></body></html>"
    )
    doc = parse_text(tmp_path, page, "page.html")
    assert doc.title == "湖州市人民政府门户网站"
    assert warned(doc, "网站或栏目名称", "请核对")
    assert doc.confidence()["title"] <= 0.2


def test_title_under_six_characters_is_warned(tmp_path: Path) -> None:
    doc = parse_text(tmp_path, "会议纪要\n" + BODY)
    assert doc.title == "会议纪要"
    assert warned(doc, "只有4个字", "可能不完整")
    assert doc.confidence()["title"] <= 0.3


def test_navigation_word_as_title_is_warned() -> None:
    """parse_file never takes navigation for a title (next test); a title set from elsewhere that
    is one is still caught."""
    doc = ParsedDocument(text="搜索\n正文", format="txt", title="搜索")
    doc.evidence["title"] = Evidence("搜索", 1, "搜索")
    assess(doc)
    assert warned(doc, "导航或按钮文字")
    assert doc.confidence()["title"] <= 0.05


def test_navigation_lines_are_not_taken_for_the_title(tmp_path: Path) -> None:
    text = "首页\n搜索\n高级搜索\n下载文字版\n湖州市人民政府关于加强城市管理工作的意见\n" + BODY
    doc = parse_text(tmp_path, text)
    assert doc.title == "湖州市人民政府关于加强城市管理工作的意见"
    assert not doc.warnings


def test_doc_number_year_far_from_the_date_is_warned(tmp_path: Path) -> None:
    text = "湖政发〔2015〕3号\n湖州市人民政府关于加强城市管理工作的意见\n" + BODY
    doc = parse_text(tmp_path, text + "湖州市人民政府\n2023年4月10日\n")
    assert doc.doc_number == "湖政发〔2015〕3号"
    assert warned(doc, "湖政发〔2015〕3号", "2015", "相差较远")
    assert doc.confidence()["doc_number"] <= 0.3


def test_doc_number_of_the_year_before_is_not_doubted(tmp_path: Path) -> None:
    text = "湖政发〔2022〕30号\n湖州市人民政府关于加强城市管理工作的意见\n" + BODY
    doc = parse_text(tmp_path, text + "湖州市人民政府\n2023年1月4日\n")
    assert not doc.warnings and doc.confidence()["doc_number"] >= 0.9


def test_doc_number_without_issuer_or_date_is_warned(tmp_path: Path) -> None:
    doc = parse_text(tmp_path, "湖政发〔2023〕3号\n关于加强城市管理工作的意见\n" + BODY)
    assert warned(doc, "未找到发文机关")
    assert warned(doc, "未找到成文日期")


def test_issuer_taken_from_the_site_is_warned(tmp_path: Path) -> None:
    page = (
        '<html><head><meta name="SiteName" content="湖州市人民政府">'
        "<title>关于加强城市管理工作的意见_通知公告_湖州市人民政府</title></head><body>"
        "<div><h1>关于加强城市管理工作的意见</h1><p>各区县人民政府，市级各部门：</p>"
        "<p>为加强城市管理，现提出如下意见，请认真贯彻执行。一是，二是，三是。</p></div>"
        "</body></html>"
    )
    doc = parse_text(tmp_path, page, "page.html")
    assert doc.title == "关于加强城市管理工作的意见"
    assert doc.issuer == "湖州市人民政府"
    assert warned(doc, "发文机关", "网站名称", "可信度较低")
    assert doc.confidence()["issuer"] <= 0.4


def test_website_as_issuer_and_table_pipes_are_warned() -> None:
    for issuer, words in (
        ("湖州市人民政府门户网站", "像是网站名称"),
        ("| 湖州市财政局 |", "表格线"),
    ):
        doc = ParsedDocument(text="x", format="txt", title="关于加强城市管理工作的意见")
        doc.evidence["title"] = Evidence(doc.title, 1, doc.title)
        doc.issuer = issuer
        doc.evidence["issuer"] = Evidence(issuer, 2, issuer)
        assess(doc)
        assert warned(doc, words), doc.warnings
        assert doc.confidence()["issuer"] <= 0.3


def test_overlong_title_is_warned(tmp_path: Path) -> None:
    title = "关于" + "加强城市管理" * 20 + "的意见"
    page = (
        f'<html><head><meta name="ArticleTitle" content="{title}"></head><body><div>'
        "<p>各区县人民政府，市级各部门：为加强城市管理，现提出如下意见，请认真贯彻执行。</p>"
        "</div></body></html>"
    )
    doc = parse_text(tmp_path, page, "page.html")
    assert doc.title == title
    assert warned(doc, "标题长达", "请核对")


def test_plausible_document_has_no_warning_and_high_confidence(tmp_path: Path) -> None:
    text = "湖政发〔2023〕3号\n湖州市人民政府关于加强城市管理工作的意见\n" + BODY
    doc = parse_text(tmp_path, text + "湖州市人民政府\n2023年4月10日\n")
    assert not doc.warnings
    assert all(v >= 0.85 for v in doc.confidence().values())


def test_company_dating_an_attachment_is_not_the_issuer(tmp_path: Path) -> None:
    text = (
        "关于开展安全生产检查的通知\n各有关单位：\n请按附件格式报送。\n附件：承诺书\n"
        "承诺书\n本单位承诺按期完成整改。\n湖州市某某建设有限公司\n2024年5月6日\n"
    )
    doc = parse_text(tmp_path, text)
    assert doc.issuer is None and doc.signed_date is None
    assert doc.confidence()["issuer"] == 0.0
