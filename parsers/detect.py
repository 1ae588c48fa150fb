"""Which parser a file needs, decided by its bytes; the extension is only a hint.

Files from government sites are often misnamed: "Word" downloads that are HTML, .txt files that
are PDFs. Trusting the extension would feed binary data to a text decoder or HTML to antiword.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

SUPPORTED = frozenset({"txt", "md", "docx", "pdf", "html", "doc", "image"})
# Recognised but not parsed, with what the user should do instead.
UNSUPPORTED = {
    "xlsx": "Excel表格（xlsx）不是公文格式，请导出为docx或pdf",
    "pptx": "PowerPoint演示文稿（pptx）不受支持，请导出为pdf",
    "odt": "OpenDocument文本（odt）暂不支持，请另存为docx",
    "ofd": "OFD版式文件暂不支持，请用OFD阅读器转换为PDF",
    "epub": "电子书（epub）不受支持",
    "zip": "压缩包不受支持，请解压后导入其中的文件",
    "rtf": "RTF文件暂不支持，请用Word另存为docx",
    "archive": "压缩包不受支持，请解压后导入其中的文件",
}
_HTML_EXTS = {".html", ".htm", ".shtml", ".xhtml"}
_MD_EXTS = {".md", ".markdown"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_ARCHIVES = (b"Rar!", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b")
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title")
_SNIFF = 8192


def _zip_kind(data: bytes | None, path: Path) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data) if data is not None else path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "docx"  # a damaged zip: let the docx parser say what is wrong with it
    if "word/document.xml" in names:
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    if any(n.startswith("ppt/") for n in names):
        return "pptx"
    if "OFD.xml" in names or "ofd.xml" in names:
        return "ofd"
    if "content.xml" in names and "mimetype" in names:
        return "odt"
    if "META-INF/container.xml" in names:
        return "epub"
    if "[Content_Types].xml" in names:
        return "docx"  # OOXML without a Word body: the docx parser reports it
    return "zip"


def _looks_html(head: bytes, ext: str) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(_HTML_STARTS):
        return True
    if start.startswith((b"<?xml", b"<!--")) and b"<html" in start[:2048]:
        return True
    return ext in _HTML_EXTS and start.startswith(b"<")


def detect_format(path: Path, data: bytes | None = None) -> str:
    """The real type of the file at `path` (or of `data`, its content): one of SUPPORTED, or a
    key of UNSUPPORTED. Zero-byte and size checks are the caller's."""
    path = Path(path)
    if data is None:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF)
    else:
        head = data[:_SNIFF]
    ext = path.suffix.lower()
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _zip_kind(data, path)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(_OLE):
        return "doc"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(_IMAGES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head.startswith(_ARCHIVES):
        return "archive"
    if _looks_html(head, ext):
        return "html"
    return "md" if ext in _MD_EXTS else "txt"
