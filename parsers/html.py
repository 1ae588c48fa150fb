"""HTML pages (.html/.htm) through BeautifulSoup with lxml: keep the article, drop the page around it.

Government pages wrap a document in navigation, breadcrumbs, share widgets, QR codes and footers.
The whole document is read (pages that close `<body>` early put the article after it). Scripts,
styles, hidden blocks and structural furniture (nav, aside, footer, forms) are removed by tag;
blocks made mostly of links (menus, related-article lists) by link density. What the page states
about the document (disclosure table, meta title, `<title>` without its site suffix) becomes hints
for metadata.py, and the table leaves the body. The article block is then found by a paragraph
scorer (`main_content`); only it, with the page's heading on top, is the stored text, so
navigation and footers reach neither search nor snippets. What furniture survives as text
(`【打印】`, `扫一扫在手机打开当前页`) is dropped by normalize.py like in any format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, Tag
from bs4.element import CData, ProcessingInstruction

from . import text as text_format
from .disclosure import Cell, read_disclosure
from .extracted import Extracted, Hints, PageValue
from .model import ParseError
from .titles import is_navigation, split_site_suffix, strip_site_suffix

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
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_FOOTER = re.compile(
    r"版权所有|版權所有|主办单位|主辦單位|承办单位|技术支持|ICP备|公网安备|网站标识码|网站地图|联系我们|"
    r"Copyright|©|建议使用.{0,20}浏览器|分辨率"
)
_PUNCT = re.compile(r"[，。；、！？,;]")
_COMPACT = re.compile(r"[\s\u3000]+")
TABLE_SHARE = 0.9  # an element this much made of disclosure-table text is the table
SIBLING_SHARE = 0.25
COPY_DEPTH, COPY_MIN = 3, 100
_CONTAINERS = [
    "div",
    "section",
    "article",
    "main",
    "table",
    "tbody",
    "tr",
    "td",
    "ul",
    "ol",
]  # duplicate blocks are looked for this deep, from this many characters  # a sibling block with this share of the best block's text is article too
_TITLE_META = ("articletitle", "og:title", "dc.title", "dcterms.title", "title", "twitter:title")
_SOURCE_META = ("contentsource", "source", "dc.publisher", "dc.source")
_SITE_META = ("sitename", "og:site_name", "site_name", "columnname", "columntype")
_COLUMN_META = ("columnname", "columntype", "lanmu", "channel")
_SITE_SPLIT = re.compile(r"[_|｜\-—\s]+")
_TEXT_HOLDERS = {"p", "div", "td", "span", "strong", "b", "font", "center"}
HEADING_TAGS = 6  # an element with more tags inside is a container, not a heading
_TITLE_CLASS = re.compile(r"title|headline|biaoti|\bbt\b|heading")


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
            or _HIDDEN.search(str(tag.get("style") or ""))
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


def _cells(root: Tag) -> list[Cell]:
    """Block-level text in document order: consecutive strings under the same block or cell."""
    cells: list[Cell] = []
    for node in root.find_all(string=True):
        if isinstance(node, _SKIP_STRINGS):
            continue
        piece = _WS.sub(" ", str(node))
        if not piece.strip():
            continue
        block = next((p for p in node.parents if p.name in _BLOCK or p.name in _CELL), root)
        if cells and cells[-1].block is block and cells[-1].open:
            cells[-1].text += piece
        else:
            for c in cells[-1:]:
                c.open = False
            cells.append(_Cell(piece, block))
        linked = node.find_parent("a") is not None
        cells[-1].linked += len(piece.strip()) if linked else 0
        # a block element between two strings of one block closes the cell
        nxt = node.next_element
        while nxt is not None and isinstance(nxt, NavigableString) and not str(nxt).strip():
            nxt = nxt.next_element
        if isinstance(nxt, Tag) and (nxt.name in _BLOCK or nxt.name in _CELL or nxt.name == "br"):
            cells[-1].open = False
    for c in cells:
        c.text = c.text.strip()
    return cells


@dataclass
class _Cell(Cell):
    linked: int = 0  # characters inside links
    open: bool = True  # the next string of the same block still belongs to this cell


def _weight(cell: _Cell) -> float:
    """How much a cell looks like running text: sentence punctuation and length, not links."""
    text = cell.text
    if len(text) < 8 or cell.linked * 2 > len(text) or _FOOTER.search(text):
        return 0.0
    punct = len(_PUNCT.findall(text))
    if not punct and len(text) < 30:
        return 0.0  # a label, a date, a menu entry
    return 1.0 + punct + min(len(text) / 80, 3.0)


def main_content(root: Tag, cells: list[_Cell]) -> list[Tag]:
    """The elements that hold the article, in document order (readability's idea: paragraphs give
    their score to their block, its parent and, halved, its grandparent; the best container wins,
    with siblings that hold a fair share of text)."""
    score: dict[int, float] = {}
    total: dict[int, float] = {}
    tags: dict[int, Tag] = {}
    for cell in cells:
        w = _weight(cell)
        if not w:
            continue
        chain = [cell.block, *cell.block.parents]
        for depth, tag in enumerate(chain):
            if not isinstance(tag, Tag) or tag.name == "[document]":
                break
            tags[id(tag)] = tag
            total[id(tag)] = total.get(id(tag), 0.0) + w
            if depth <= 2:
                score[id(tag)] = score.get(id(tag), 0.0) + (w if depth < 2 else w / 2)
    if not score:
        return [root]
    order = {id(t): k for k, t in enumerate(root.find_all(True))}
    best = max(score, key=lambda k: (score[k], -order.get(k, 0)))  # ties: the outer block
    top = tags[best]
    parent = top.parent
    if parent is None or not isinstance(parent, Tag):
        return [top]
    keep: list[tuple[Tag, str]] = []
    for child in parent.find_all(True, recursive=False):
        if child is top or total.get(id(child), 0.0) >= SIBLING_SHARE * total[best]:
            text = _compact(child.get_text())
            # a copy for another screen size (PC / mobile) is read once, the fuller one
            if any(text in kept for _, kept in keep):
                continue
            keep = [(t, kept) for t, kept in keep if kept not in text] + [(child, text)]
    return [t for t, _ in keep]


def _drop_copies(content: list[Tag], depth: int = COPY_DEPTH) -> None:
    """Pages often carry the article twice, one copy per screen size; the later copy goes. Only
    containers are compared: a paragraph a document repeats on purpose stays."""
    level = list(content)
    for _ in range(depth):
        nxt: list[Tag] = []
        for tag in level:
            seen: set[str] = set()
            for child in tag.find_all(_CONTAINERS, recursive=False):
                text = _compact(child.get_text())
                if len(text) >= COPY_MIN and text in seen:
                    child.decompose()
                    continue
                seen.add(text)
                nxt.append(child)
        level = nxt


def _compact(text: str) -> str:
    return _COMPACT.sub("", text)


def _meta(soup: BeautifulSoup) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = (tag.get("name") or tag.get("property") or "").strip().lower()
        value = _WS.sub(" ", tag.get("content") or "").strip()
        if key and value and key not in out:
            out[key] = value
    return out


def _page_values(soup: BeautifulSoup) -> dict[str, PageValue]:
    """Title candidates, source, site name and column from `<title>` and generic meta tags."""
    meta = _meta(soup)
    sites = tuple(meta[k] for k in _SITE_META if k in meta)
    sites += tuple(p for s in sites for p in _SITE_SPLIT.split(s) if len(p) >= 2)
    values: dict[str, PageValue] = {}
    for key in _TITLE_META:
        if key in meta and not is_navigation(meta[key]):
            title = strip_site_suffix(meta[key], sites)
            if len(title) >= 4:
                values["title"] = PageValue(title, f"网页元数据{key}")
                break
    column = " ".join(meta[k] for k in _COLUMN_META if k in meta)
    if soup.title is not None and soup.title.string:
        title, suffix = split_site_suffix(soup.title.string, sites)
        column += " " + suffix
        if title and not is_navigation(title):
            values["page_title"] = PageValue(title, "网页标题<title>", strong=False)
    if column.strip():
        values["column"] = PageValue(column.strip(), "网页栏目", strong=False)
    for key in _SOURCE_META:
        if meta.get(key) and not is_navigation(meta[key]):
            values["source"] = PageValue(meta[key], f"网页元数据{key}", strong=False)
            break
    for site in sites:
        values.setdefault("site_name", PageValue(site, "网站名称", strong=False))
    return values


def _heading(root: Tag, content: list[Tag], wanted: str | None) -> Tag | None:
    """The page's visible heading for the document when it sits outside the content block: the
    nearest heading-like element before it that matches the page's stated title (or, without one,
    the nearest plausible `<h1>`-`<h3>`)."""
    first = content[0]
    inside = {id(t) for c in content for t in [c, *c.find_all(True)]}
    best = None
    for tag in root.find_all(True):
        if tag is first:
            break
        heading_like = _is_heading_like(tag)
        if id(tag) in inside or not (heading_like or (wanted and tag.name in _TEXT_HOLDERS)):
            continue
        if len(tag.find_all(True, limit=HEADING_TAGS + 1)) > HEADING_TAGS:
            continue  # a container, not a heading
        text = _compact(tag.get_text())
        if len(text) < 6 or len(text) > 300 or is_navigation(tag.get_text(" ")):
            continue
        if (
            wanted
            and _matches(text, wanted, loose=heading_like)
            or not wanted
            and tag.name in ("h1", "h2", "h3")
        ):
            best = tag
    return best


def _matches(text: str, wanted: str, *, loose: bool) -> bool:
    """A heading matches the stated title when one holds the other; a plain paragraph only when
    they are nearly the same length (it must not be a paragraph that quotes the title)."""
    if text == wanted:
        return True
    if loose:
        return len(text) >= 8 and (text in wanted or wanted in text)
    if text.endswith(wanted):  # issuers before a shortened title: `A B关于…的函`
        return len(text) <= 2.5 * len(wanted)
    return (wanted in text and len(text) <= 1.6 * len(wanted)) or (
        text in wanted and len(text) >= 0.6 * len(wanted)
    )


def _is_heading_like(tag: Tag) -> bool:
    if tag.name in ("h1", "h2", "h3", "h4"):
        return True
    marks = " ".join([*(tag.get("class") or []), str(tag.get("id") or "")]).lower()
    return bool(_TITLE_CLASS.search(marks))


def _drop_table(table_cells: list[Cell]) -> None:
    """Remove the disclosure table from the page once it is read: its values are metadata, and in
    the body they would only clutter search snippets. Each of its cells climbs to the largest
    element that is still mostly table text, and that element goes."""
    table_chars: dict[int, int] = {}
    for cell in table_cells:
        for tag in [cell.block, *cell.block.parents]:
            table_chars[id(tag)] = table_chars.get(id(tag), 0) + len(_compact(cell.text))
    size: dict[int, int] = {}

    def mostly_table(tag: Tag) -> bool:
        if id(tag) not in size:
            size[id(tag)] = len(_compact(tag.get_text()))
        return table_chars.get(id(tag), 0) >= TABLE_SHARE * size[id(tag)]

    doomed: list[Tag] = []
    for cell in table_cells:
        tag = cell.block
        while (
            isinstance(tag.parent, Tag)
            and tag.parent.name != "[document]"
            and mostly_table(tag.parent)
        ):
            tag = tag.parent
        if not any(tag is d for d in doomed):
            doomed.append(tag)
    for tag in doomed:
        if not tag.decomposed:
            tag.decompose()


def extract(data: bytes, name: str = "文件") -> Extracted:
    markup, encoding, warnings = _decode(data, name)
    try:
        soup = BeautifulSoup(markup, "lxml")
    except Exception as exc:  # lxml refuses some broken documents outright
        raise ParseError(
            f"{name}的HTML无法解析（{exc}）。请在浏览器中打开后另存为网页再导入。"
        ) from exc
    page = _page_values(soup)
    hints = Hints(page=page)
    if "page_title" in page:
        hints.title_fallback = page["page_title"].value
    for head in soup.find_all("head"):
        head.decompose()
    _prune(soup)
    # Broken pages close <body> early and put the article after it: read the whole document.
    root = soup
    cells = _cells(root)
    fields, table_cells = read_disclosure(cells)
    page.update(fields)  # what the page shows beats what its meta tags say
    _drop_table(table_cells)
    cells = [c for c in cells if not c.block.decomposed]
    content = main_content(root, cells)
    _drop_copies(content)
    wanted = page.get("title") or page.get("page_title")
    heading = _heading(root, content, _compact(wanted.value) if wanted else None)
    parts = [_walk(c) for c in content]
    head_text = _compact("".join(parts)[:600])
    if heading is not None and _compact(heading.get_text()) not in head_text:
        parts.insert(0, _walk(heading))
    return Extracted(
        text="\n".join(parts), format="html", hints=hints, warnings=warnings, encoding=encoding
    )
