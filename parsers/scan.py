"""Scans: which pages need OCR, rasterising them, and the OCR result of a whole file.

A PDF page without a text layer (or with a garbage one) is rendered with pdfium at `DPI` and read
by `ocr.recognise`; an image file (.png/.jpg/.tif, multi-page TIFF too) is read frame by frame.
The caller decides whether OCR is allowed, the page limit, the per-page time limit, and where
results are cached: `OcrOptions` carries that, and a `cache` keyed by the file's SHA-256 means the
same file is never read twice, whatever its path.

A process pool reads the pages of one scan on all its workers: parsed with `split`, a file not in
the cache raises `PagesToRead` instead of reading; the pool reads each page with `read_page`
wherever a worker is free, and parses the file again with the pages it read in `read`.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .detect import detect_format
from .model import ParsedDocument, ParseError
from .normalize import CJK
from .ocr import OcrLine, drop_red, recognise

if TYPE_CHECKING:
    import numpy as np

DPI = 150  # as accurate as 200 dpi on the seeds (bench/ocr.py), and 1.8x fewer pixels
ENGINE_KEY = "rapidocr-3.10-ppocrv6-small-nocls-150dpi-det960-v2"  # part of the cache key
LOW_PAGE_CONFIDENCE = 0.90
LOW_LINE_CONFIDENCE = 0.80
MAX_PIXELS = 60_000_000  # one decoded frame; bigger is a decompression bomb, not a scan


class OcrCache(Protocol):
    """Where OCR results live between runs (the library keeps it in the data home)."""

    def get(self, key: str) -> dict | None: ...

    def put(self, key: str, value: dict) -> None: ...


@dataclass
class OcrOptions:
    enabled: bool = True
    max_pages: int = 500
    page_timeout_s: float = 120.0
    cache: OcrCache | None = None
    # Raise PagesToRead on a cache miss rather than read the pages in this process.
    split: bool = False
    # Pages read elsewhere (read_page), by page number: the second parse of a split file.
    read: dict[int, list[OcrLine]] | None = None
    # Also make a searchable PDF of the scan (ParsedDocument.searchable_pdf).
    searchable: bool = False


class PagesToRead(Exception):  # noqa: N818 - a request to the caller, not an error
    """The pages (1-based) a split parse wants read before it can finish."""

    def __init__(self, pages: list[int]) -> None:
        super().__init__(pages)
        self.pages = pages


# A file's frames: given page numbers, yields (number, RGB image) for each.
Frames = Callable[[list[int]], "Iterator[tuple[int, np.ndarray]]"]


@dataclass
class ScanPage:
    number: int  # 1-based page number in the file
    lines: list[OcrLine]

    @property
    def confidence(self) -> float:
        chars = sum(len(line.text) for line in self.lines)
        if not chars:
            return 0.0
        return sum(line.confidence * len(line.text) for line in self.lines) / chars


@dataclass
class ScanResult:
    """What OCR made of a file: the pages it read, and what the document page should say."""

    pages: list[ScanPage] = field(default_factory=list)
    total_pages: int = 0

    def summary(self) -> dict:
        """`ocr` as stored on the document: pages read by OCR, total pages, mean confidence."""
        chars = sum(len(line.text) for p in self.pages for line in p.lines)
        conf = sum(p.confidence * sum(len(x.text) for x in p.lines) for p in self.pages)
        return {
            "ocr": True,
            "ocr_pages": [p.number for p in self.pages],
            "pages": self.total_pages,
            "mean_confidence": round(conf / chars, 3) if chars else 0.0,
            "engine": ENGINE_KEY,
        }

    def warnings(self) -> list[str]:
        return [
            f"第{p.number}页为扫描图像，OCR识别置信度偏低（{p.confidence:.2f}），请对照原件核对该页文字"
            for p in self.pages
            if p.lines and p.confidence < LOW_PAGE_CONFIDENCE  # a blank page is no doubt
        ]

    def doubtful_lines(self) -> list[OcrLine]:
        return [
            line for p in self.pages for line in p.lines if line.confidence < LOW_LINE_CONFIDENCE
        ]


_CID = re.compile(r"\(cid:\d+\)")
# Chinese, ASCII, CJK and general punctuation, full-width forms, circled numbers.
_PLAIN = re.compile(rf"[{CJK}\u0020-\u007e\u2000-\u206f\u2460-\u24ff\u3000-\u303f\uff00-\uffef]")
MIN_PAGE_CHARS = 10


def has_text(text: str) -> bool:
    """Whether a page's text layer is real text: enough characters, mostly Chinese, letters,
    digits and ordinary punctuation."""
    return len(_squeezed(text)) >= MIN_PAGE_CHARS and not is_garbage(text)


def is_garbage(text: str) -> bool:
    """A layer of unmapped glyphs (`(cid:123)`) or of mojibake: the page is read as the image it
    renders to, whether its glyphs are pictures or vector outlines."""
    text = _squeezed(text)
    return len(text) >= MIN_PAGE_CHARS and len(_PLAIN.findall(text)) < 0.6 * len(text)


def _squeezed(text: str) -> str:
    return _CID.sub("\ufffd", re.sub(r"\s", "", text))


def page_list(numbers: list[int]) -> str:
    return "、".join(map(str, numbers))


def refuse(name: str, what: str) -> ParseError:
    """Today's message, when OCR is switched off (`ocr = false`)."""
    return ParseError(
        f"{name}是扫描件，需要OCR：{what}，没有文字层。本库的OCR已关闭（设置 ocr = false）；"
        "请开启OCR，或先用OCR软件识别成文字（可另存为带文字层的PDF或docx）后再导入。"
    )


def _cache_key(data: bytes, pages: list[int]) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest}-{ENGINE_KEY}-" + hashlib.sha256(repr(pages).encode()).hexdigest()[:12]


