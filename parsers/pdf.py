"""PDF through pdfminer.six, with bounds: a page limit and a time budget checked between pages.

pdfminer gives layout lines, not paragraphs. A line that reaches the right margin was wrapped by
layout and continues on the next line; a line that stops short, or ends a sentence before the
margin, ends its paragraph. pdfminer also leaves spaces where fonts change (`2023 年 5 月 22 日`);
those are removed between Chinese characters and digits. A page that is only an image (a scan,
or an image under a garbage text layer) is read by OCR (`scan.py`) when the caller allows it; its
OCR lines go through the same paragraph rejoining. Without OCR a scan is refused, never stored empty.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass

from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTChar, LTFigure, LTImage, LTTextContainer, LTTextLine
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psparser import PSException

from . import scan
from .extracted import Extracted
from .model import ParseError
from .normalize import CJK
from .ocr import paragraphs

MAX_PAGES = 500
TIME_BUDGET = 60.0  # seconds; checked between pages
MIN_TEXT_CHARS = 20
RIGHT_BLOCK = 0.45  # a line starting this far across the text block is set right (signature, date)  # fewer characters than this on all pages together: a scan

_SPACE_IN_CJK = re.compile(
    rf"(?<=[{CJK}]) +(?=[{CJK}0-9A-Za-z（(《“])|(?<=[0-9A-Za-z）)》”]) +(?=[{CJK}])"
)
_SENTENCE_END = tuple("。！？；：!?;:|")
_CJK_CHAR = re.compile(f"[{CJK}]")
# A line starting with converter pinyin (`(xiàng)目`) continues the previous line's word.
_LITTER_START = re.compile(r"^[(（][a-zü\u00e0-\u01dc]")


@dataclass
class _Line:
    text: str
    x1: float
    char_width: float
    x0: float = 0.0


@dataclass
class _Page:
    lines: list[_Line]
    images: bool
    ocr_paragraphs: list[str] | None = None  # set when the page was read by OCR

    def needs_ocr(self) -> bool:
        """An image with no usable text over it (a scanned page), or a garbage text layer."""
        text = "".join(line.text for line in self.lines)
        return scan.is_garbage(text) or (self.images and not scan.has_text(text))


def _text_lines(element) -> list[LTTextLine]:
    if isinstance(element, LTTextLine):
        return [element]
    if isinstance(element, LTTextContainer):
        return [x for x in element if isinstance(x, LTTextLine)]
    return []


def _has_image(element) -> bool:
    if isinstance(element, LTImage):
        return True
    return isinstance(element, LTFigure) and any(_has_image(x) for x in element)


def _rows(text_lines: list[LTTextLine]) -> list[_Line]:
    """Page lines in reading order. pdfminer's box order can put pieces of one visual line (split
    off by a font change) before the page's first line, so lines are re-sorted by position and
    pieces sharing a baseline are merged, left to right."""
    pieces = []
    for tl in text_lines:
        text = tl.get_text().rstrip("\n")
        if text.strip():
            widths = [
                c.width for c in tl if isinstance(c, LTChar) and _CJK_CHAR.match(c.get_text())
            ]
            width = sorted(widths)[len(widths) // 2] if widths else 0.0
            pieces.append((tl, text, width))
    pieces.sort(key=lambda p: (-(p[0].y0 + p[0].y1) / 2, p[0].x0))
    rows: list[list[tuple[LTTextLine, str, float]]] = []
    for piece in pieces:
        tl = piece[0]
        if rows:
            ref = rows[-1][0][0]
            if abs((ref.y0 + ref.y1) / 2 - (tl.y0 + tl.y1) / 2) < max(ref.height, tl.height) / 2:
                rows[-1].append(piece)
                continue
        rows.append([piece])
    out = []
    for row in rows:
        row.sort(key=lambda p: p[0].x0)
        text, prev = "", None
        for tl, piece_text, width in row:
            if prev is not None and tl.x0 - prev.x1 > max(width, 5.0):
                text += " "
            text += piece_text.strip() if prev is not None else piece_text.rstrip()
            prev = tl
        x0 = min(p[0].x0 for p in row)
        out.append(_Line(text, max(p[0].x1 for p in row), max(p[2] for p in row), x0))
    return out


def _read_pages(data: bytes, name: str) -> tuple[list[_Page], bool]:
    """(pages read, stopped at the page limit)."""
    out: list[_Page] = []
    deadline = time.monotonic() + TIME_BUDGET
    for page in extract_pages(io.BytesIO(data), maxpages=MAX_PAGES + 1, laparams=LAParams()):
        if len(out) == MAX_PAGES:
            return out, True
        if time.monotonic() > deadline:
            raise ParseError(
                f"{name}解析超时（{TIME_BUDGET:.0f}秒内只读完{len(out)}页），PDF结构可能异常。"
                "请用阅读器打开后另存为PDF，或转换为docx后导入。"
            )
        text_lines = []
        images = False
        for element in page:
            images = images or _has_image(element)
            text_lines.extend(_text_lines(element))
        out.append(_Page(_rows(text_lines), images))
    return out, False


def _rejoin(lines: list[_Line]) -> str:
    """Join lines wrapped by layout back into paragraphs."""
    if not lines:
        return ""
    edges = sorted(line.x1 for line in lines)
    right = edges[int(len(edges) * 0.98)] if len(edges) > 1 else edges[0]
    widths = sorted(line.char_width for line in lines if line.char_width)
    char_width = widths[len(widths) // 2] if widths else 10.0
    starts = sorted(line.x0 for line in lines)
    left = starts[int(len(starts) * 0.02)]
    out: list[str] = []
    current = ""
    for k, line in enumerate(lines):
        text = line.text.strip()
        indent, slack = line.x0 - left, right - line.x1
        centred = indent > 2.5 * char_width and abs(indent - slack) < 2 * char_width
        if indent > RIGHT_BLOCK * (right - left) or centred:
            # a signature or date set to the right stands alone, however far right it reaches
            if current:
                out.append(current)
            out.append(text)
            current = ""
            continue
        if current and current[-1].isascii() and current[-1].isalpha() and text[0].isascii():
            current += " "
        current += text
        slack = right - line.x1
        ends_sentence = text.endswith(_SENTENCE_END) and slack > char_width
        wrapped = not ends_sentence and (
            slack < 3 * char_width
            or (k + 1 < len(lines) and _LITTER_START.match(lines[k + 1].text.lstrip()))
        )
        if not wrapped:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return "\n".join(_SPACE_IN_CJK.sub("", p) for p in out)


def extract(data: bytes, name: str = "文件", ocr: scan.OcrOptions | None = None) -> Extracted:
    tail = data[-2048:]
    if b"%%EOF" not in tail:
        raise ParseError(
            f"{name}不完整（PDF结尾标记%%EOF缺失），可能下载或复制时被截断。请重新获取完整文件后导入。"
        )
    try:
        pages, truncated = _read_pages(data, name)
    except ParseError:
        raise
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise ParseError(
            f"{name}已加密，需要密码才能读取。请用原密码打开后另存为不加密的PDF，再导入。"
        ) from exc
    except (PDFSyntaxError, PSException) as exc:
        raise ParseError(
            f"{name}的PDF结构损坏，无法读取（{exc}）。请重新获取文件或另存为PDF后导入。"
        ) from exc
    except RecursionError as exc:
        raise ParseError(f"{name}的PDF对象嵌套过深，疑似恶意构造，已拒绝处理。") from exc
    except Exception as exc:  # pdfminer raises many types on damaged files
        if "encrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise ParseError(
                f"{name}已加密或加密方式不受支持，无法读取。请另存为不加密的PDF再导入。"
            ) from exc
        raise ParseError(
            f"{name}的PDF内容损坏，无法读取（{type(exc).__name__}: {exc}）。请重新获取文件后导入。"
        ) from exc
    warnings = []
    if truncated:
        warnings.append(f"PDF超过{MAX_PAGES}页，只读取了前{MAX_PAGES}页")
    ocr_result = _ocr_scanned_pages(data, name, pages, truncated, ocr, warnings)
    text = _page_text(pages)
    if len(re.sub(r"\s", "", text)) < MIN_TEXT_CHARS:
        if ocr_result is not None:
            raise ParseError(
                f"{name}是扫描件，OCR识别了{len(ocr_result.pages)}页，但没有识别出文字。"
                "请确认扫描件清晰、方向正确（不是空白页或照片）后重新导入。"
            )
        what = "只有图片" if any(p.images for p in pages) else "没有可提取的文字"
        raise ParseError(
            f"{name}是扫描件，需要OCR：PDF共{len(pages)}页，{what}，没有文字层。"
            "请先用OCR软件识别成文字（可另存为带文字层的PDF或docx）后再导入。"
        )
    return Extracted(text=text, format="pdf", warnings=warnings, ocr=ocr_result)


def _page_text(pages: list[_Page]) -> str:
    """Text pages rejoined into paragraphs run by run; OCR pages come as paragraphs already."""
    chunks: list[str] = []
    run: list[_Line] = []
    for page in pages:
        if page.ocr_paragraphs is None:
            run += page.lines
            continue
        chunks += [_rejoin(run), *page.ocr_paragraphs]
        run = []
    chunks.append(_rejoin(run))
    return "\n".join(chunk for chunk in chunks if chunk)


def _ocr_scanned_pages(
    data: bytes,
    name: str,
    pages: list[_Page],
    truncated: bool,
    ocr: scan.OcrOptions | None,
    warnings: list[str],
) -> scan.ScanResult | None:
    """OCR the pages that are images only, in place; a mixed PDF keeps its text pages as they are."""
    wanted = [k + 1 for k, page in enumerate(pages) if page.needs_ocr()]
    if not wanted:
        return None
    if ocr is None or not ocr.enabled:
        if len(wanted) == len(pages):
            raise scan.refuse(name, f"PDF共{len(pages)}页，只有图片")
        warnings.append(f"第{scan.page_list(wanted)}页是扫描图像，OCR已关闭，这些页的文字未读取")
        return None
    total = scan.pdf_page_count(data) if truncated else len(pages)
    result = scan.read_pages(
        data, name, scan.pdf_frames(data), wanted, len(wanted) + total - len(pages), ocr
    )
    for page in result.pages:
        pages[page.number - 1].ocr_paragraphs = paragraphs(page.lines)
    result.total_pages = total
    return result
