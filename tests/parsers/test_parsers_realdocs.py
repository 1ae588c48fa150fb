"""Real government files (../shared/realdocs): the hand-labelled metadata is extracted, and the
stored body of a saved web page is the document, not the site around it."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

from library.core import Library
from library.ingest import ingest_paths
from library.search import search
from library.search_params import SearchParams
from parsers import ParsedDocument, parse_file

ROOT = Path(__file__).resolve().parents[2]
REALDOCS = Path(os.environ.get("POLICYLIB_REALDOCS", ROOT.parent / "shared" / "realdocs"))
FIELDS = ("title", "doc_number", "issuer", "signed_date", "kind")
EXPECTED = (
    json.loads((REALDOCS / "expected.json").read_text(encoding="utf-8"))
    if (REALDOCS / "expected.json").exists()
    else {}
)
NAMES = sorted(k for k in EXPECTED if not k.startswith("_")) or ["(realdocs absent)"]
PAGES = [n for n in NAMES if n.endswith(".html")] or ["(realdocs absent)"]

# What government sites put around a document: menus, breadcrumbs, share and print widgets,
# footers. None of it may reach the stored body or a search snippet.
SITE_FURNITURE = (
    "首页",
    "网站地图",
    "联系我们",
    "版权所有",
    "ICP备",
    "公网安备",
    "网站标识码",
    "主办单位",
    "技术支持",
    "分享到",
    "扫一扫",
    "打开微信",
    "返回主站",
    "返回顶部",
    "无障碍",
    "高级搜索",
    "当前位置",
    "您现在的位置",
    "打印此页",
    "关闭窗口",
    "附件下载",
    "相关文章",
    "移动客户端",
    "财政部微信",
    "索引号",
    "主题分类",
)


@pytest.fixture(scope="module")
def realdocs() -> Path:
    if not (REALDOCS / "expected.json").exists():
        pytest.skip(f"realdocs not found at {REALDOCS} (set POLICYLIB_REALDOCS)")
    return REALDOCS


@cache
def _scorer() -> ModuleType:
    """The data set's own scorer, for its matching rules (brackets, accepted forms, co-issuers)."""
    spec = importlib.util.spec_from_file_location("realdocs_score", REALDOCS / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def _parsed(name: str) -> ParsedDocument:
    return parse_file(REALDOCS / "files" / name)


def _value(doc: ParsedDocument, field: str) -> str | None:
    value = getattr(doc, field)
    return value.isoformat() if hasattr(value, "isoformat") else value


@pytest.mark.parametrize("name", NAMES)
def test_real_file_metadata_matches_the_hand_labels(realdocs: Path, name: str) -> None:
    expected = EXPECTED[name]
    doc = _parsed(name)
    wrong = {
        field: (expected.get(field), _value(doc, field))
        for field in FIELDS
        if field not in expected.get("_unsure", [])
        and not _scorer().field_ok(field, expected, _value(doc, field))
    }
    assert not wrong, wrong


@pytest.mark.parametrize("name", NAMES)
def test_every_found_field_has_a_confidence(realdocs: Path, name: str) -> None:
    doc = _parsed(name)
    confidence = doc.confidence()
    for field in FIELDS:
        if field == "kind" or getattr(doc, field):
            assert 0 < confidence[field] <= 1, field
        else:
            assert confidence[field] == 0.0, field  # not found: no trust at all
    assert all(0 <= v <= 1 for v in confidence.values())


@pytest.mark.parametrize("name", PAGES)
def test_saved_page_body_holds_no_site_furniture(realdocs: Path, name: str) -> None:
    doc = _parsed(name)
    present = [s for s in SITE_FURNITURE if s in doc.text]
    assert not present, f"{name}: {present}"
    # the document is there: its own title (or, for a Q&A page, its question) opens the body
    title = re.sub(r"\s+", "", doc.title)
    assert title[:10] in re.sub(r"\s+", "", "".join(doc.text.split("\n")[:6]))


def test_page_copies_and_disclosure_table_are_not_repeated_in_the_body(realdocs: Path) -> None:
    """gov.cn pages carry the article twice (PC and mobile) and the disclosure table twice."""
    for name in PAGES:
        lines = _parsed(name).text.split("\n")
        first = next(x for x in lines if len(x) >= 30)  # the salutation or first paragraph
        assert lines.count(first) == 1, name
        assert lines.count(lines[0]) == 1, name


def test_pages_ingested_and_searched_show_no_site_furniture(realdocs: Path, home: Path) -> None:
    folder = home.parent / "pages"
    folder.mkdir()
    for name in PAGES:
        shutil.copy(REALDOCS / "files" / name, folder / name)
    lib = Library.open(home)
    try:
        report = ingest_paths(lib, [folder])
        assert not [f for f in report.files if f.outcome == "failed"]
        # every page is a document of its own: none is a duplicate of another's site chrome
        assert not [f for f in report.files if f.outcome == "duplicate"]
        for query in ("会计", "通知", "财政部", "准则", "首页", "网站地图", "版权所有", "分享"):
            found = search(lib, SearchParams(q=query, include_all=True, per_page=50))
            for result in found["results"]:
                snippet = re.sub(r"<[^>]+>", "", result.get("snippet") or "")
                present = [s for s in SITE_FURNITURE if s in snippet]
                assert not present, (query, result["title"], present)
    finally:
        lib.close()
