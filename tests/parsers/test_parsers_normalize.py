"""Normalisation shared by every format: litter, punctuation, width, page furniture."""

from __future__ import annotations

import pytest

from parsers.normalize import clean_litter, normalize_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("統(tǒng)籌", "統籌"),
        ("關(guān)于", "關于"),
        ("發（fā）布", "發布"),
        ("綠(lǜ)色", "綠色"),
        ("統(t ng)ǒ 籌", "統籌"),  # the PDF rendering moves the toned vowel out
        ("引領(l ng),,ǐ 著力", "引領，著力"),
        ("補(b )ǔ 償", "補償"),
        ("村(居)務", "村(居)務"),  # Chinese in brackets is content
        ("市(州)", "市(州)"),
        ("清單(2018年版)", "清單(2018年版)"),
        ("(一)深入推进", "(一)深入推进"),
        ("附件(a)", "附件(a)"),  # no tone mark: not pinyin litter
    ],
)
def test_pinyin_litter(raw: str, clean: str) -> None:
    assert normalize_text(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("6月15日,,記者", "6月15日，記者"),
        ("力度,。認真", "力度。認真"),
        ("臺階,;完善", "臺階；完善"),
        ("方面，，《工作要點》", "方面，《工作要點》"),
        ("区直各单位:", "区直各单位："),
        ("是否公开?请说明", "是否公开？请说明"),
        ("发布日期:2019-10-22", "发布日期:2019-10-22"),  # a colon before digits stays
        ("version 1,2,3", "version 1,2,3"),
        ("……", "……"),
    ],
)
def test_punctuation(raw: str, clean: str) -> None:
    assert clean_litter(raw) == clean


def test_width_is_normalised_but_chinese_punctuation_kept() -> None:
    assert normalize_text("２０２３年ＡＢＣ，（一）：；！？") == "2023年ABC，（一）：；！？"
    assert normalize_text("第一章\u3000总则\u200b") == "第一章 总则"


def test_one_paragraph_per_line_without_empty_lines() -> None:
    assert normalize_text("  第一段  \r\n\r\n\n\t第二段\r第三段  \n\n") == "第一段\n第二段\n第三段"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("发布日期:2019-10-22 信息来源:龙城区", "发布日期:2019-10-22"),
        ("时间: 2022-03-14 08:34 来源: 访问量:", "时间: 2022-03-14 08:34"),
        ("浏览:", ""),
        ("【打印】 【字体:", ""),
        ("【字体：大 中 小】【打印】【关闭】", ""),
        ("扫一扫在手机打开当前页", ""),
        ("返回顶部关闭本页", ""),
        ("分享到：", ""),
        ("当前位置：首页 > 政务公开", ""),
        ("- 2 -", ""),
        ("第3页 共10页", ""),
        ("版权所有：宣汉县人民政府", ""),
        ("[打印] [关闭]", ""),
        ("打印 | 关闭", ""),
        ("上一篇：关于X的通知", ""),
        ("关于小煤窑限期关闭", "关于小煤窑限期关闭"),
        ("发文字号：宣府办〔2023〕41号", "发文字号：宣府办〔2023〕41号"),
    ],
)
def test_page_furniture(raw: str, clean: str) -> None:
    assert normalize_text(raw) == clean


def test_furniture_words_inside_body_paragraphs_are_content() -> None:
    body = "项目资金来源：县级财政预算安排，由县财政局按季度拨付，各乡镇要按照规定用途使用，不得挤占挪用。"
    assert normalize_text(body) == body


def test_trailing_widget_block_is_cut() -> None:
    text = "正文第一段。\n关联稿件\n政务微信\n高安政府网政务公众号\n赣服通"
    assert normalize_text(text) == "正文第一段。"
    long_tail = (
        "正文。\n相关链接\n"
        + "这一段是很长的正文内容，说明相关链接一词出现在正文的一个标题之后，因此不能截掉。" * 2
    )
    assert normalize_text(long_tail).count("\n") == 2
