"""`ExactPhrase`: a Whoosh query for words at exact character offsets from each other.

Kept apart from the query plan (`query.py`): this is Whoosh matcher plumbing, the plan is what a
user asked for, which both backends read.
"""

from __future__ import annotations

from whoosh import matching
from whoosh.matching.binary import IntersectionMatcher
from whoosh.query import Query, Term
from whoosh.query.spans import SpanWrappingMatcher
from whoosh.util import make_binary_tree


class ExactPhrase(Query):
    """Matches when every word occurs at its exact character offset from the first word.

    Token positions in this index are character offsets, so this is an exact phrase test that also
    holds where the search-mode segmentation of the document overlaps or differs around the phrase.
    """

    def __init__(self, fieldname: str, words: list[tuple[str, int]], boost: float = 1.0) -> None:
        self.fieldname = fieldname
        self.words = words
        self.boost = boost

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExactPhrase) and (self.fieldname, self.words, self.boost) == (
            other.fieldname,
            other.words,
            other.boost,
        )

    def __hash__(self) -> int:
        return hash((self.fieldname, tuple(self.words), self.boost))

    def __repr__(self) -> str:
        return f"ExactPhrase({self.fieldname!r}, {self.words!r}, boost={self.boost})"

    def field(self) -> str:
        return self.fieldname

    def has_terms(self) -> bool:
        return True

    def terms(self, phrases: bool = False):
        if phrases:
            for word, _ in self.words:
                yield (self.fieldname, word)

    def estimate_size(self, ixreader) -> int:
        return min(ixreader.doc_frequency(self.fieldname, w) for w, _ in self.words)

    def matcher(self, searcher, context=None):
        reader = searcher.reader()
        if not self.words or any((self.fieldname, w) not in reader for w, _ in self.words):
            return matching.NullMatcher()
        ms = [Term(self.fieldname, w).matcher(searcher, context) for w, _ in self.words]
        m = _OffsetMatcher(ms, [off for _, off in self.words])
        return matching.WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


class _OffsetMatcher(SpanWrappingMatcher):
    def __init__(self, ms: list, offsets: list[int]) -> None:
        self.ms = ms
        self.offsets = offsets
        super().__init__(make_binary_tree(IntersectionMatcher, ms))

    def copy(self) -> _OffsetMatcher:
        return _OffsetMatcher([m.copy() for m in self.ms], self.offsets)

    def supports_block_quality(self) -> bool:
        return False  # quality skipping would step past the offset test

    def replace(self, minquality: float = 0):
        return self if self.is_active() else matching.NullMatcher()

    def _get_spans(self) -> list:
        from whoosh.query.spans import Span

        first = self.ms[0].value_as("positions")
        others = [
            (set(m.value_as("positions")), off - self.offsets[0])
            for m, off in zip(self.ms[1:], self.offsets[1:], strict=True)
        ]
        return [Span(p) for p in first if all(p + off in s for s, off in others)]
