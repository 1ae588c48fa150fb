"""What search reads about each segment of the Whoosh index, kept while the segment lives.

A segment's documents never change; a write adds a segment (a status change: one record) and
marks the replaced copy deleted in an old one, and deletions only grow. So what is known of the
unchanged segments stays true across generations: filter sets and bit sets need only the new
deletions taken out, and the first search after a write costs by the write, not by the corpus
(lawref x10: 1.5 s before).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from ..schema import FACET_FIELDS

_BITS_KEPT = 5000  # word bit sets kept per segment
_SEGMENTS_KEPT = 32  # segments whose facts are kept


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


class SegmentFacts:
    """What search reads about one segment: its columns, field lengths, filter sets and word
    bit sets."""

    def __init__(self, reader) -> None:
        n = reader.doc_count_all()

        def values(name: str) -> list:
            # Per segment: Whoosh's multi-segment column reader mis-numbers documents when a
            # segment has no value at all for the field (no column file written).
            if not reader.has_column(name):
                return [None] * n
            column = reader.column_reader(name)
            return [column[i] for i in range(n)]

        self.facet_values = {name: [_text(v) for v in values(name)] for name in FACET_FIELDS}
        self.title_key = [_text(v) for v in values("title_key")]
        self.sort_date = [int(v or 0) for v in values("sort_date")]
        self.lengths: dict[str, list[int]] = {}
        self.length_arrays: dict[str, np.ndarray] = {}
        self._facet_codes: dict[str, tuple[np.ndarray, list[str]]] = {}
        self.filters: dict[str, tuple[set[int], int]] = {}
        self.bits: dict[tuple[str, str], tuple[int, int]] = {}

    def facet_codes(self, name: str) -> tuple[np.ndarray, list[str]]:
        """A facet's values as small integers per document, and the value of each integer, so
        counting a facet over thousands of matches is one `numpy.bincount`."""
        found = self._facet_codes.get(name)
        if found is None:
            labels, codes = np.unique(
                np.asarray(self.facet_values[name], dtype=object), return_inverse=True
            )
            found = self._facet_codes[name] = (codes.astype(np.int32), [str(v) for v in labels])
        return found

    def bits_of(self, reader, fieldname: str, word: str) -> int:
        """The segment's live records holding the word, as a bit set."""
        key = (fieldname, word)
        deleted = reader.deleted_docs_set
        found = self.bits.get(key)
        if found is None:
            bits = 0
            if key in reader:
                for d in reader.postings(fieldname, word).all_ids():
                    bits |= 1 << d
            if len(self.bits) >= _BITS_KEPT:
                self.bits.pop(next(iter(self.bits)))
        elif found[1] != len(deleted):  # deletions since: they only ever grow
            bits = found[0]
            for d in deleted:
                bits &= ~(1 << d)
        else:
            return found[0]
        self.bits[key] = (bits, len(deleted))
        return bits


_segments: OrderedDict[str, SegmentFacts] = OrderedDict()
_segments_lock = threading.Lock()


def segment_facts(reader) -> SegmentFacts | None:
    """The facts of a segment reader (None for anything else), made on first use; the least
    recently used are dropped beyond _SEGMENTS_KEPT (a live index has a handful)."""
    segment = getattr(reader, "segment", lambda: None)()
    if segment is None:
        return None
    key = segment.segment_id()
    with _segments_lock:
        facts = _segments.get(key)
        if facts is not None:
            _segments.move_to_end(key)
            return facts
    facts = SegmentFacts(reader)
    with _segments_lock:
        facts = _segments.setdefault(key, facts)
        while len(_segments) > _SEGMENTS_KEPT:
            _segments.popitem(last=False)
    return facts


def deleted_docs(reader) -> frozenset[int] | set[int]:
    """A reader's deleted documents (an empty index's reader has no such set)."""
    return reader.deleted_docs_set if reader.has_deletions() else frozenset()


def field_lengths(reader, fieldname: str) -> list[int]:
    """Each document's length in a field, for BM25F: one list per segment instead of a column
    lookup per posting (a third of the cost of scoring in Whoosh's own scorer)."""
    facts = segment_facts(reader)
    cache: dict = facts.lengths if facts else reader.__dict__.setdefault("_policylib_lengths", {})
    lengths = cache.get(fieldname)
    if lengths is None:
        lengths = cache[fieldname] = [
            reader.doc_field_length(d, fieldname, 1) for d in range(reader.doc_count_all())
        ]
    return lengths


def field_lengths_array(reader, fieldname: str) -> np.ndarray:
    """`field_lengths` as an array, for scoring many postings at once (`whoosh_scores`)."""
    facts = segment_facts(reader)
    cache: dict = facts.length_arrays if facts else {}
    found = cache.get(fieldname)
    if found is None:
        found = cache[fieldname] = np.asarray(field_lengths(reader, fieldname), dtype=np.float64)
    return found
