"""Strict readers for the numbers, ids and dates people type into addresses and forms.

`str.isdigit` says yes to "²" and "٣" and `int()` then fails or accepts them, and a whole number
past 2^63 overflows the database's integer columns; a date in year 9999 overflows the first
`+ timedelta`. These readers accept only ASCII digits and ISO dates inside the range the rest of
the code can compute with, and answer None otherwise, so each caller can say what it expected.
"""

from __future__ import annotations

import re
from datetime import date

# The largest value of a signed 64-bit integer column (SQLite INTEGER, PostgreSQL BIGINT).
MAX_ID = 2**63 - 1
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_whole(raw: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """`raw` as an int if it is ASCII digits only (no sign, no spaces) and within [low, high]."""
    if raw is None or not _ASCII_DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def parse_id(raw: str | None) -> int | None:
    """A database id: a whole number from 1 to MAX_ID, else None."""
    return parse_whole(raw, 1, MAX_ID)


def parse_day(raw: str | None) -> date | None:
    """`raw` as a date if it is YYYY-MM-DD between FIRST_DAY and LAST_DAY, else None."""
    if raw is None or not _ISO_DAY.fullmatch(raw):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None
