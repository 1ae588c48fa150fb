"""Word 2007+ (.docx) through python-docx: paragraphs, tables as `a | b | c` lines, headers.

A .docx is a zip. Before python-docx opens it, the zip's directory is checked: the declared
uncompressed sizes and compression ratios must be sane, so a "zip bomb" that would inflate to
gigabytes is refused before anything is decompressed. (zipfile never inflates a member beyond
its declared size, so checking the declared sizes bounds memory.)
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn

from .extracted import Extracted, Hints
from .model import ParseError

MAX_MEMBERS = 2000
MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
MAX_XML_UNCOMPRESSED = 50 * 1024 * 1024  # parsed into an lxml tree: memory grows ~10x
MAX_RATIO = 100  # deflated XML is typically 5-20x; bombs are 1000x
RATIO_FLOOR = 1024 * 1024  # small members may have any ratio

_P, _TBL, _TR, _TC, _SDT = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:sdt")
_T, _TAB, _BR, _CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_SDT_CONTENT = qn("w:sdtContent")
_INLINE = {_T, _TAB, _BR, _CR}
_PPR, _PSTYLE, _VAL = qn("w:pPr"), qn("w:pStyle"), qn("w:val")
# Style names (English and Chinese Word) that mark a document's title.
_TITLE_STYLES = {"title", "heading 1", "标题", "标题 1", "标题1"}


def check_zip(data: bytes, name: str = "文件") -> zipfile.ZipFile:
    """Open the zip directory and refuse bombs and corrupt archives before any inflation."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ParseError(
            f"{name}看起来是Word文档（docx），但压缩包已损坏，无法打开（{exc}）。"
            "请重新下载或用Word打开后另存为docx再导入。"
        ) from exc
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ParseError(f"{name}包含{len(infos)}个内部文件，超出正常Word文档，已拒绝处理。")
    total = xml = 0
    for info in infos:
        total += info.file_size
        if info.filename.endswith((".xml", ".rels")):
            xml += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise ParseError(
                f"{name}中的“{info.filename}”压缩比异常（{ratio:.0f}倍，解压后"
                f"{info.file_size // 1048576} MB），疑似压缩炸弹，已拒绝处理。请确认文件来源。"
            )
    if xml > MAX_XML_UNCOMPRESSED:
        raise ParseError(
            f"{name}的文字内容解压后达{xml // 1048576} MB，超过{MAX_XML_UNCOMPRESSED // 1048576} MB上限，"
            "无法安全读取。请拆分文档后分别导入。"
        )
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise ParseError(
            f"{name}解压后共{total // 1048576} MB，超过{MAX_TOTAL_UNCOMPRESSED // 1048576} MB上限，"
            "疑似压缩炸弹或嵌入了超大附件，已拒绝处理。"
        )
    return zf


def _inline_text(el) -> str:
    """Text of a paragraph, including runs inside hyperlinks, fields and text boxes."""
    out = []
    for node in el.iter(_T, _TAB, _BR, _CR):
        if node.tag == _T:
            out.append(node.text or "")
        elif node.tag == _TAB:
            out.append("\t")
        else:
            out.append("\n")
    return "".join(out)


def _cell_text(tc) -> str:
    return " ".join(_inline_text(p).strip() for p in tc.iter(_P) if _inline_text(p).strip())


def _table_lines(tbl) -> list[str]:
    lines = []
    for tr in tbl.iter(_TR):
        if tr.getparent() is not None and tr.getparent() is not tbl:
            continue  # rows of nested tables are read as part of their cell
        cells = [_cell_text(tc) for tc in tr.iterchildren(_TC)]
        if any(cells):
            lines.append(" | ".join(cells))
    return lines


def _block_lines(parent) -> list[str]:
    """Paragraphs and tables in document order; content controls (w:sdt) are looked into."""
    lines: list[str] = []
    stack = [iter(parent.iterchildren())]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif child.tag == _P:
            lines.append(_inline_text(child))
        elif child.tag == _TBL:
            lines.extend(_table_lines(child))
        elif child.tag in (_SDT, _SDT_CONTENT):
            stack.append(iter(child.iterchildren()))
    return lines


def _heading(document: docx.document.Document) -> str | None:
    """The text of the first run of paragraphs styled Title or Heading 1 (a title set over two
    styled paragraphs is joined): the author's own mark of the title."""
    ids = {s.style_id for s in document.styles if (s.name or "").strip().lower() in _TITLE_STYLES}
    if not ids:
        return None
    parts: list[str] = []
    for p in document.element.body.iterchildren(_P):
        ppr = p.find(_PPR)
        style = ppr.find(_PSTYLE) if ppr is not None else None
        styled = style is not None and style.get(_VAL) in ids
        text = _inline_text(p).strip()
        if styled and text:
            parts.append(text)
        elif parts and text:
            break
    return "".join(parts) or None


def extract(data: bytes, name: str = "文件") -> Extracted:
    zf = check_zip(data, name)
    if "word/document.xml" not in zf.namelist():
        raise ParseError(
            f"{name}是压缩包，但不是Word文档（缺少word/document.xml）。请另存为docx后导入。"
        )
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, OSError) as exc:
        raise ParseError(
            f"{name}无法按Word文档读取（{exc}）。请用Word打开后另存为docx再导入。"
        ) from exc
    except Exception as exc:  # lxml and python-docx raise many types on malformed XML
        raise ParseError(
            f"{name}的内容结构损坏，无法读取（{type(exc).__name__}: {exc}）。"
        ) from exc
    headers: list[str] = []
    for section in document.sections:
        for part in (section.header, section.first_page_header):
            if part.is_linked_to_previous:
                continue
            for line in _block_lines(part._element):
                if line.strip() and not line.strip().isdigit() and line not in headers:
                    headers.append(line)
    body = _block_lines(document.element.body)
    hints = Hints(heading=_heading(document))
    return Extracted(text="\n".join(headers + body), format="docx", hints=hints)
