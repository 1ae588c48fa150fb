"""Plain text (.txt) and Markdown (.md): the encoding is detected, never assumed.

Government text files come as UTF-8, UTF-8 with BOM, or GB18030/GBK (Windows Chinese). Strict
UTF-8 decoding is tried first because valid non-ASCII UTF-8 is almost never anything else; other
bytes go to charset-normalizer, restricted first to the encodings Chinese files actually use.
Binary data under a text extension is refused rather than turned into mojibake.
"""

from __future__ import annotations

import re

import charset_normalizer

from .extracted import Extracted, Hints
from .model import ParseError

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_CHINESE_ENCODINGS = ["gb18030", "big5", "utf_16", "utf_32"]
_CONTROL = bytes(range(0, 9)) + bytes(range(14, 32))
_CONTROL_TABLE = bytes.maketrans(b"", b"")
_MAX_CHAOS = 0.3
_SAMPLE = 65536

_MD_HEADING = re.compile(r"^#{1,6}[ \t]+", re.MULTILINE)
_MD_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_INFO_END = "<!-- INFO END -->"


def _looks_binary(data: bytes) -> bool:
    sample = data[:_SAMPLE]
    controls = len(sample) - len(sample.translate(_CONTROL_TABLE, _CONTROL))
    return b"\x00" in sample or controls > max(2, len(sample) // 100)


def decode(data: bytes, name: str = "文件") -> tuple[str, str, list[str]]:
    """(text, encoding, warnings). Raises ParseError for binary data or an unknown encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding, []
            except UnicodeDecodeError as exc:
                raise ParseError(
                    f"{name}以{encoding}字节序标记开头，但内容无法按该编码解码（{exc.reason}）。"
                    "请用文本编辑器另存为UTF-8后重新导入。"
                ) from exc
    if _looks_binary(data):
        raise ParseError(
            f"{name}不是文本文件（含有二进制数据）。请确认文件没有损坏、扩展名正确，"
            "或把原始文档（docx/pdf/html）直接导入。"
        )
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    # UTF-8 with a few damaged bytes (a truncated copy, one bad sector) stays UTF-8: reading it as
    # GB18030 would turn every character into nonsense. Real GB text fails UTF-8 everywhere.
    lossy = data.decode("utf-8", errors="replace")
    damaged = lossy.count("\ufffd")
    if damaged <= max(3, len(lossy) // 2000) and len(lossy) < len(data) * 0.8:
        return lossy, "utf-8", [f"{damaged}处字节不是有效的UTF-8，已替换为“\ufffd”，请核对原文"]
    best = charset_normalizer.from_bytes(data, cp_isolation=_CHINESE_ENCODINGS).best()
    if best is None or best.chaos > _MAX_CHAOS:
        best = charset_normalizer.from_bytes(data).best()
    if best is None or best.chaos > _MAX_CHAOS:
        raise ParseError(
            f"无法识别{name}的文字编码（不是UTF-8，也不像GB18030/GBK/Big5文本）。"
            "请用文本编辑器另存为UTF-8后重新导入。"
        )
    encoding = best.encoding
    if encoding in ("gb2312", "gbk"):
        encoding = "gb18030"  # superset: never lose a rare character to the narrower table
    return data.decode(encoding, errors="strict"), encoding, []


def _markdown(text: str) -> tuple[str, Hints]:
    """Strip Markdown markup that is not content; read the lawref header (`# title`, promulgation
    lines, `<!-- INFO END -->`)."""
    hints = Hints()
    text = _FRONT_MATTER.sub("", text.replace("\r\n", "\n"), count=1)
    head, sep, _ = text.partition(_INFO_END)
    if sep and head.count("\n") < 80:
        header = [x.strip() for x in head.split("\n") if x.strip()]
        if header and header[0].startswith("# "):
            hints.title = header[0][2:].strip()
            hints.promulgation = [x for x in header[1:] if not x.startswith("#")]
    else:
        for line in text[:4000].split("\n"):
            if line.strip():
                if line.startswith("# "):
                    hints.title = line[2:].strip()
                break
    text = _MD_COMMENT.sub("", text)
    return _MD_HEADING.sub("", text), hints


def extract(data: bytes, fmt: str, name: str = "文件") -> Extracted:
    text, encoding, warnings = decode(data, name)
    hints = Hints()
    if fmt == "md":
        text, hints = _markdown(text)
    return Extracted(text=text, format=fmt, hints=hints, warnings=warnings, encoding=encoding)
