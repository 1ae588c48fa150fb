"""Folding, segmentation, the user dictionary and synonyms."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from indexer.analyzer import Analyzer, fold, strip_litter
from indexer.query import plan_query
from indexer.snippets import highlight, snippet
from tests.indexer.conftest import DICT_DIR


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(DICT_DIR)


def words(analyzer: Analyzer, text: str) -> list[str]:
    return [w for w, _, _ in analyzer.tokens(text)]


def test_traditional_folds_to_simplified_at_the_same_length() -> None:
    assert fold("個人信息保護") == "个人信息保护"
    assert fold("ＡＢＣ１２３") == "abc123"
    text = "關於印發《工作要點》的通知"
    assert len(fold(text)) == len(text)


def test_converter_pinyin_litter_is_removed() -> None:
    assert strip_litter("統(tǒng)籌政務(wù)公開") == "統籌政務公開"
    assert fold("關(guān)于發(fā)布") == "关于发布"
    assert strip_litter("条例(试行)和(a)项") == "条例(试行)和(a)项"  # real parentheses stay


def test_search_mode_gives_the_words_inside_long_words(analyzer: Analyzer) -> None:
    tokens = words(analyzer, "中华人民共和国个人信息保护法")
    assert {"个人信息", "个人", "信息", "保护", "保护法"} <= set(tokens)


def test_punctuation_is_not_a_token(analyzer: Analyzer) -> None:
    assert words(analyzer, "，。！？《》“”、…… --- +++") == []


def test_user_dictionary_words_stay_whole(analyzer: Analyzer) -> None:
    assert "一网通办" in words(analyzer, "推进一网通办改革")
    assert "放管服" in words(analyzer, "深化放管服改革")
    assert "行政规范性文件" in words(analyzer, "行政规范性文件管理")
    assert "规范性文件" in words(analyzer, "规范性文件备案")


def test_same_tokens_for_either_script(analyzer: Analyzer) -> None:
    assert words(analyzer, "統(tǒng)籌政務(wù)公開") == words(analyzer, "统筹政务公开")


def test_synonyms_are_found_in_the_query(analyzer: Analyzer) -> None:
    plan = plan_query("工资多少要交个税", analyzer)
    assert "个人所得税" in plan.synonyms["个税"]
    plan = plan_query("低保怎么申请", analyzer)
    assert "最低生活保障" in plan.alternatives


def test_synonyms_are_found_with_le_typed_inside(tmp_path: Path) -> None:
    d = tmp_path / "dict"
    d.mkdir()
    (d / "synonyms.txt").write_text("吃坏肚子 食物中毒\n丢了 遗失\n", encoding="utf-8")
    found = Analyzer(d).synonyms.find_spans("饭店吃坏了肚子，钱包丢了")
    assert found["吃坏肚子"] == (("食物中毒",), (2, 7))
    assert found["丢了"] == (("遗失",), (10, 12))


def test_synonym_file_edits_apply_without_restart(tmp_path: Path) -> None:
    d = tmp_path / "dict"
    d.mkdir()
    (d / "synonyms.txt").write_text("# 注释\n社保 社会保险\n", encoding="utf-8")
    analyzer = Analyzer(d)
    assert analyzer.synonyms.find("社保") == {"社保": ("社会保险",)}
    (d / "synonyms.txt").write_text("社保 社会保险 五险\n", encoding="utf-8")
    os.utime(d / "synonyms.txt", ns=(time.time_ns(), time.time_ns() + 10**9))
    analyzer.synonyms._checked = 0.0  # skip the re-check interval instead of sleeping
    assert analyzer.synonyms.find("社保") == {"社保": ("社会保险", "五险")}


def test_no_dictionary_folder_still_analyses(tmp_path: Path) -> None:
    analyzer = Analyzer(tmp_path / "missing")
    assert "个人信息" in words(analyzer, "个人信息")
    assert analyzer.synonyms.find("社保") == {}


def test_snippet_marks_matches_in_the_original_script() -> None:
    html = snippet("前言。" * 50 + "推進政務公開工作<b>", {"政务公开"}, size=40)
    assert "<mark>政務公開</mark>" in html
    assert "&lt;b&gt;" in html and html.startswith("…")


def test_highlight_prefers_the_longest_match() -> None:
    assert highlight("个人信息保护", {"个人", "个人信息"}) == "<mark>个人信息</mark>保护"
