"""HTML pages (.html/.htm) through BeautifulSoup with lxml: keep the article, drop the page around it.

Government pages wrap a document in navigation, breadcrumbs, share widgets, QR codes and footers.
Scripts, styles and structural furniture (nav, aside, footer, forms) are removed by tag; blocks
made mostly of links (menus, related-article lists) are removed by link density; what furniture
survives as text (`【打印】`, `扫一扫在手机打开当前页`) is dropped by normalize.py like in any format.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, Tag
from bs4.element import CData, ProcessingInstruction

from . import text as text_format
from .extracted import Extracted, Hints
from .model import ParseError

_DROP_TAGS = {
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "svg",
    "canvas",
    "nav",
    "aside",
    "form",
    "button",
    "select",
    "input",
    "textarea",
    "link",
    "meta",
    "map",
    "audio",
    "video",
}
_BLOCK = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "tr",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "blockquote",
        "pre",
        "hr",
        "address",
        "figure",
        "figcaption",
        "center",
        "caption",
        "body",
        "html",
    ]
)
_CELL = frozenset(("td", "th"))
_SKIP_STRINGS = (Comment, Declaration, Doctype, CData, ProcessingInstruction)
_LINK_DENSE_TAGS = {"ul", "ol", "div", "table", "td", "section", "dl", "p"}
_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]{2,40})""", re.IGNORECASE)
_WS = re.compile(r"\s+")
_TITLE_SEP = re.compile(r"\s*[_|｜—–-]{1,2}\s*")


def _decode(data: bytes, name: str) -> tuple[str, str, list[str]]:
    m = _CHARSET.search(data[:4096])
    if m and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        declared = m.group(1).decode("ascii", "replace").lower()
        if declared in ("gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936"):
            declared = "gb18030"
        try:
            return data.decode(declared), declared, []
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration is common; detect instead
    return text_format.decode(data, name)


def _prune(soup: BeautifulSoup) -> None:
    """Remove furniture in one linear pass (deeply nested hostile pages must not go quadratic):
    character and link counts are summed bottom-up, removals decided top-down."""
    tags = soup.find_all(True)  # document order
    stats: dict[int, tuple[int, int, int]] = {}  # id -> (chars, chars inside links, links)
    for tag in reversed(tags):
        chars = linked = links = 0
        for child in tag.contents:
            if isinstance(child, Tag):
                c, lc, n = stats[id(child)]
                chars, linked, links = chars + c, linked + lc, links + n
            elif not isinstance(child, _SKIP_STRINGS):
                chars += len(_WS.sub("", child))
        if tag.name == "a":
            linked, links = chars, links + 1
        stats[id(tag)] = (chars, linked, links)
    removed: set[int] = set()  # removed tags and everything inside them
    in_article: set[int] = set()
    doomed = []
    for tag in tags:
        parent = id(tag.parent)
        if parent in removed:
            removed.add(id(tag))
            continue
        if tag.name in ("article", "main") or parent in in_article:
            in_article.add(id(tag))
        chars, linked, links = stats[id(tag)]
        if (
            tag.name in _DROP_TAGS
            or (tag.name in ("header", "footer") and id(tag) not in in_article)
            or (tag.name in _LINK_DENSE_TAGS and links >= 3 and chars and linked / chars >= 0.6)
        ):
            removed.add(id(tag))
            doomed.append(tag)
    for tag in doomed:
        tag.decompose()


def _walk(root: Tag) -> str:
    """Text with block boundaries as line breaks; table rows as `a | b | c`; <pre> kept verbatim."""
    out: list[str] = []
    pre = 0
    stack: list[tuple[object, bool]] = [(root, True)]
    while stack:
        node, entering = stack.pop()
        if isinstance(node, NavigableString):
            if not isinstance(node, _SKIP_STRINGS):
                out.append(str(node) if pre else _WS.sub(" ", str(node)))
            continue
        name = node.name
        if not entering:
            if name in _CELL:
                out.append(" | ")
            elif name in _BLOCK:
                if name == "tr" and out and out[-1] == " | ":
                    out.pop()
                out.append("\n")
            if name == "pre":
                pre -= 1
            continue
        if name == "br":
            out.append("\n")
            continue
        if name in _BLOCK:
            out.append("\n")
        if name == "pre":
            pre += 1
        stack.append((node, False))
        stack.extend((child, True) for child in reversed(node.contents))
    return "".join(out)


def _page_title(soup: BeautifulSoup) -> str | None:
    if soup.title is None or not soup.title.string:
        return None
    title = _WS.sub(" ", soup.title.string).strip()
    parts = [p for p in _TITLE_SEP.split(title) if p]
    return (parts[0] if parts else title) or None


def extract(data: bytes, name: str = "文件") -> Extracted:
    markup, encoding, warnings = _decode(data, name)
    try:
        soup = BeautifulSoup(markup, "lxml")
    except Exception as exc:  # lxml refuses some broken documents outright
        raise ParseError(
            f"{name}的HTML无法解析（{exc}）。请在浏览器中打开后另存为网页再导入。"
        ) from exc
    hints = Hints(title_fallback=_page_title(soup))
    _prune(soup)
    root = soup.body or soup
    text = _walk(root)
    return Extracted(text=text, format="html", hints=hints, warnings=warnings, encoding=encoding)
