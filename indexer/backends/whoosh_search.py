"""Searching the Whoosh index: the query plan (`indexer.query`) as a Whoosh query, BM25F
scoring, visibility and facet filters, then the shared re-ranking (`indexer.ranking`) and
snippets (`indexer.snippets`).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from whoosh import scoring
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
from .whoosh_scores import live_mask, score_all
from .whoosh_segment_facts import SegmentFacts, field_lengths, segment_facts

_BITS_KEPT = 5000  # word bit sets kept per searcher


class Weighting(scoring.BM25F):
    """BM25F reading field lengths from a list kept per segment (`field_lengths`)."""

    def scorer(self, searcher, fieldname, text, qf=1):
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(scorer, scoring.BM25FScorer):
            scorer.dfl = field_lengths(searcher.reader(), fieldname).__getitem__
        return scorer


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


def _allowed_docs(searcher: Searcher, query: Query | None) -> np.ndarray | None:
    """The documents a filter allows, as a mask over document numbers, computed once per
    searcher (a searcher sees a fixed set of documents) instead of walking the filter's postings
    on every search; from the sets of each segment, which outlive the searcher."""
    if query is None:
        return None
    cache: dict = searcher.__dict__.setdefault("_policylib_filters", {})
    key = repr(query)
    if key not in cache:
        if len(cache) > 64:
            cache.clear()
        mask = np.zeros(searcher.doc_count_all(), dtype=bool)
        for sub, offset in searcher.leaf_searchers():
            docs = _segment_filter(sub, query, key)
            mask[np.fromiter(docs, dtype=np.int64, count=len(docs)) + offset] = True
        cache[key] = mask
    return cache[key]


def _segment_filter(sub: Searcher, query: Query, key: str) -> set[int]:
    reader = sub.reader()
    facts = segment_facts(reader)
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
    if by_date:
        mask = live_mask(searcher) if isinstance(query, Every) else score_all(searcher, query).mask
        matched = np.flatnonzero(mask if allowed is None else mask & allowed)
        ranked = _newest(matched, _columns(searcher).sort_dates, wanted)
    else:
        found = score_all(searcher, query)
        matched = np.flatnonzero(found.mask if allowed is None else found.mask & allowed)
        ranked = _best(matched, found.scores[matched], max(wanted, RERANK_WINDOW))
        ranked = _rerank(searcher, analyzer, plan, ranked[:RERANK_WINDOW]) + ranked[RERANK_WINDOW:]
    terms = plan.highlight_terms()
    hits = [
        _hit(searcher, docnum, score, terms) for score, docnum in ranked[wanted - per_page : wanted]
    ]
    facets = _columns(searcher).facets(matched)
    return SearchResults(len(matched), hits, facets, page, per_page, plan.analysed_terms())


def _newest(docnums: np.ndarray, sort_dates: np.ndarray, limit: int) -> list[tuple[float, int]]:
    """The `limit` newest, and on equal dates the lower document number first (the order of
    Whoosh's sorting collector)."""
    order = np.lexsort((docnums, -sort_dates[docnums]))[:limit]
    return [(0.0, int(docnums[i])) for i in order]


def _best(docnums: np.ndarray, scores: np.ndarray, limit: int) -> list[tuple[float, int]]:
    """The `limit` best (score, docnum), highest score first and, on equal scores, the lower
    document number first (the order Whoosh's top-N collector gives)."""
    if len(docnums) > limit:
        keep = np.argpartition(-scores, limit - 1)[:limit]
        cut = scores[keep].min()
        keep = np.flatnonzero(scores >= cut)  # every tie at the cut, so the order below decides
        docnums, scores = docnums[keep], scores[keep]
    order = np.lexsort((docnums, -scores))[:limit]
    return [(float(scores[i]), int(docnums[i])) for i in order]


class _Columns:
    """Per-document facts of one searcher, so ranking and facet counting never load a stored
    document: the segments' own (`SegmentFacts`) joined in document-number order."""

    def __init__(self, searcher: Searcher) -> None:
        self._leaves = [
            (leaf, offset, segment_facts(leaf) or SegmentFacts(leaf))
            for leaf, offset in searcher.reader().leaf_readers()
        ]
        facts = [f for _, _, f in self._leaves]
        self.facet_values = {
            name: [v for f in facts for v in f.facet_values[name]] for name in FACET_FIELDS
        }
        self.title_key = [v for f in facts for v in f.title_key]
        self.sort_dates = np.fromiter((v for f in facts for v in f.sort_date), dtype=np.int64)
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
        return self.title_key[docnum], current, int(self.sort_dates[docnum])

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

    def facets(self, docnums: np.ndarray) -> dict[str, list[tuple[str, int]]]:
        """Each facet's values among `docnums` (sorted document numbers) with their counts,
        counted per segment over small integer codes."""
        out = {}
        for name in FACET_FIELDS:
            counts: Counter[str] = Counter()
            for _, offset, facts in self._leaves:
                codes, labels = facts.facet_codes(name)
                local = docnums[(docnums >= offset) & (docnums < offset + len(codes))] - offset
                for code, count in enumerate(np.bincount(codes[local], minlength=len(labels))):
                    if count:
                        counts[labels[code]] += int(count)
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
