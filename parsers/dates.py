"""Dates as Chinese documents write them: `2023年5月22日`, `2019-10-22`, `二〇二三年五月二十二日`,
and the damaged `2019918` left when a web page lost 年月日.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_CN_DIGIT = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "Ｏ": 0,
    "O": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN = "〇○零Ｏ一二两三四五六七八九十"

# One alternation, usable inside larger patterns (no capturing groups of its own).
DATE_PATTERN = (
    r"(?:(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*[日号]"
    r"|(?:19|20)\d{2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}(?!\d)"
    rf"|[{_CN}]{{4}}\s*年\s*[{_CN}]{{1,2}}\s*月\s*[{_CN}]{{1,3}}\s*[日号])"
)
_NUMERIC = re.compile(r"((?:19|20)\d{2})\s*(?:年|[-/.])\s*(\d{1,2})\s*(?:月|[-/.])\s*(\d{1,2})")
_CHINESE = re.compile(rf"([{_CN}]{{4}})\s*年\s*([{_CN}]{{1,2}})\s*月\s*([{_CN}]{{1,3}})")
# Digits only, as left by a page that dropped 年月日: `2019918`, `20190918`, `201991`.
DAMAGED_RE = re.compile(r"(?:19|20)\d{4,6}")


def _cn_number(s: str) -> int:
    """Small Chinese numbers as used for months and days: 五, 十二, 二十二, 三十一."""
    if "十" not in s:
        return int("".join(str(_CN_DIGIT[c]) for c in s))
    tens, _, ones = s.partition("十")
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)


def _make(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date(value: str) -> date | None:
    """The first well-formed date in `value`, or None."""
    m = _NUMERIC.search(value)
    if m:
        return _make(int(m[1]), int(m[2]), int(m[3]))
    m = _CHINESE.search(value)
    if m:
        try:
            year = int("".join(str(_CN_DIGIT[c]) for c in m[1]))
            return _make(year, _cn_number(m[2]), _cn_number(m[3]))
        except (KeyError, ValueError):
            return None
    return None


def repair_damaged(digits: str) -> tuple[date | None, list[date]]:
    """Read `2019918` as a date. Returns (the date if exactly one reading is valid, all readings).

    Month and day each have one or two digits, so `2019918` can only be 2019-09-18, while
    `2019111` could be 01-11 or 11-01: ambiguous, the caller must not guess.
    """
    if not digits.isdigit() or not 6 <= len(digits) <= 8:
        return None, []
    year, rest = int(digits[:4]), digits[4:]
    readings = []
    for cut in (1, 2):
        month, day = rest[:cut], rest[cut:]
        if 1 <= len(day) <= 2 and not (len(day) == 2 and day[0] == "0" and len(rest) < 4):
            d = _make(year, int(month), int(day))
            if d and d not in readings:
                readings.append(d)
    return (readings[0] if len(readings) == 1 else None), readings


def add_years(start: date, years: int) -> date:
    """The last day of a period of `years` years starting on `start` (有效期N年)."""
    try:
        end = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + years, day=28) + timedelta(days=1)
    return end - timedelta(days=1)
