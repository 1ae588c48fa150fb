"""The patterns real government files show (issue 12), each on a small real file: crawler text
with navigation, disclosure tables and split values; red-head files; 令; styled .docx titles;
web pages with their table, copies and footers; interpretation words anywhere in a title."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import docx
import pytest

from parsers import ParsedDocument, parse_file
from parsers.titles import is_navigation, strip_site_suffix

CRAWLER = """广州市发展和改革委员会关于印发广州市产业发展专项资金管理办法的通知-本委其他文件-广州市发展和改革委员会
首页
搜索
高级搜索
政府信息公开 规章库
索 引 号：
11440100MB2C9-2025-001
发文机关：
广州市发展和改革委员会
成文日期：
202
5
年
12
月
9
日
发 文 字 号 ：
穗发改
〔2025〕
12 号
标　　题：
广州市发展和改革委员会关于印发广州市产业发展专项资金管理办法的通知
下载文字版
各区发展改革局，各有关单位：
现将《广州市产业发展专项资金管理办法》印发给你们，请遵照执行。
广州市发展和改革委员会
广州市财政局
2025年12月9日
"""

RED_HEAD = """湖州市人民政府办公室文件
湖政办发〔2023〕7 号
湖州市人民政府办公室关于印发湖州市城市更新
实施办法的通知
各县（区）人民政府，市政府各部门：
《湖州市城市更新实施办法》已经市政府同意，现印发给你们，请认真贯彻执行。
湖州市人民政府办公室
二〇二三年四月十日
（此件公开发布）
附件
湖州市城市更新实施办法
第一条 为了推进城市更新，根据《中华人民共和国城乡规划法》（主席令第74号），制定本办法。
"""

ORDER = """中华人民共和国财政部令
第 115 号
《财政部关于修改〈注册会计师全国统一考试办法〉的决定》已经2024年1月12日部务会议审议通过，现予公布，自2024年3月1日起施行。
部 长 蓝佛安
2024年1月23日
财政部关于修改《注册会计师全国统一考试办法》的决定
财政部部务会议决定，对《注册会计师全国统一考试办法》作出修改。
"""

PAGE = """<html><head><title>关于印发耕地保护补贴实施方案的函_政策文件_首都之窗_北京市人民政府门户网站</title>
<meta name="SiteName" content="首都之窗_北京市人民政府门户网站"></head><body>
<div class="nav"><a href="/">首页</a><a href="/a">政务公开</a><a href="/b">网站地图</a><a href="/c">无障碍</a></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/z">政策文件</a></div>
<ol class="info">
 <li>[发文机构] <span>----</span><span>北京市农业农村局</span></li>
 <li>[联合发文单位] <span>北京市财政局</span></li>
 <li>[成文日期] <span>2025-05-21</span></li>
 <li>[发文字号] <span><span>京政农函</span><span>〔2025〕</span><span>9号</span></span></li>
 <li>[发布日期] <span>2025-05-22</span></li>
