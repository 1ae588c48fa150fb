"""Searching the Whoosh index: the query plan (`indexer.query`) as a Whoosh query, BM25F
scoring, visibility and facet filters, then the shared re-ranking (`indexer.ranking`) and
snippets (`indexer.snippets`).
"""

from __future__ import annotations

import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable

from whoosh import collectors, scoring, sorting
from whoosh.query import And, Every, Or, Query, Term
from whoosh.searching import Searcher

from ..analyzer import Analyzer
from ..interface import (
    DOCUMENT_KINDS,
    MAX_PER_PAGE,
    QA_CURRENT_STATUS,
    SearchHit,
    SearchQuery,
    SearchResults,
    is_current,
)
from ..query import QueryPlan, plan_query
from ..ranking import BODY_B, K1, RERANK_WINDOW, TITLE_B, Candidate, IdeaWeight, place_of, rerank
from ..records import CURRENT_STATUSES
from ..schema import FACET_FIELDS
from ..snippets import highlight, snippet
from .whoosh_query import build_query

_BITS_KEPT = 5000  # word bit sets kept per searcher and per segment
_SEGMENTS_KEPT = 32  # segments whose facts are kept (`_SegmentFacts`)


class Weighting(scoring.BM25F):
    """BM25F reading field lengths from a list kept per segment instead of a column lookup per
    posting (a third of the cost of scoring a query in Whoosh's own scorer)."""

    def scorer(self, searcher, fieldname, text, qf=1):
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(scorer, scoring.BM25FScorer):
            scorer.dfl = _field_lengths(searcher.reader(), fieldname).__getitem__
        return scorer


def _field_lengths(reader, fieldname: str) -> list[int]:
    facts = _segment_facts(reader)
    cache: dict = facts.lengths if facts else reader.__dict__.setdefault("_policylib_lengths", {})
    lengths = cache.get(fieldname)
    if lengths is None:
        lengths = cache[fieldname] = [
            reader.doc_field_length(d, fieldname, 1) for d in range(reader.doc_count_all())
        ]
    return lengths


# BM25F with the shared constants (`indexer.ranking`; the PostgreSQL backend scores with them too).
WEIGHTING = Weighting(B=0.75, K1=K1, title_B=TITLE_B, body_B=BODY_B)


def visibility_filter(request: SearchQuery) -> Query | None:
    """What may be shown at all: the caller's statuses, else current records only, unless all."""
    parts: list[Query] = []
    if request.statuses is not None:
        parts.append(_any_of("status", request.statuses))
    elif not request.include_all:
        documents = And([_any_of("kind", DOCUMENT_KINDS), _any_of("status", CURRENT_STATUSES)])
        qa = And([Term("kind", "qa"), Term("status", QA_CURRENT_STATUS)])
        parts.append(Or([documents, qa]))
    if request.kinds:
        parts.append(_any_of("kind", request.kinds))
    for name, values in (request.filters or {}).items():
        if name in FACET_FIELDS and values:
            parts.append(_any_of(name, [str(v) for v in values]))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def _no_facets() -> dict[str, list[tuple[str, int]]]:
    return {name: [] for name in FACET_FIELDS}


class _TopAndAll(collectors.TopCollector):
    """The top N by score, and the set of every match (for the total and the facet counts)
    gathered in the same pass; Whoosh's own collector would run the query a second time."""

    def _collect(self, global_docnum: int, score: float) -> float:
        self.docset.add(global_docnum)
        return super()._collect(global_docnum, score)


def _allowed_docs(searcher: Searcher, query: Query | None) -> set[int] | None:
    """The documents a filter allows, computed once per searcher (a searcher sees a fixed set of
    documents) instead of walking the filter's postings on every search; from the sets of each
    segment, which outlive the searcher (`_SegmentFacts`)."""
    if query is None:
        return None
    cache: dict = searcher.__dict__.setdefault("_policylib_filters", {})
    key = repr(query)
    if key not in cache:
        if len(cache) > 64:
            cache.clear()
        allowed: set[int] = set()
        for sub, offset in searcher.subsearchers or [(searcher, 0)]:
            docs = _segment_filter(sub, query, key)
            allowed.update(docs if not offset else (d + offset for d in docs))
        cache[key] = allowed
    return cache[key]


