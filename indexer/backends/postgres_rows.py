"""An `IndexRecord` as one row of the PostgreSQL search table: the same folding and jieba words
as the Whoosh index, written as `tsvector` literals.

The lexemes are the analyzer's tokens verbatim, which is what PostgreSQL's 'simple' configuration
would keep (no stemming, no stop words); building the literal here instead of calling
`to_tsvector('simple', ...)` keeps PostgreSQL's own parser from re-splitting what jieba decided
(c++, 3.5, mixed scripts) and saves its CPU on the database server.

Two vectors per record: `head_tsv` (title and similar questions weighted A, 文号 and issuer B) and
`body_tsv` (the text, C), with the word counts of the A part and of the body for BM25's length
normalisation. Kept apart so each has its own document frequencies and length normalisation, as
BM25F does with fields; and a search reads the small head vector of many rows without unpacking
their long bodies.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from ..analyzer import Analyzer, fold
from ..records import IndexRecord
from ..schema import STORED_BODY_CHARS, sort_date, title_key

# tsvector limits: positions 1..16383, at most 256 per lexeme, lexemes under 2 kB. Ranking reads
# a word's frequency back from ts_rank over its positions, so every position PostgreSQL can hold
# is kept: with only the first few, a long law that keeps returning to its subject ranked like
# one that mentions it in passing, and a synonym made of common words (餐饮 服务) was not found
# past their first occurrences. The lawref vectors grow by 6 %.
MAX_POSITION = 16383
POSITIONS_KEPT = 256
MAX_LEXEME_CHARS = 200

COLUMNS = (
    "id",
    "kind",
    "status",
    "title",
    "title_key",
    "doc_number",
    "doc_number_norm",
    "issuer",
    "year",
    "level",
    "topic",
    "source_file",
    "signed_date",
    "published_date",
    "effective_date",
    "sort_date",
    "related",
    "body_head",
    "title_words",
    "body_words",
    "folded",
    "head_tsv",
    "body_tsv",
)


def quote_lexeme(word: str) -> str:
    """A lexeme as tsvector/tsquery input: quoted, quotes doubled, backslashes escaped."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _add(
    found: dict[str, list[str]], analyzer: Analyzer, folded: str, offset: int, weight: str
) -> int:
    """Add the words of one folded field at `offset`; returns how many words it had."""
    tokens = analyzer.tokens_of_folded(folded)
    for word, start, _end in tokens:
        if len(word) > MAX_LEXEME_CHARS:
            continue
        positions = found.get(word)
        if positions is None:
            positions = found[word] = []
        if len(positions) < POSITIONS_KEPT:
            positions.append(f"{min(offset + start + 1, MAX_POSITION)}{weight}")
    return len(tokens)


def _literal(found: dict[str, list[str]]) -> str:
    return " ".join(f"{quote_lexeme(w)}:{','.join(p)}" for w, p in found.items())


def _text(value: str | None) -> str:
    """PostgreSQL text cannot hold NUL; a space keeps offsets in the folded text honest."""
    return (value or "").replace("\x00", " ")


def to_row(record: IndexRecord, analyzer: Analyzer) -> tuple:
    """The row of `record`, values in COLUMNS order (dates as dates, vectors as literals)."""
    title = fold(_text(record.title))
    alt = fold(_text("\n".join(record.extra_terms)))
    body = fold(_text(record.body))
    head: dict[str, list[str]] = {}
    title_words = _add(head, analyzer, title, 0, "A")
    title_words += _add(head, analyzer, alt, len(title) + 1, "A")
    _add(head, analyzer, fold(_text(record.doc_number)), 0, "B")
    _add(head, analyzer, fold(_text(record.issuer)), 0, "B")
    body_found: dict[str, list[str]] = {}
    words = _add(body_found, analyzer, body, 0, "C")
    when = sort_date(record)
    return (
        record.id,
        record.kind,
        record.status,
        _text(record.title),
        title_key(_text(record.title)),
        _text(record.doc_number) or None,
        _text(record.doc_number_norm) or None,
        _text(record.issuer) or None,
        str(when.year) if when else None,
        _text(record.level) or None,
        _text(record.topic) or None,
        _text(record.source_file) or None,
        record.signed_date,
        record.published_date,
        record.effective_date,
        int(when.strftime("%Y%m%d")) if when else 0,
        [_text(r) for r in record.related],
        _text(record.body)[:STORED_BODY_CHARS],
        title_words,
        words,
        "\n".join((title, alt, body)),
        _literal(head),
        _literal(body_found),
    )


def record_to_json(record: IndexRecord) -> dict:
    """A record as JSON for the rebuild journal (dates as ISO strings)."""
    out = asdict(record)
    for key in ("signed_date", "published_date", "effective_date"):
        if out[key] is not None:
            out[key] = out[key].isoformat()
    return out


def record_from_json(data: dict) -> IndexRecord:
    data = dict(data)
    for key in ("signed_date", "published_date", "effective_date"):
        if data.get(key):
            data[key] = date.fromisoformat(data[key])
    return IndexRecord(**data)