</ol>
<h1><p>北京市农业农村局 北京市财政局关于印发耕地保护补贴实施方案的函</p></h1>
<div class="share">分享到：<a href="#">微信</a><a href="#">微博</a></div>
<div id="mainText"><p>京政农函〔2025〕9号</p><p>各相关区人民政府，有关单位：</p>
<p>现将《耕地保护补贴实施方案》印发给你们，请认真组织实施。根据《财政部办公厅关于做好补贴工作的通知》（财办农〔2021〕11号），结合实际制定。</p>
<p>北京市农业农村局</p><p>北京市财政局</p><p>2025年5月21日</p></div>
<div class="mobile"><div><p>京政农函〔2025〕9号</p><p>各相关区人民政府，有关单位：</p>
<p>现将《耕地保护补贴实施方案》印发给你们，请认真组织实施。根据《财政部办公厅关于做好补贴工作的通知》（财办农〔2021〕11号），结合实际制定。</p>
<p>北京市农业农村局</p><p>北京市财政局</p><p>2025年5月21日</p></div></div>
<div class="footer"><p>主办：北京市人民政府办公厅　版权所有，未经授权不得转载</p><p>京ICP备05060933号</p></div>
</body></html>"""


DISTRICT = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>湖州市吴兴区人民政府办公室关于印发吴兴区城乡风貌整治提升工作方案的通知 - 区政府办文件 - 湖州市吴兴区人民政府</title>
<meta name="SiteName" content="湖州市吴兴区人民政府"></head><body>
<div class="top"><span>欢迎访问湖州市吴兴区人民政府门户网站</span><a href="#">无障碍</a><a href="#">长者模式</a><a href="#">登录</a></div>
<div class="menu"><ul><li><a href="/">首页</a></li><li><a href="/a">走进吴兴</a></li><li><a href="/b">政务公开</a></li><li><a href="/c">政务服务</a></li><li><a href="/d">互动交流</a></li></ul></div>
<div class="position">您当前的位置：<a href="/">首页</a> &gt; <a href="/b">政务公开</a> &gt; <a href="/e">区政府办文件</a></div>
<div class="main"><div class="left"><h3>信息公开目录</h3><ul><li><a href="/1">机构概况</a></li><li><a href="/2">政策文件</a></li><li><a href="/3">规划计划</a></li></ul></div>
<div class="right">
<table class="xxgk_table"><tr><td>索&nbsp;引&nbsp;号：</td><td>11330502002563441F/2024-00123</td><td>发布机构：</td><td>湖州市吴兴区人民政府办公室</td></tr>
<tr><td>文　　号：</td><td>吴政办发〔2024〕12号</td><td>发布日期：</td><td>2024-05-10</td></tr>
<tr><td>名　　称：</td><td colspan="3">湖州市吴兴区人民政府办公室关于印发吴兴区城乡风貌整治提升工作方案的通知</td></tr></table>
<div class="article-title">湖州市吴兴区人民政府办公室关于印发吴兴区城乡风貌整治提升工作方案的通知</div>
<div class="article-info">发布时间：2024-05-10 来源：区政府办 浏览次数：<span>123</span> 【字体：<a>大</a> <a>中</a> <a>小</a>】</div>
<div id="zoom"><p>各乡镇人民政府、街道办事处，区级有关单位：</p><p>《吴兴区城乡风貌整治提升工作方案》已经区政府同意，现印发给你们，请结合实际认真贯彻落实。</p><p style="text-align:right">湖州市吴兴区人民政府办公室</p><p style="text-align:right">2024年5月8日</p><p>吴兴区城乡风貌整治提升工作方案</p><p>为进一步提升城乡风貌，打造美丽吴兴，根据有关文件精神，结合我区实际，制定本方案。</p><p>一、工作目标</p><p>到2025年底，全区城乡风貌明显提升，建成一批风貌样板区，群众满意度显著提高。</p></div>
<div class="print"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
<div class="related"><h3>相关链接</h3><ul><li><a href="/x1">吴兴区2023年城乡风貌工作总结</a></li><li><a href="/x2">关于做好城乡风貌整治的通知</a></li><li><a href="/x3">吴兴区风貌样板区名单公示</a></li></ul></div>
</div></div>
<div class="footer"><p>主办单位：湖州市吴兴区人民政府办公室 承办单位：吴兴区大数据发展管理中心</p><p>地址：湖州市吴兴区行政中心 联系电话：0572-1234567</p><p>网站标识码：3305020001 浙ICP备12345678号 浙公网安备 33050202000123号</p></div>
</body></html>
"""


def parse_text(tmp_path: Path, text: str, name: str = "doc.txt") -> ParsedDocument:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_file(path)


def test_crawler_text_with_navigation_table_and_split_values(tmp_path: Path) -> None:
    doc = parse_text(tmp_path, CRAWLER)
    assert doc.title == "广州市发展和改革委员会关于印发广州市产业发展专项资金管理办法的通知"
    assert doc.doc_number == "穗发改〔2025〕12号"
    assert doc.signed_date == date(2025, 12, 9)
    assert doc.issuer == "广州市发展和改革委员会、广州市财政局"  # lead first, co-issuer kept
    assert "2025年12月9日" in doc.text.split("\n")  # the split date is one line in the body too
    assert not doc.warnings


def test_red_head_file_title_over_lines_and_chinese_numeral_date(tmp_path: Path) -> None:
    doc = parse_text(tmp_path, RED_HEAD)
    assert doc.title == "湖州市人民政府办公室关于印发湖州市城市更新实施办法的通知"
    assert doc.doc_number == "湖政办发〔2023〕7号"  # "7 号" written with a space; 主席令 cited only
    assert doc.issuer == "湖州市人民政府办公室"
    assert doc.signed_date == date(2023, 4, 10)