def _segment_filter(sub: Searcher, query: Query, key: str) -> set[int]:
    reader = sub.reader()
    facts = _segment_facts(reader)
    if facts is None:
        return set(query.docs(sub))
    found = facts.filters.get(key)
    deleted = reader.deleted_docs_set
    if found is None:
        found = (set(query.docs(sub)), len(deleted))
    elif found[1] != len(deleted):  # deletions since: they only ever grow
        found = (found[0] - deleted, len(deleted))
    facts.filters[key] = found
    return found[0]


def _any_of(fieldname: str, values) -> Query:
    terms = [Term(fieldname, v) for v in values]
    return terms[0] if len(terms) == 1 else Or(terms)


def run_search(searcher: Searcher, analyzer: Analyzer, request: SearchQuery) -> SearchResults:
    per_page = min(max(int(request.per_page or 10), 1), MAX_PER_PAGE)
    page = max(int(request.page or 1), 1)
    plan = plan_query(request.text, analyzer, request.doc_numbers)
    if plan.empty and plan.text:  # only symbols or operators: nothing to look for
        return SearchResults(0, [], _no_facets(), page, per_page, [])
    query = build_query(plan, searcher.reader()) or Every()
    by_date = request.sort == "date" or plan.empty
    wanted = page * per_page
    allowed = _allowed_docs(searcher, visibility_filter(request))
    if allowed is not None and not allowed:  # Whoosh reads an empty filter as "no filter"
        return SearchResults(0, [], _no_facets(), page, per_page, plan.analysed_terms())
    if by_date:
        results = searcher.search(
            query,
            filter=allowed,
            limit=wanted,
            sortedby=sorting.FieldFacet("sort_date", reverse=True),
        )
        ranked = [(0.0, docnum) for _, docnum in results.top_n]
        matched = results.docs()
    else:
        top = _TopAndAll(limit=max(wanted, RERANK_WINDOW), usequality=False)
        top.replace = 0  # no block-quality skipping: re-planning the matcher tree only costs
        searcher.search_with_collector(
            query, collectors.FilterCollector(top, allow=allowed) if allowed is not None else top
        )
        ranked = [(score, docnum) for score, docnum in top.results().top_n]
        ranked = _rerank(searcher, analyzer, plan, ranked[:RERANK_WINDOW]) + ranked[RERANK_WINDOW:]
        matched = top.docset
    terms = plan.highlight_terms()
    hits = [
        _hit(searcher, docnum, score, terms) for score, docnum in ranked[wanted - per_page : wanted]
    ]
    facets = _columns(searcher).facets(matched)
    return SearchResults(len(matched), hits, facets, page, per_page, plan.analysed_terms())


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


class _SegmentFacts:
    """What search reads about one segment, kept for as long as the segment is live: its
    columns, field lengths, filter sets and word bit sets.

    A segment's documents never change; a write adds a segment (a status change: one record)
    and marks the replaced copy deleted in an old one, and deletions only grow. So the facts of
    the unchanged segments stay true across generations, filter sets and bit sets need only the
    new deletions taken out, and the first search after a write costs by the write, not by the
    corpus (lawref x10: 1.5 s before)."""

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
        self.filters: dict[str, tuple[set[int], int]] = {}
        self.bits: dict[tuple[str, str], tuple[int, int]] = {}

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


_segments: OrderedDict[str, _SegmentFacts] = OrderedDict()
_segments_lock = threading.Lock()


def _segment_facts(reader) -> _SegmentFacts | None:
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
    facts = _SegmentFacts(reader)
    with _segments_lock:
        facts = _segments.setdefault(key, facts)
        while len(_segments) > _SEGMENTS_KEPT:
            _segments.popitem(last=False)
    return facts