def _to_dict(result: ScanResult) -> dict:
    return {"total_pages": result.total_pages, "pages": [asdict(p) for p in result.pages]}


def _from_dict(data: dict) -> ScanResult:
    pages = [ScanPage(p["number"], [OcrLine(**x) for x in p["lines"]]) for p in data["pages"]]
    return ScanResult(pages, data["total_pages"])


def read_pages(
    data: bytes, name: str, frames: Frames, pages: list[int], total: int, options: OcrOptions
) -> ScanResult:
    """OCR `pages` (1-based) of a file of `total` pages: from the cache, from `options.read`, or
    here, page by page (see the module docstring for `options.split`)."""
    if total > options.max_pages:
        raise ParseError(
            f"{name}是{total}页的扫描件，超过OCR的页数上限（{options.max_pages}页）。"
            "请拆分成较小的文件，或在设置中调高 ocr_max_pages 后重试。"
        )
    key = _cache_key(data, pages)
    read = dict(options.read or {})
    if not read:
        if options.cache is not None and (hit := options.cache.get(key)) is not None:
            return _from_dict(hit)
        if options.split:
            raise PagesToRead(pages)
    for number, rgb in frames([n for n in pages if n not in read]):
        read[number] = recognised(name, number, rgb, options.page_timeout_s)
    result = ScanResult([ScanPage(n, read[n]) for n in pages], total)
    if options.cache is not None:
        options.cache.put(key, _to_dict(result))
    return result


def recognised(name: str, number: int, rgb: np.ndarray, page_timeout_s: float) -> list[OcrLine]:
    """The lines of page `number`, within the per-page limit of CPU time (a busy machine does
    not fail a good page)."""
    started = time.process_time()
    lines = recognise(drop_red(rgb, first_page=number == 1), DPI)
    took = time.process_time() - started
    if took > page_timeout_s:
        raise ParseError(
            f"{name}第{number}页OCR用了{took:.0f}秒CPU时间，超过每页{page_timeout_s:.0f}秒的上限，"
            "图像可能异常（过大或全是噪点）。请检查扫描件，或在设置中调高 ocr_page_timeout_s。"
        )
    return lines


def read_page(path: Path, number: int, page_timeout_s: float) -> list[OcrLine]:
    """Page `number` of the scan at `path` read on its own: a pool's share of `PagesToRead`."""
    data = path.read_bytes()
    name = f"文件“{path.name}”"
    frames = pdf_frames(data) if detect_format(path, data) == "pdf" else image_frames(data, name)[1]
    _, rgb = next(iter(frames([number])))
    return recognised(name, number, rgb, page_timeout_s)


def pdf_frames(data: bytes) -> Frames:
    def frames(pages: list[int]) -> Iterator[tuple[int, np.ndarray]]:
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(data)
        try:
            for number in pages:
                page = doc[number - 1]
                bitmap = page.render(scale=DPI / 72)
                yield number, bitmap.to_numpy()[..., :3][..., ::-1].copy()  # BGR(A) -> RGB
        finally:
            doc.close()

    return frames


def pdf_page_count(data: bytes) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return len(doc)
    finally:
        doc.close()


def image_frames(data: bytes, name: str) -> tuple[int, Frames, str]:
    """(frame count, frames, format: png/jpeg/tiff…) of an image file; a damaged image is a
    ParseError naming it."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        count = getattr(image, "n_frames", 1)
        kind = (image.format or "image").lower()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ParseError(
            f"{name}是图片文件，但图像已损坏或格式无法识别（{type(exc).__name__}），无法OCR。"
            "请重新扫描或重新导出图片后导入。"
        ) from exc

    def frames(pages: list[int]) -> Iterator[tuple[int, np.ndarray]]:
        import numpy as np

        for number in pages:
            try:
                image.seek(number - 1)
                rgb = np.asarray(image.convert("RGB"))
            except (EOFError, OSError, ValueError, Image.DecompressionBombError) as exc:
                raise ParseError(
                    f"{name}第{number}帧图像已损坏（{type(exc).__name__}: {exc}），无法OCR。"
                    "请重新扫描或重新导出图片后导入。"
                ) from exc
            yield number, _at_dpi(rgb, image.info.get("dpi"))

    return count, frames, kind


def _at_dpi(rgb: np.ndarray, dpi: tuple | None) -> np.ndarray:
    """A photo or scan at its own resolution, brought to `DPI` when it says it is finer (a 300 dpi
    scan read at 150 is as accurate and four times cheaper)."""
    own = float(dpi[0]) if dpi and dpi[0] else 0.0
    if own <= DPI * 1.2:
        return rgb
    import cv2

    factor = DPI / own
    return cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)


_FIELD_LABELS = {
    "title": "标题",
    "doc_number": "文号",
    "issuer": "发文机关",
    "signed_date": "成文日期",
    "published_date": "发布日期",
    "effective_date": "施行日期",
}


def doubtful_fields(parsed: ParsedDocument, result: ScanResult) -> list[str]:
    """A warning for each metadata field read from an OCR line the recogniser was unsure of, so
    the legal office checks exactly that value against the original."""
    doubtful = [(re.sub(r"\s", "", x.text), x.confidence) for x in result.doubtful_lines()]
    out = []
    for key, label in _FIELD_LABELS.items():
        ev = parsed.evidence.get(key)
        if ev is None:
            continue
        source = re.sub(r"\s", "", ev.source)
        if len(source) < 4:
            continue
        for text, confidence in doubtful:
            if len(text) >= 4 and (text in source or source in text):
                out.append(
                    f"{label}“{ev.value}”取自OCR识别置信度偏低的一行（{confidence:.2f}），"
                    "请对照原件核对"
                )
                break
    return out
