"""Search requests and results, and the ranking a user would call right.

Whoosh scores the words (BM25F, title weighted far above body, synonyms a little below the word
typed). The best RERANK_WINDOW hits are then re-ordered on what a reader means by "the right
document": a title that is what was asked beats one that only mentions it; of several versions of
one title the current, then the newest, comes first; a record no longer current sinks a little.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from whoosh import collectors, scoring, sorting
from whoosh.query import And, Every, Or, Query, Term
from whoosh.searching import Searcher

from .analyzer import Analyzer
from .query import Concept, QueryPlan, build_query, plan_query
from .records import CURRENT_STATUSES
from .schema import FACET_FIELDS
from .snippets import highlight, snippet

RERANK_WINDOW = 120
_BITS_KEPT = 5000  # word bit sets kept per searcher
MAX_PER_PAGE = 100
QA_CURRENT_STATUS = "published"
DOCUMENT_KINDS = ("document", "interpretation")

TITLE_COVERAGE_WEIGHT = 1.5  # all asked words in the title multiplies the score by 2.5
COORDINATION_POWER = 1.0
NOT_CURRENT_FACTOR = 0.7
# The law itself before the rules made under it, when both answer the words equally well.
LEVEL_FACTORS = {"法律": 1.4, "行政法规": 1.15}
PLACE_SUFFIXES = frozenset("省市县区州旗盟")
_IMPLEMENTING = re.compile(r"(实施条例|实施细则|实施办法)$")
PLACE_NAMED_FACTOR = 1.5
PLACE_OTHER_FACTOR = 0.25


@dataclass
class SearchQuery:
    text: str = ""
    # normalised 文号 found in `text` by the caller (library.search.doc_numbers_in): a record
    # with one of them comes first
    doc_numbers: list[str] = field(default_factory=list)
    include_all: bool = False
    kinds: list[str] | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)  # keys: FACET_FIELDS
    statuses: list[str] | None = None  # replaces the default "current only" rule when given
    sort: str = "relevance"  # relevance | date
    page: int = 1
    per_page: int = 10


@dataclass
class SearchHit:
    id: str
    kind: str
    title: str
    status: str
    score: float
    snippet: str  # HTML: escaped text, matches in <mark>
    doc_number: str | None
    issuer: str | None
    date: str | None  # ISO date the record is sorted by
    source_file: str | None
    related: list[str]
    title_html: str = ""  # HTML: escaped title, matches in <mark>
    level: str | None = None
    topic: str | None = None


@dataclass
class SearchResults:
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[tuple[str, int]]]
    page: int
    per_page: int
    terms: list[str]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class Weighting(scoring.BM25F):
    """BM25F reading field lengths from a list kept per segment instead of a column lookup per
    posting (a third of the cost of scoring a query in Whoosh's own scorer)."""

    def scorer(self, searcher, fieldname, text, qf=1):  # noqa: ANN001, ANN201
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(scorer, scoring.BM25FScorer):
            scorer.dfl = _field_lengths(searcher.reader(), fieldname).__getitem__
        return scorer


def _field_lengths(reader, fieldname: str) -> list[int]:  # noqa: ANN001
    cache: dict = reader.__dict__.setdefault("_policylib_lengths", {})
    lengths = cache.get(fieldname)
    if lengths is None:
        lengths = cache[fieldname] = [
            reader.doc_field_length(d, fieldname, 1) for d in range(reader.doc_count_all())
        ]
    return lengths


# BM25F with short-field normalisation for titles; body length matters less for long laws.
# The PostgreSQL backend scores with the same constants (pg_search).
K1 = 1.2
TITLE_B = 0.9
BODY_B = 0.6
WEIGHTING = Weighting(B=0.75, K1=K1, title_B=TITLE_B, body_B=BODY_B)


def is_current(kind: str, status: str) -> bool:
    return status == QA_CURRENT_STATUS if kind == "qa" else status in CURRENT_STATUSES


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
    documents) instead of walking the filter's postings on every search."""
    if query is None:
        return None
    cache: dict = searcher.__dict__.setdefault("_policylib_filters", {})
    key = repr(query)
    if key not in cache:
        if len(cache) > 64:
            cache.clear()
        cache[key] = set(searcher.docs_for_query(query))
    return cache[key]


