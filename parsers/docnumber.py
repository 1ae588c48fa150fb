"""文号 (document numbers): find them in text and normalise them for matching.

The year bracket appears as 〔〕, [], (), （）, 【】, ［］ or ﹝﹞ in the wild; matching ignores the
style, display keeps what was written.
"""

from __future__ import annotations

import re

_OPEN = "〔[(（【［﹝"
_CLOSE = "〕])）】］﹞"
_BRACKETS = str.maketrans({c: "〔" for c in _OPEN} | {c: "〕" for c in _CLOSE})

# Words that run into a 机关代字 in prose (`和中办发〔2016〕8号`, `根据宣府办〔2023〕41号`) but never
# belong to one. Multi-character words may not occur in the prefix at all; single characters only
# may not start it (they do occur inside real ones). A prefix starts after a non-CJK character or
# right after one of these words.
_LEAD_MULTI = (
    "关于|關于|關於|印发|印發|转发|轉發|根据|根據|按照|依照|依据|依據|参照|參照|对照|對照|遵照|结合|結合|"
    "落实|落實|贯彻|貫徹|执行|執行|以及|详见|詳見|现将|現將|文件|通知|意见|意見|同时|同時"
)
_LEAD_SINGLE = "和与與及见見即的了等对對在于於是为為由将將原或"
_CJK = "\u4e00-\u9fff"
_START = (
    "(?:(?<!["
    + _CJK
    + "])|"
    + "|".join(f"(?<={w})" for w in [*_LEAD_MULTI.split("|"), *_LEAD_SINGLE])
    + ")"
)
# 机关代字 (1-12 CJK chars, may include 发/字/函), bracketed 4-digit year, 序号, 号 (or 號).
DOC_NUMBER_RE = re.compile(
    _START
    + r"(?P<prefix>(?!["
    + _LEAD_SINGLE
    + r"])(?:(?!"
    + _LEAD_MULTI
    + r")["
    + _CJK
    + r"]){1,12})"
    + r"\s*["
    + re.escape(_OPEN)
    + r"]\s*(?P<year>(?:19|20)\d{2})\s*["
    + re.escape(_CLOSE)
    + r"]\s*第?\s*(?P<seq>\d{1,5})\s*[号號]"
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


# 部门令 / 政府令: `财政部令第99号`, `中华人民共和国财政部令（第115号）`, `XX市人民政府令 第3号`.
ORDER_NUMBER_RE = re.compile(
    r"(?:中华人民共和国)?(?P<org>["
    + _CJK
    + r"]{1,20}?令)\s*[（(]?\s*第\s*(?P<seq>\d{1,5})\s*号\s*[）)]?"
)


def order_number(value: str) -> str | None:
    """`中华人民共和国财政部令（第115号）` -> `财政部令第115号`, the form a 令 is cited by."""
    m = ORDER_NUMBER_RE.search(re.sub(r"\s+", "", value or ""))
    return f"{m['org']}第{m['seq']}号" if m else None
