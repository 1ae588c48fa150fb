"""文号 (document numbers): find them in text and normalise them for matching.

The year bracket appears as 〔〕, [], (), （）, 【】, ［］ or ﹝﹞ in the wild; matching ignores the
style, display keeps what was written.
"""

from __future__ import annotations

import re

_OPEN = "〔[(（【［﹝"
_CLOSE = "〕])）】］﹞"
_BRACKETS = str.maketrans({c: "〔" for c in _OPEN} | {c: "〕" for c in _CLOSE})

# 机关代字 (2-12 CJK chars, may include 发/字/函), bracketed 4-digit year, 序号, 号.
DOC_NUMBER_RE = re.compile(
    r"(?P<prefix>[\u4e00-\u9fff]{1,12})\s*[" + re.escape(_OPEN) + r"]\s*(?P<year>(?:19|20)\d{2})\s*["
    + re.escape(_CLOSE)
    + r"]\s*(?P<seq>\d{1,5})\s*号"
)


def normalize_doc_number(value: str) -> str:
    """Canonical form for matching: brackets folded to 〔〕, spaces dropped, leading zeros dropped."""
    s = re.sub(r"\s+", "", value or "").translate(_BRACKETS)
    m = DOC_NUMBER_RE.search(s)
    if not m:
        return s
    return f"{m['prefix']}〔{m['year']}〕{int(m['seq'])}号"


def find_doc_numbers(text: str) -> list[re.Match[str]]:
    """Every 文号-shaped match, in order. Which one is the document's own is the caller's decision."""
    return list(DOC_NUMBER_RE.finditer(text))


def looks_like_doc_number(value: str) -> bool:
    return DOC_NUMBER_RE.fullmatch(re.sub(r"\s+", "", value or "")) is not None
