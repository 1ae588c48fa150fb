"""Matching document titles as people write them in spreadsheets and in 同时废止 clauses.

The same title arrives with 《》 or without, full- or half-width, traditional or simplified, with
二〇一九 for 2019 and stray spaces; matching folds all of that away and then compares fuzzily, but
never across different years or numbers, which in titles name different documents.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc
from rapidfuzz import fuzz, process

_CN_DIGITS = str.maketrans("〇零○一二三四五六七八九", "000123456789")
_CN_YEAR = re.compile(r"[〇零○0一二三四五六七八九]{4}(?=年|$|[^〇零○一二三四五六七八九十百千])")
_NOT_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")

# A fuzzy match must score at least this (rapidfuzz ratio, 0-100) to count at all ...
FUZZY_CUTOFF = 88.0
# ... and runners-up within this many points of the best make the match ambiguous.
AMBIGUITY_MARGIN = 3.0


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _year_to_digits(m: re.Match[str]) -> str:
    return m.group(0).translate(_CN_DIGITS)


@lru_cache(maxsize=200_000)
def normalize_title(value: str | None) -> str:
    """Comparable form of a title: simplified, half-width, Arabic years, no punctuation or spaces."""
    if not value:
        return ""
    s = unicodedata.normalize("NFKC", value)
    s = _t2s().convert(s)
    s = _CN_YEAR.sub(_year_to_digits, s)
    return _NOT_WORD.sub("", s).lower()


def digits_signature(normalized: str) -> tuple[str, ...]:
    """The numbers in a title (years, 第N批); two titles with different numbers never match."""
    return tuple(_DIGITS.findall(normalized))


# A title without its issuer prefix must keep at least this many characters to count as a key.
MIN_STRIPPED = 6


def title_keys(title: str | None, issuer: str | None = None) -> set[str]:
    """The normalised title, and the same without a leading issuer name: web pages often print
    "宣汉县人民政府办公室关于…的通知" where a cleanup list or a 同时废止 clause says "关于…的通知"."""
    norm = normalize_title(title)
    keys = {norm} if norm else set()
    prefix = normalize_title(issuer)
    if prefix and norm.startswith(prefix) and len(norm) - len(prefix) >= MIN_STRIPPED:
        keys.add(norm[len(prefix) :])
    return keys


@dataclass(frozen=True)
class TitleHit:
    key: object  # whatever the caller indexed the title under (a document id)
    score: float


class TitleMatcher:
    """An in-memory index of normalised title keys, built once per preview for speed."""

    def __init__(self, entries: dict[object, set[str]]) -> None:
        pairs = [(key, norm) for key, norms in entries.items() for norm in sorted(norms)]
        self.keys = [k for k, _ in pairs]
        self.norms = [n for _, n in pairs]
        self.signatures = [digits_signature(n) for n in self.norms]
        self.exact: dict[str, list[object]] = {}
        for key, norm in pairs:
            if key not in self.exact.setdefault(norm, []):
                self.exact[norm].append(key)

    def find(self, title: str, limit: int = 5) -> list[TitleHit]:
        """Exact (normalised) matches if any, else the close fuzzy ones, best first."""
        norm = normalize_title(title)
        if not norm:
            return []
        if norm in self.exact:
            return [TitleHit(k, 100.0) for k in self.exact[norm]]
        sig = digits_signature(norm)
        found = process.extract(
            norm, self.norms, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=limit * 3
        )
        best: dict[object, float] = {}
        for _, score, i in found:
            if self.signatures[i] == sig and score > best.get(self.keys[i], -1.0):
                best[self.keys[i]] = score
        hits = sorted((TitleHit(k, v) for k, v in best.items()), key=lambda h: -h.score)
        return hits[:limit]


def best_or_ambiguous(hits: list[TitleHit]) -> tuple[TitleHit | None, list[TitleHit]]:
    """(the single best hit, []) when it stands clear of the rest, else (None, the close ones)."""
    if not hits:
        return None, []
    top = hits[0].score
    close = [h for h in hits if top - h.score < AMBIGUITY_MARGIN]
    if len(close) == 1:
        return close[0], []
    return None, close
