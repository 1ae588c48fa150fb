"""Every match of a query and its BM25F score, as arrays over the searcher's documents.

Whoosh finds the best hits by walking every matching posting in Python, one document at a time:
for a broad question on a province-sized library ("想向政府申请公开一些信息", ~15,000 matches in
34,000 documents) that walk was 90 % of a search (300 ms). A search here needs every match anyway
(the total and the facet counts are exact), so the walk is done with arrays: each word's postings
are read once per segment and kept (`_postings`), and a query's scores are the BM25F sums Whoosh
computes (`whoosh.scoring.bm25`, operation for operation), added with numpy. Words, all-of-words
and exact phrases in scored fields go this way; anything else (a title key, a 文号: short by
nature) is scored by Whoosh's own matchers.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
from whoosh.query import And, AndMaybe, Or, Query, Term
from whoosh.searching import Searcher

from .whoosh_phrase import ExactPhrase
from .whoosh_segment_facts import deleted_docs, field_lengths_array

_POSTINGS_BYTES = 96 * 1024 * 1024  # postings kept per process, least recently used dropped

Scored = tuple[np.ndarray, np.ndarray]  # document numbers (sorted) and their scores


class Matches:
    """Which documents a query matches (`mask`) and their scores, indexed by document number."""

    def __init__(self, size: int) -> None:
        self.mask = np.zeros(size, dtype=bool)
        self.scores = np.zeros(size, dtype=np.float64)


def score_all(searcher: Searcher, query: Query) -> Matches:
    """Every document `query` matches in `searcher`, with the score Whoosh would give it with
    the searcher's weighting (BM25F)."""
    weighting = searcher.weighting
    size = searcher.doc_count_all()
    if isinstance(query, Or) and query.matcher_type == Or.ARRAY_MATCHER and query.boost == 1.0:
        return _union(searcher, query.subqueries, weighting, size)
    if isinstance(query, AndMaybe):
        required = _by_matcher(searcher, query.a, size)
        optional = score_all(searcher, query.b)
        # a document the optional part also matches gets both scores, as AndMaybeMatcher adds them
        both = required.mask & optional.mask
        required.scores[both] += optional.scores[both]
        return required
    return _by_matcher(searcher, query, size)


def _union(searcher: Searcher, parts: list[Query], weighting, size: int) -> Matches:
    """An array-scored Or: each part's scores added in order; a document with a positive sum
    matches (Whoosh's ArrayUnionMatcher counts exactly those)."""
    out = Matches(size)
    for part in parts:
        if not _vectorisable(searcher, part):
            found = _by_matcher(searcher, part, size)
            out.scores[found.mask] += found.scores[found.mask]
            continue
        for sub, offset in searcher.leaf_searchers():
            scored = _leaf_scores(searcher, sub.reader(), part, weighting)
            if scored is not None:
                out.scores[scored[0] + offset] += scored[1]
    out.scores[~live_mask(searcher)] = 0.0
    out.mask = out.scores > 0
    return out


def live_mask(searcher: Searcher) -> np.ndarray:
    """Every document not deleted, as a mask, once per searcher."""
    mask = searcher.__dict__.get("_policylib_live")
    if mask is None:
        mask = np.ones(searcher.doc_count_all(), dtype=bool)
        for sub, offset in searcher.leaf_searchers():
            deleted = deleted_docs(sub.reader())
            mask[np.fromiter(deleted, dtype=np.int64, count=len(deleted)) + offset] = False
        searcher.__dict__["_policylib_live"] = mask
    return mask


def _vectorisable(searcher: Searcher, query: Query) -> bool:
    """A word, all of several words (And), or an exact phrase, in a BM25F-scored field."""
    if type(query) is And:
        return query.boost == 1.0 and all(
            type(q) is Term and _vectorisable(searcher, q) for q in query.subqueries
        )
    if type(query) is Term:
        return _scored(searcher, query.fieldname) and not query.minquality
    if type(query) is ExactPhrase:
        return _scored(searcher, query.fieldname) and bool(query.words)
    return False


def _scored(searcher: Searcher, fieldname: str) -> bool:
    return fieldname in searcher.schema and searcher.schema[fieldname].scorable


def _leaf_scores(searcher: Searcher, reader, query: Query, weighting) -> Scored | None:
    """The documents of one segment a vectorisable part matches (deleted ones included; the
    caller takes them out once) and their scores, or None if it matches none there."""
    if type(query) is Term:
        found = _term(searcher, reader, query.fieldname, query.text, weighting)
    else:
        if type(query) is And:
            words = [(q.fieldname, q.text) for q in query.subqueries]
        else:
            words = [(query.fieldname, w) for w, _ in query.words]
        found = _all_words(searcher, reader, words, weighting, query)
    if found is None or not len(found[0]):
        return None
    boost = getattr(query, "boost", 1.0)
    return (found[0], found[1] * boost) if boost != 1.0 else found


def _all_words(
    searcher: Searcher, reader, words: list[tuple[str, str]], weighting, query: Query
) -> Scored | None:
    """Documents holding every word (for a phrase: at its offsets), scored by the sum of the
    words' scores, added as Whoosh's binary tree of intersections adds them."""
    per_word = [_term(searcher, reader, f, w, weighting) for f, w in words]
    if any(p is None for p in per_word):
        return None
    ids = functools.reduce(_common, [p[0] for p in per_word])
    at = [np.searchsorted(p[0], ids) for p in per_word]
    if type(query) is ExactPhrase:
        keep = _in_order(reader, query, at)
        ids, at = ids[keep], [a[keep] for a in at]
    return ids, _tree_sum([p[1][a] for p, a in zip(per_word, at, strict=True)])