def test_order_gives_its_number_office_title_and_date(tmp_path: Path) -> None:
    doc = parse_text(tmp_path, ORDER)
    assert doc.doc_number == "财政部令第115号"
    assert doc.title == "财政部关于修改《注册会计师全国统一考试办法》的决定"
    assert doc.issuer == "财政部"
    assert doc.signed_date == date(2024, 1, 23)  # under the minister's name, not the meeting date


def test_attachment_file_skips_its_marker_line(tmp_path: Path) -> None:
    doc = parse_text(
        tmp_path,
        "附件1：\n企业产品成本核算制度\n第一章 总则\n第一条 为了加强成本核算，制定本制度。\n",
    )
    assert doc.title == "企业产品成本核算制度"
    assert doc.doc_number is None and doc.signed_date is None


def test_docx_title_style_is_the_title(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_paragraph("湖政办发〔2023〕7号")
    d.add_paragraph("湖州市人民政府办公室关于印发湖州市城市更新", style="Title")
    d.add_paragraph("实施细则（试行）", style="Title")
    d.add_paragraph("各县区人民政府：")
    d.add_paragraph("现将细则印发给你们，请认真贯彻执行。")
    d.save(tmp_path / "notice.docx")
    doc = parse_file(tmp_path / "notice.docx")
    assert doc.title == "湖州市人民政府办公室关于印发湖州市城市更新实施细则（试行）"
    assert doc.evidence["title"].line == 2


def test_web_page_table_values_and_a_clean_body(tmp_path: Path) -> None:
    doc = parse_text(tmp_path, PAGE, "page.html")
    assert doc.title == "北京市农业农村局 北京市财政局关于印发耕地保护补贴实施方案的函"
    assert doc.doc_number == "京政农函〔2025〕9号"  # split over three inline elements
    assert doc.issuer == "北京市农业农村局、北京市财政局"
    assert doc.signed_date == date(2025, 5, 21)
    assert doc.published_date == date(2025, 5, 22)
    lines = doc.text.split("\n")
    assert lines[0] == doc.title  # the heading outside the article is put on top of it
    assert lines.count("各相关区人民政府，有关单位：") == 1  # the mobile copy is read once
    for furniture in (
        "首页",
        "网站地图",
        "无障碍",
        "当前位置",
        "分享到",
        "版权所有",
        "ICP备",
        "发文机构",
    ):
        assert furniture not in doc.text


def test_district_page_with_spaced_labels_and_heading_between_table_and_text(
    tmp_path: Path,
) -> None:
    doc = parse_text(tmp_path, DISTRICT, "page.html")
    assert doc.title == "湖州市吴兴区人民政府办公室关于印发吴兴区城乡风貌整治提升工作方案的通知"
    assert doc.doc_number == "吴政办发〔2024〕12号"  # `文　　号：`, value in the next cell
    assert doc.issuer == "湖州市吴兴区人民政府办公室"  # `发布机构`
    assert doc.signed_date == date(2024, 5, 8)  # the signature, not the 发布日期 2024-05-10
    lines = doc.text.split("\n")
    assert lines[0] == doc.title and lines[1].startswith("各乡镇人民政府")
    for furniture in (
        "无障碍",
        "信息公开目录",
        "索引号",
        "浏览次数",
        "打印本页",
        "相关链接",
        "ICP备",
    ):
        assert furniture not in doc.text


def test_joint_signature_on_one_line_lists_each_office(tmp_path: Path) -> None:
    text = "关于做好就业补贴工作的通知\n各区县：\n现将有关事项通知如下。\n湖州市财政局 湖州市人力资源和社会保障局\n2024年3月1日\n"
    doc = parse_text(tmp_path, text)
    assert doc.issuer == "湖州市财政局、湖州市人力资源和社会保障局"


def test_page_that_closes_body_early_is_read_whole(tmp_path: Path) -> None:
    page = (
        "<html><head><title>关于做好防汛工作的通知_通知公告_某县人民政府</title></head>"
        "<body><div>EN</div></body></html>"
        "<div><p>关于做好防汛工作的通知</p><p>各乡镇人民政府：</p>"
        "<p>为做好今年防汛工作，现将有关事项通知如下，请认真落实。</p><p>某县人民政府</p>"
        "<p>2024年5月6日</p></div></html>"
    )
    doc = parse_text(tmp_path, page, "page.html")
    assert doc.title == "关于做好防汛工作的通知"
    assert doc.signed_date == date(2024, 5, 6) and doc.issuer == "某县人民政府"


@pytest.mark.parametrize(
    "title",
    [
        "一图读懂《湖州市城市更新实施办法》",
        "《湖州市城市更新实施办法》政策解读",
        "湖州市城市更新实施办法常见问题解答",
        "城市更新热点10问",
        "湖州市住建局负责人就《城市更新实施办法》答记者问",
        "《湖州市城市更新实施办法（征求意见稿）》起草说明",
        "《湖州市国土空间规划》编制说明",
        "问答课堂：城市更新怎么申请",
        "问：城市更新项目如何申请补助？",
    ],
)
def test_interpretation_words_anywhere_in_the_title(tmp_path: Path, title: str) -> None:
    doc = parse_text(tmp_path, f"{title}\n答：按照有关规定办理，请向所在区县住建部门咨询。\n")
    assert doc.title == title
    assert doc.kind == "interpretation"


def test_a_notice_printing_a_qa_text_stays_a_document(tmp_path: Path) -> None:
    doc = parse_text(
        tmp_path, "湖州市住建局关于印发《城市更新常见问题解答》的通知\n各区县：\n现予印发。\n"
    )
    assert doc.kind == "document"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("关于印发X办法的通知_国务院部门文件_中国政府网", "关于印发X办法的通知"),
        ("关于印发X办法的通知-本委其他文件-广州市发展和改革委员会", "关于印发X办法的通知"),
        ("关于X的函_政策文件_首都之窗_北京市人民政府门户网站", "关于X的函"),
        ("中华人民共和国财政部令第99号--财政部关于修改《注册会计师注册办法》的决定", None),
        ("关于实施《企业会计准则第14号——收入》的通知", None),
        ("湖州市2021-2025年城市更新规划", None),
    ],
)
def test_site_suffixes_are_stripped_and_titles_kept(raw: str, clean: str | None) -> None:
    assert strip_site_suffix(raw, ("中国政府网",)) == (clean or raw)


