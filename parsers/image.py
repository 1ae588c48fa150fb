"""Image files (.png, .jpg, .tif, multi-page TIFF): a photo or scan of a document, read by OCR."""

from __future__ import annotations

from . import scan
from .extracted import Extracted
from .model import ParseError
from .ocr import paragraphs


def extract(data: bytes, name: str, ocr: scan.OcrOptions | None) -> Extracted:
    if ocr is None or not ocr.enabled:
        raise scan.refuse(name, "图片文件")
    count, frames, kind = scan.image_frames(data, name)
    numbers = list(range(1, count + 1))
    result = scan.read_pages(data, name, frames, numbers, count, ocr)
    text = "\n".join(para for page in result.pages for para in paragraphs(page.lines))
    if not text.strip():
        raise ParseError(
            f"{name}是图片，OCR没有识别出文字。请确认图片是文件的扫描件或照片、清晰且方向正确后重新导入。"
        )
    return Extracted(text=text, format=kind, ocr=result)
