"""Snippets and highlighted titles: the reader's own text, escaped, matched words in <mark>.

Matches are found in the folded text and marked at the same offsets of the clean text, so a
simplified query highlights the traditional characters it matched. Everything else is escaped:
a `<script>` in a title or body is shown as text.
"""

from __future__ import annotations

from html import escape

from .analyzer import fold_clean, strip_litter

SNIPPET_CHARS = 160
SCAN_CHARS = 6_000  # a passage is looked for in the first part of a long law only (see schema)
_CONTEXT_BEFORE = 24
_MAX_MATCHES = 80  # enough to place a passage; a long law has thousands


def _one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").replace("\t", " ")


def _matches(folded: str, terms: set[str]) -> list[tuple[int, int, str]]:
    """Non-overlapping occurrences of the terms, in order, longer terms winning a tie.
    str.find per term beats one regex alternation of all terms on long Chinese texts."""
    found: list[tuple[int, int, str]] = []
    each = max(8, _MAX_MATCHES // max(len(terms), 1))  # every word gets its share of places
    for term in terms:
        size = len(term)
        i = folded.find(term) if size else -1
        room = each
        while i >= 0 and room:
            found.append((i, i + size, term))
            room -= 1
            i = folded.find(term, i + size)
    found.sort(key=lambda m: (m[0], -m[1]))
    out: list[tuple[int, int, str]] = []
    end = -1
    for m in found:
        if m[0] >= end:
            out.append(m)
            end = m[1]
    return out


def highlight(text: str, terms: set[str]) -> str:
    """The whole text, escaped, with every match marked (for titles)."""
    clean = _one_line(strip_litter(text))
    spans = [(s, e) for s, e, _ in _matches(fold_clean(clean), terms)]
    return _render(clean, spans, 0, len(clean), False)


def snippet(text: str, terms: set[str], size: int = SNIPPET_CHARS) -> str:
    """The passage of `size` characters holding the most distinct matched words, marked."""
    clean = _one_line(strip_litter(text[:SCAN_CHARS]))
    matches = _matches(fold_clean(clean), terms)
    if not matches:
        return _render(clean, [], 0, min(len(clean), size), len(text) > size)
    start = _best_window(matches, size)
    end = min(len(clean), start + size)
    start = max(0, min(start, end - size))
    spans = [(s, e) for s, e, _ in matches if s >= start and e <= end]
    return _render(clean, spans, start, end, len(text) > end)


def _best_window(matches: list[tuple[int, int, str]], size: int) -> int:
    """Start offset of the window with the most distinct words, then the most matches (one pass
    of a sliding window over the matches)."""
    span = size - _CONTEXT_BEFORE
    counts: dict[str, int] = {}
    best, best_start = (0, 0), 0
    j, n = 0, len(matches)
    for i, (start, _, _) in enumerate(matches):
        while j < n and matches[j][1] <= start + span:
            word = matches[j][2]
            counts[word] = counts.get(word, 0) + 1
            j += 1
        score = (len(counts), j - i)
        if score > best:
            best, best_start = score, start
        word = matches[i][2]
        counts[word] -= 1
        if not counts[word]:
            del counts[word]
    return max(0, best_start - _CONTEXT_BEFORE)


def _render(clean: str, spans: list[tuple[int, int]], start: int, end: int, more: bool) -> str:
    out = ["…"] if start > 0 else []
    pos = start
    for s, e in spans:
        if s < pos:
            continue
        out.append(escape(clean[pos:s]))
        out.append("<mark>" + escape(clean[s:e]) + "</mark>")
        pos = e
    out.append(escape(clean[pos:end]))
    if more:
        out.append("…")
    return "".join(out)