def _any_of(fieldname: str, values) -> Query:  # noqa: ANN001
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


class _Columns:
    """Per-document facts read once per searcher from the columns, so ranking and facet counting
    never load a stored document (a few hundred kB for a corpus of thousands)."""

    def __init__(self, searcher: Searcher) -> None:
        leaves = searcher.reader().leaf_readers()

        def values(name: str) -> list:
            # Per segment: Whoosh's multi-segment column reader mis-numbers documents when a
            # segment has no value at all for the field (no column file written).
            out: list = []
            for leaf, _offset in leaves:
                n = leaf.doc_count_all()
                if leaf.has_column(name):
                    column = leaf.column_reader(name)
                    out += [column[i] for i in range(n)]
                else:
                    out += [None] * n
            return out

        self.facet_values = {name: [_text(v) for v in values(name)] for name in FACET_FIELDS}
        self.title_key = [_text(v) for v in values("title_key")]
        self.sort_date = [int(v or 0) for v in values("sort_date")]
        self._places: dict[str, str] = {}
        self._bits: dict[tuple[str, str], int] = {}

    def place(self, key: str, analyzer: Analyzer) -> str:
        """The place a title is local to ("上海" for 上海市…条例), or "" for a national one."""
        found = self._places.get(key)
        if found is None:
            found = self._places[key] = _place_of(key, analyzer)
        return found

    def get(self, docnum: int) -> tuple[str, bool, int]:
        kind = self.facet_values["kind"][docnum]
        current = is_current(kind, self.facet_values["status"][docnum])
        return self.title_key[docnum], current, self.sort_date[docnum]

    def bits_of_all(self, reader, fieldname: str, words: list[str]) -> int | None:  # noqa: ANN001
        """Records holding every word in the field, as a bit set; None if a word is in none.
        Bit sets of words are kept (a few hundred bytes each for thousands of records) because
        the same common words come back query after query."""
        out: int | None = None
        for word in words:
            key = (fieldname, word)
            bits = self._bits.get(key)
            if bits is None:
                bits = 0
                if key in reader:
                    for d in reader.postings(fieldname, word).all_ids():
                        bits |= 1 << d
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


def _place_of(key: str, analyzer: Analyzer) -> str:
    """A title starting with a place name (its first word ends in 省/市/县/区/州/旗/盟 after two
    or more characters) is local to it; the stem without the suffix is what people type."""
    words = analyzer.precise_words(key[:12])
    first = words[0] if words else ""
    for i in range(2, len(first)):
        if first[i] in PLACE_SUFFIXES:
            # 上海市 / 四川省人民政府 are places; 行政区域 is not
            return first[:i] if i == len(first) - 1 or first[i + 1 :].startswith("人民") else ""
    return ""


def _place_factor(place: str, plan: QueryPlan) -> float:
    """A rule of the place the user named comes first; a rule of another place, when the user
    named none or another one, comes after the national rule on the same subject."""
    if not place:
        return 1.0
    return PLACE_NAMED_FACTOR if place[:2] in plan.key else PLACE_OTHER_FACTOR


