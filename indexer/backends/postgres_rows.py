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

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cached_property

from ..analyzer import Analyzer, fold
from ..query import synonym_phrases
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
# The lexeme of a marked synonym phrase (`PhraseMarks`) is this sign and the synonym: a word of the
# text never starts with it (the segmenter splits a symbol from the characters after it).
PHRASE_MARK = "\u2042"

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


@dataclass(frozen=True)
class PhraseMarks:
    """The synonyms of several words (`query.synonym_phrases`) that the rows of one generation
    carry as one lexeme more wherever the phrase occurs (its words at their offsets).

    A query then finds such a synonym through the GIN index like any word, instead of reading
    the positions in the long body vector of every row that holds its words (提起 诉讼 in ten
    thousand laws). Fixed per generation, stored with it: a synonym added to synonyms.txt later
    is not marked in rows already written, so the search looks for it by positions (slower, as
    exact) until `policylib reindex --full` builds a generation that marks it."""

    phrases: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, analyzer: Analyzer) -> PhraseMarks:
        return cls(synonym_phrases(analyzer))

    @classmethod
    def from_json(cls, text: str | None) -> PhraseMarks:
        """From the generations table; None (a generation built before marks) marks nothing."""
        data = json.loads(text) if text else {}
        return cls({alt: tuple((w, int(o)) for w, o in words) for alt, words in data.items()})

    def to_json(self) -> str:
        return json.dumps(self.phrases, ensure_ascii=False, sort_keys=True)

    def marker(self, alt: str, words: list[tuple[str, int]]) -> str | None:
        """The lexeme marking `alt` in these rows, or None when they do not mark it (or marked
        it as other words: the dictionary has changed since)."""
        if self.phrases.get(alt) != tuple(words):
            return None
        return PHRASE_MARK + alt

    def covers(self, other: PhraseMarks) -> bool:
        """Whether rows with these marks mark every phrase `other` asks for (as the same words):
        if not, a rebuild would make the new synonyms fast (`info()["dictionary_changed"]`)."""
        return all(self.phrases.get(alt) == words for alt, words in other.phrases.items())

    def found(self, tokens: list[tuple[str, int, int]]) -> dict[str, list[int]]:
        """{marker lexeme: start offsets} of the marked phrases among a field's tokens."""
        if not self.phrases:
            return {}
        wanted = self._words
        at = {(w, start) for w, start, _ in tokens if w in wanted}
        out: dict[str, list[int]] = {}
        for w, start in at:
            for marker, rest in self._by_first.get(w, ()):
                if all((x, start + o) in at for x, o in rest):
                    out.setdefault(marker, []).append(start)
        return {m: sorted(starts) for m, starts in out.items()}

    @cached_property
    def _words(self) -> frozenset[str]:
        return frozenset(w for words in self.phrases.values() for w, _ in words)

    @cached_property
    def _by_first(self) -> dict[str, list[tuple[str, tuple[tuple[str, int], ...]]]]:
        """The phrases by their first word: (marker, the other words at their offsets)."""
        out: dict[str, list] = {}
        for alt, words in self.phrases.items():
            out.setdefault(words[0][0], []).append((PHRASE_MARK + alt, words[1:]))
        return out


def quote_lexeme(word: str) -> str:
    """A lexeme as tsvector/tsquery input: quoted, quotes doubled, backslashes escaped."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _add(
    found: dict[str, list[str]],
    analyzer: Analyzer,
    folded: str,
    offset: int,
    weight: str,
    marks: PhraseMarks | None = None,
) -> int:
    """Add the words of one folded field at `offset` (and the `marks` of the phrases it holds);
    returns how many words it had."""
    tokens = analyzer.tokens_of_folded(folded)
    words = [(w, s) for w, s, _ in tokens if len(w) <= MAX_LEXEME_CHARS]
    if marks is not None:
        words += [(m, s) for m, starts in marks.found(tokens).items() for s in starts]
    for word, start in words:
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


def to_row(record: IndexRecord, analyzer: Analyzer, marks: PhraseMarks) -> tuple:
    """The row of `record`, values in COLUMNS order (dates as dates, vectors as literals), with
    the synonym phrases its generation marks (`marks`) in titles and bodies."""
    title = fold(_text(record.title))
    alt = fold(_text("\n".join(record.extra_terms)))
    body = fold(_text(record.body))
    head: dict[str, list[str]] = {}
    title_words = _add(head, analyzer, title, 0, "A", marks)
    title_words += _add(head, analyzer, alt, len(title) + 1, "A", marks)
    _add(head, analyzer, fold(_text(record.doc_number)), 0, "B")
    _add(head, analyzer, fold(_text(record.issuer)), 0, "B")
    body_found: dict[str, list[str]] = {}
    words = _add(body_found, analyzer, body, 0, "C", marks)
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
