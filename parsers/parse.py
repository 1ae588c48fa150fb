"""File -> ParsedDocument: limits, real-type dispatch, normalisation, metadata.

A plain module-level function with plain arguments, so the ingest pipeline can run it in a worker
process under a timeout and a memory limit.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from . import doc, docx, html, image, pdf, scan, searchable, text
from .detect import SUPPORTED, UNSUPPORTED, detect_format
from .disclosure import Cell, read_disclosure
from .extracted import Extracted
from .metadata import extract_metadata
from .model import ParsedDocument, ParseError
from .normalize import normalize_text

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
RAW_HEAD_CHARS = 4000  # labels copied from a web page sit at the top
log = logging.getLogger("policylib.parsers")

# Extensions that name a format; a mismatch with the real type becomes a warning.
_EXT_FORMAT = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".docx": "docx",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".shtml": "html",
    ".doc": "doc",
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".tif", ".tiff"), "image"),
}


def _extract(fmt: str, data: bytes, name: str, ocr: scan.OcrOptions | None) -> Extracted:
    if fmt in ("txt", "md"):
        return text.extract(data, fmt, name)
    if fmt == "docx":
        return docx.extract(data, name)
    if fmt == "pdf":
        return pdf.extract(data, name, ocr)
    if fmt == "image":
        return image.extract(data, name, ocr)
    if fmt == "html":
        return html.extract(data, name)
    return doc.extract(data, name)


def _read(path: Path, max_bytes: int, name: str) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise ParseError(f"{name}不存在，请检查路径。") from exc
    if not path.is_file():
        raise ParseError(f"{name}不是普通文件，无法导入。")
    if size == 0:
        raise ParseError(f"{name}是空文件（0字节），没有可导入的内容。请确认文件完整后重新导入。")
    if size > max_bytes:
        raise ParseError(
            f"{name}大小为{size / 1048576:.1f} MB，超过单个文件{max_bytes / 1048576:.0f} MB的上限。"
            "请拆分文件，或在设置中调高 max_file_mb 后重试。"
        )
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:  # grew while we looked
        raise ParseError(f"{name}超过单个文件{max_bytes / 1048576:.0f} MB的上限。")
    return data


def _raw_labels(extracted: Extracted) -> None:
    """`来源：XX局` and `发布时间：…` lines at the top of copied text are page furniture that
    normalisation removes; the office they name is still the best weak clue to the issuer."""
    lines = [x.strip() for x in extracted.text[:RAW_HEAD_CHARS].split("\n") if x.strip()]
    fields, _ = read_disclosure([Cell(line, i) for i, line in enumerate(lines)])
    for key, value in fields.items():
        extracted.hints.page.setdefault(key, value)


def _add_searchable_pdf(
    parsed: ParsedDocument, data: bytes, fmt: str, result: scan.ScanResult
) -> None:
    """The scan with its text laid over it; a failure here costs only that copy, said in a
    warning, never the document."""
    make = searchable.pdf_with_text if fmt == "pdf" else searchable.image_with_text
    try:
        parsed.searchable_pdf = make(data, result)
    except Exception as exc:
        log.warning("searchable pdf failed: %s: %s", type(exc).__name__, exc)
        parsed.warnings.append(
            f"未能生成可检索的PDF（{type(exc).__name__}），原件和识别出的文字不受影响"
        )


def parse_file(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, ocr: scan.OcrOptions | None = None
) -> ParsedDocument:
    """Parse one file. Raises ParseError, whose message says what is wrong and what to do.

    Scanned pages and image files are read by OCR only when `ocr` allows it; without it they are
    refused with a message that says so."""
    path = Path(path)
    name = f"文件“{path.name}”"
    started = time.perf_counter()
    data = _read(path, max_bytes, name)
    fmt = detect_format(path, data)
    if fmt not in SUPPORTED:
        raise ParseError(f"{name}的实际类型不受支持：{UNSUPPORTED.get(fmt, fmt)}。")
    extracted = _extract(fmt, data, name, ocr)
    warnings = list(extracted.warnings)
    hinted = _EXT_FORMAT.get(path.suffix.lower())
    if hinted and hinted != fmt and {hinted, fmt} != {"txt", "md"}:
        warnings.append(f"扩展名为{path.suffix}，但内容实际是{fmt}，已按{fmt}解析")
    _raw_labels(extracted)
    normalized = normalize_text(extracted.text)
    if not normalized:
        raise ParseError(f"{name}没有可提取的文字内容。请确认文件不是空白文档或纯图片后重新导入。")
    parsed = ParsedDocument(
        text=normalized, format=extracted.format, encoding=extracted.encoding, warnings=warnings
    )
    extract_metadata(parsed, extracted.hints)
    if extracted.ocr is not None:
        parsed.ocr = extracted.ocr.summary()
        parsed.warnings += extracted.ocr.warnings() + scan.doubtful_fields(parsed, extracted.ocr)
        if ocr is not None and ocr.searchable:
            _add_searchable_pdf(parsed, data, fmt, extracted.ocr)
    log.debug(
        "parsed path=%s format=%s chars=%d ms=%.1f",
        path,
        fmt,
        len(normalized),
        (time.perf_counter() - started) * 1000,
    )
    return parsed