def _rerank(
    searcher: Searcher, analyzer: Analyzer, plan: QueryPlan, top: list[tuple[float, int]]
) -> list:
    if not top:
        return top
    cols = _columns(searcher)
    facts = {docnum: cols.get(docnum) for _, docnum in top}
    weights = _idea_weights(cols, searcher.reader(), plan)
    coordination = _coordination(weights, {d for _, d in top})
    sinking = outdated(facts)
    by_title: dict[str, float] = {}  # versions of one title share their title factors
    scored = []
    for score, docnum in top:
        key = facts[docnum][0]
        if key not in by_title:
            by_title[key] = (1.0 + TITLE_COVERAGE_WEIGHT * _coverage(weights, key)) * _place_factor(
                cols.place(key, analyzer), plan
            )
        factor = coordination.get(docnum, 1.0) ** COORDINATION_POWER * by_title[key]
        factor *= LEVEL_FACTORS.get(cols.facet_values["level"][docnum], 1.0)
        if docnum in sinking:
            factor *= NOT_CURRENT_FACTOR
        scored.append((score * factor, docnum))
    scored.sort(key=lambda p: -p[0])
    return _versions_in_order(scored, facts)


def outdated(facts: dict[int, tuple[str, bool, int]]) -> set[int]:
    """The records among {record: (title key, current, date)} that sink like a not-current one:
    those not current, and older versions of a title whose newer current version is there too.

    The corpus marks every version of a law valid, so an older version still counts as current;
    yet a newer version of the same title answers the question instead of it, and the old one
    should not hold the second place above another law."""
    newest: dict[str, int] = {}
    for key, current, date in facts.values():
        if current and key:
            newest[key] = max(newest.get(key, date), date)
    return {
        record
        for record, (key, current, date) in facts.items()
        if not current or date < newest.get(key, date)
    }


def _idea_weights(cols: _Columns, reader, plan: QueryPlan) -> list[tuple[Concept, float, int]]:  # noqa: ANN001
    """Each asked idea found in the index, its weight (idf: how rare it is, as BM25 weighs words)
    and the bit set of records holding it (a word or synonym of it, in any text field)."""
    total_docs = max(reader.doc_count_all(), 1)
    out = []
    for concept in plan.concepts:
        found = 0
        for words in concept.word_lists():
            for fieldname in ("title", "alt", "body"):
                bits = cols.bits_of_all(reader, fieldname, words)
                if bits is not None:
                    found |= bits
        if found:
            out.append((concept, math.log(1 + total_docs / found.bit_count()), found))
    return out


def _coordination(weights: list[tuple[Concept, float, int]], docnums: set[int]) -> dict[int, float]:
    """Weighted share of the asked ideas each record holds: a record holding every idea, above
    all the distinctive ones (偷税 more than 企业), beats one holding one idea often or in its
    title."""
    asked = sum(w for _, w, _ in weights)
    if not asked:
        return {}
    held = {d: sum(w for _, w, bits in weights if bits >> d & 1) for d in docnums}
    least = min((w for w in held.values() if w), default=asked) / asked
    return {d: max(w / asked, least) for d, w in held.items()}


def _coverage(weights: list[tuple[Concept, float, int]], key: str) -> float:
    """Weighted share of the asked ideas that the title holds (or a synonym of, or part of)."""
    total = sum(w for _, w, _ in weights)
    if not total or not key:
        return 0.0
    return sum(w * c.title_credit(key) for c, w, _ in weights) / total


def _versions_in_order(scored: list, facts: dict) -> list:
    """Versions of one title keep the places the group earned, current first, then newest; a
    law and its implementing rules (X法 / X法实施条例) are grouped the same way, the law first."""
    keys = {facts[d][0] for _, d in scored}
    groups: dict[str, list] = {}
    for item in scored:
        key = facts[item[1]][0]
        if key:
            parent = _IMPLEMENTING.sub("", key)
            groups.setdefault(parent if parent in keys else key, []).append(item)
    out = list(scored)
    place = {docnum: i for i, (_, docnum) in enumerate(scored)}
    for group, members in groups.items():
        if len(members) < 2:
            continue
        slots = sorted(place[m[1]] for m in members)
        ordered = sorted(
            members,
            key=lambda m: (facts[m[1]][1], facts[m[1]][0] == group, facts[m[1]][2]),
            reverse=True,
        )
        for slot, member in zip(slots, ordered, strict=True):
            out[slot] = (out[slot][0], member[1])  # the slot keeps its score: scores stay sorted
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