def test_navigation_words() -> None:
    assert is_navigation("搜索") and is_navigation("无障碍 搜索 繁体/简体") and is_navigation("EN")
    assert not is_navigation("关于做好防汛工作的通知")


def test_reprinting_office_is_not_the_issuer(tmp_path: Path) -> None:
    page = (
        "<html><body><table><tr><td>索引号：</td><td>001/2024-01</td><td>发布机构：</td>"
        "<td>湖州市人民政府办公室</td></tr><tr><td>发布日期：</td><td>2024-03-05</td>"
        "<td>主题分类：</td><td>综合政务</td></tr></table>"
        "<div><p>浙江省人民政府办公厅关于进一步优化营商环境的若干措施</p><p>浙政办发〔2024〕5号</p>"
        "<p>各市、县（市、区）人民政府，省政府直属各单位：</p>"
        "<p>为进一步优化营商环境，经省政府同意，现提出如下措施，请认真贯彻执行。</p>"
        "<p>浙江省人民政府办公厅</p><p>2024年2月28日</p></div></body></html>"
    )
    doc = parse_text(tmp_path, page, "page.html")
    assert doc.issuer == "浙江省人民政府办公厅"
    assert doc.signed_date == date(2024, 2, 28) and doc.published_date == date(2024, 3, 5)
    unsigned = page.replace("<p>浙江省人民政府办公厅</p><p>2024年2月28日</p>", "")
    unsigned = unsigned.replace("浙江省人民政府办公厅关于", "关于")
    doc = parse_text(tmp_path, unsigned, "unsigned.html")
    assert doc.issuer == "湖州市人民政府办公室"  # nothing better: the publisher, with less trust
    assert doc.confidence()["issuer"] < 0.9


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("《湖州市城市更新实施办法》出台背景和主要内容_政策解读_湖州市人民政府", "interpretation"),
        ("湖州市城市更新实施办法出台背景和主要内容_政策文件_湖州市人民政府", "document"),
        ("湖州市人民政府关于加强城市更新工作的通知_政策解读_湖州市人民政府", "document"),
    ],
)
def test_page_filed_under_interpretations_is_one_unless_titled_as_a_document(
    tmp_path: Path, title: str, kind: str
) -> None:
    page = (
        f"<html><head><title>{title}</title></head><body><div>"
        "<p>近日，湖州市出台了城市更新实施办法，明确了更新范围、实施主体和保障措施。</p>"
        "<p>办法共五章三十条，自2024年1月1日起施行。</p></div></body></html>"
    )
    doc = parse_text(tmp_path, page, "page.html")
    assert doc.title == title.split("_")[0]
    assert doc.kind == kind