class _Columns:
    """Per-document facts of one searcher, so ranking and facet counting never load a stored
    document: the segments' own (`_SegmentFacts`) joined in document-number order."""

    def __init__(self, searcher: Searcher) -> None:
        self._leaves = [
            (leaf, offset, _segment_facts(leaf) or _SegmentFacts(leaf))
            for leaf, offset in searcher.reader().leaf_readers()
        ]
        facts = [f for _, _, f in self._leaves]
        self.facet_values = {
            name: [v for f in facts for v in f.facet_values[name]] for name in FACET_FIELDS
        }
        self.title_key = [v for f in facts for v in f.title_key]
        self.sort_date = [v for f in facts for v in f.sort_date]
        self._places: dict[str, str] = {}
        self._bits: dict[tuple[str, str], int] = {}

    def place(self, key: str, analyzer: Analyzer) -> str:
        """The place a title is local to ("上海" for 上海市…条例), or "" for a national one."""
        found = self._places.get(key)
        if found is None:
            found = self._places[key] = place_of(key, analyzer.precise_words)
        return found

    def get(self, docnum: int) -> tuple[str, bool, int]:
        kind = self.facet_values["kind"][docnum]
        current = is_current(kind, self.facet_values["status"][docnum])
        return self.title_key[docnum], current, self.sort_date[docnum]

    def bits_of_all(self, fieldname: str, words: list[str]) -> int | None:
        """Records holding every word in the field, as a bit set; None if a word is in none.
        Bit sets of words are kept (a few hundred bytes each for thousands of records) because
        the same common words come back query after query."""
        out: int | None = None
        for word in words:
            key = (fieldname, word)
            bits = self._bits.get(key)
            if bits is None:
                bits = 0
                for leaf, offset, facts in self._leaves:
                    bits |= facts.bits_of(leaf, fieldname, word) << offset
                if len(self._bits) >= _BITS_KEPT:
                    self._bits.pop(next(iter(self._bits)))
                self._bits[key] = bits
            if not bits:
                return None
            out = bits if out is None else out & bits
        return out

    def facets(self, docnums: Iterable[int]) -> dict[str, list[tuple[str, int]]]:
        docnums = list(docnums)
        out = {}
        for name, values in self.facet_values.items():
            counts = Counter(values[d] for d in docnums)
            counts.pop("", None)
            out[name] = sorted(counts.items(), key=lambda p: (-p[1], p[0]))
        return out


def _columns(searcher: Searcher) -> _Columns:
    cols = searcher.__dict__.get("_policylib_columns")
    if cols is None:
        cols = searcher.__dict__["_policylib_columns"] = _Columns(searcher)
    return cols


def _rerank(
    searcher: Searcher, analyzer: Analyzer, plan: QueryPlan, top: list[tuple[float, int]]
) -> list[tuple[float, int]]:
    """The shared re-ranking (`indexer.ranking.rerank`) of the top hits, read from the columns."""
    if not top:
        return top
    cols = _columns(searcher)
    candidates = []
    for score, docnum in top:
        key, current, when = cols.get(docnum)
        level = cols.facet_values["level"][docnum]
        candidates.append(Candidate(docnum, score, key, current, when, level))
    weights = _idea_weights(cols, searcher.reader(), plan)
    return rerank(candidates, weights, plan, lambda key: cols.place(key, analyzer))


def _idea_weights(cols: _Columns, reader, plan: QueryPlan) -> list[IdeaWeight]:
    """Each asked idea found in the index, its weight (idf: how rare it is, as BM25 weighs words)
    and the bit set of records holding it (a word or synonym of it, in any text field)."""
    total_docs = max(reader.doc_count_all(), 1)
    out = []
    for concept in plan.concepts:
        found = 0
        for words in concept.word_lists():
            for fieldname in ("title", "alt", "body"):
                bits = cols.bits_of_all(fieldname, words)
                if bits is not None:
                    found |= bits
        if found:
            out.append((concept, math.log(1 + total_docs / found.bit_count()), found))
    return out


def _hit(searcher: Searcher, docnum: int, score: float, terms: set[str]) -> SearchHit:
    doc = searcher.stored_fields(docnum)
    title = doc.get("title", "")
    return SearchHit(
        id=doc["id"],
        kind=doc.get("kind", ""),
        title=title,
        status=doc.get("status", ""),
        score=round(float(score), 4),
        snippet=snippet(doc.get("body_head", ""), terms),
        doc_number=doc.get("doc_number"),
        issuer=doc.get("issuer"),
        date=doc.get("published_date") or doc.get("signed_date") or doc.get("effective_date"),
        source_file=doc.get("source_file"),
        related=list(doc.get("related") or []),
        title_html=highlight(title, terms),
        level=doc.get("level"),
        topic=doc.get("topic"),
    )