def _common(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.intersect1d(a, b, assume_unique=True)  # a word's postings name a document once


def _tree_sum(parts: list[np.ndarray]) -> np.ndarray:
    """Sum as `whoosh.util.make_binary_tree` pairs them: each half first, then the two added."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])


def _in_order(reader, phrase: ExactPhrase, at: list[np.ndarray]) -> np.ndarray:
    """Which candidates (each word's posting index per candidate in `at`) hold the words at
    their offsets: `ExactPhrase`'s test, on positions read once per word and segment, as keys
    (candidate << 32 | position); each word's keys come out sorted."""
    base = phrase.words[0][1]
    found: np.ndarray | None = None
    for (word, offset), where in zip(phrase.words, at, strict=True):
        starts, positions = _positions(reader, phrase.fieldname, word)
        lengths = starts[where + 1] - starts[where]
        candidate = np.repeat(np.arange(len(where), dtype=np.int64), lengths)
        first = np.repeat(starts[where] - (np.cumsum(lengths) - lengths), lengths)
        pos = positions[first + np.arange(len(candidate))] - (offset - base)
        keys = (candidate << 32) | np.maximum(pos, 0)
        keys = keys[pos >= 0]  # a word too near the start to follow the first one
        found = keys if found is None else found[_sorted_in(found, keys)]
    keep = np.zeros(len(at[0]), dtype=bool)
    keep[found >> 32] = True
    return keep


def _sorted_in(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """`numpy.isin` for sorted keys, without the sort it would do."""
    if not len(sorted_keys):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return sorted_keys[at] == values


def _term(searcher: Searcher, reader, fieldname: str, word: str, weighting) -> Scored | None:
    """One word's documents in a segment and their BM25F scores, None if it is not there."""
    text = searcher.schema[fieldname].to_bytes(word)
    if (fieldname, text) not in reader:
        return None
    idf = searcher.idf(fieldname, text)
    avgfl = searcher.avg_field_length(fieldname) or 1
    b = weighting._field_B.get(fieldname, weighting.B)
    k1 = weighting.K1
    ids, tf = _postings(reader, fieldname, text)
    fl = field_lengths_array(reader, fieldname)[ids]
    # whoosh.scoring.bm25, operation for operation
    return ids, idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))


def _by_matcher(searcher: Searcher, query: Query, size: int) -> Matches:
    """Any query, scored by walking Whoosh's matcher (for parts that are short by nature)."""
    out = Matches(size)
    context = searcher.context()
    for sub, offset in searcher.leaf_searchers():
        matcher = query.matcher(sub, context)
        ids, scores = _walk(matcher, matcher.score)
        if ids:
            where = np.asarray(ids, dtype=np.int64) + offset
            out.mask[where] = True
            out.scores[where] = scores
    return out


_cache: OrderedDict[tuple, tuple] = OrderedDict()
_cache_bytes = 0
_cache_lock = threading.Lock()


def _postings(reader, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A word's document numbers and term frequencies in one segment."""
    return _kept(reader, fieldname, text, "weights")


def _positions(reader, fieldname: str, word: str) -> tuple[np.ndarray, np.ndarray]:
    """A word's positions in one segment, all postings' in one array: posting i's are
    `positions[starts[i]:starts[i + 1]]` (read only for phrases)."""
    return _kept(reader, fieldname, reader.schema[fieldname].to_bytes(word), "positions")


def _kept(reader, fieldname: str, text: bytes, what: str):
    """What `_read` gives, kept per segment: a segment's postings never change (deleted
    documents included), so they serve every index generation the segment lives in."""
    global _cache_bytes
    key = (reader.segment().segment_id(), fieldname, text, what)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found[0]
    value, size = _read(reader, fieldname, text, what)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = (value, size)
            _cache_bytes += size
        while _cache_bytes > _POSTINGS_BYTES and len(_cache) > 1:
            _, (_, dropped) = _cache.popitem(last=False)
            _cache_bytes -= dropped
    return value


def _read(reader, fieldname: str, text: bytes, what: str) -> tuple[object, int]:
    # The segment's own term reader, not reader.postings(): that one hides deleted documents,
    # which change with every write while the postings do not.
    matcher = reader._terms.matcher(fieldname, text, reader.schema[fieldname].format)
    if what == "positions":
        decode = reader.schema[fieldname].format.decode_positions
        counts: list[int] = [0]
        flat: list[int] = []
        while matcher.is_active():
            found = decode(matcher.value())
            flat += found
            counts.append(len(found))
            matcher.next()
        starts, positions = np.cumsum(counts, dtype=np.int64), np.asarray(flat, dtype=np.int64)
        return (starts, positions), starts.nbytes + positions.nbytes
    ids, weights = _walk(matcher, matcher.weight)
    found = np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)
    return found, found[0].nbytes + found[1].nbytes


def _walk(matcher, value: Callable[[], float]) -> tuple[list[int], list[float]]:
    """Every posting a matcher yields: its document number and `value()` there (the score or
    the weight)."""
    ids: list[int] = []
    values: list[float] = []
    while matcher.is_active():
        ids.append(matcher.id())
        values.append(value())
        matcher.next()
    return ids, values
