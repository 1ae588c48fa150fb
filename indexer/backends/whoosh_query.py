"""A query plan as a Whoosh query: which words select records in which field, and with what weight."""

from __future__ import annotations

from typing import Protocol

from whoosh.query import And, AndMaybe, Or, Query, Term

from ..query import (
    DOC_NUMBER_BOOST,
    FIELD_BOOSTS,
    SYNONYM_WEIGHT,
    TITLE_EXACT_BOOST,
    QueryPlan,
    common_limit,
    is_single_cjk,
)
from .whoosh_phrase import ExactPhrase


class TermStats(Protocol):
    """What query building needs from the index: how many records hold a word."""

    def doc_count_all(self) -> int: ...

    def doc_frequency(self, fieldname: str, text: str) -> int: ...

    def field_length(self, fieldname: str) -> int: ...


def build_query(plan: QueryPlan, stats: TermStats) -> Query | None:
    """The Whoosh query of a plan, or None when nothing searchable was typed.

    A record matches on a distinctive word (or synonym) in any field, its whole title, or its
    文号. A word found in most records of a field (管理, 规定 in titles; 申请, 政府 in bodies), or a
    single character in a body, is left out of that field: it says little about which record is
    meant, and walking its long posting list is most of the cost of a search. Ranking still sees
    such words in titles (see `ranking.coverage`). A query made only of such words must find all
    of them in a body.
    """
    match: list[Query] = []
    limit = common_limit(stats.doc_count_all())
    fields = _fields_in_use(stats)
    if plan.terms:
        common: list[str] = []
        for term in plan.terms:
            for f, boost in fields.items():
                single = f == "body" and is_single_cjk(term)
                df = 0 if single else stats.doc_frequency(f, term)
                if 0 < df <= limit:
                    match.append(Term(f, term, boost=boost))
                elif f == "body" and df > limit:
                    common.append(term)
        if common and not any(q.field() == "body" for q in match):
            match.append(And([Term("body", w) for w in common]))
    for words in plan.alternatives.values():
        match += _alternative(words, stats, limit)
    if plan.key:
        match.append(Term("title_key", plan.key, boost=TITLE_EXACT_BOOST))
    match += [Term("doc_number_norm", n, boost=DOC_NUMBER_BOOST) for n in plan.doc_numbers]
    if plan.phrases:
        required: Query = And(
            [
                Or([ExactPhrase(f, words, boost=FIELD_BOOSTS[f]) for f in ("title", "alt", "body")])
                for words in plan.phrases
            ]
        )
        return AndMaybe(required, _or(match)) if match else required
    return _or(match) if plan.terms or plan.doc_numbers else None


def _fields_in_use(stats: TermStats) -> dict[str, float]:
    """The text fields some record fills (no Q&A entries: no alternative questions to search)."""
    return {f: b for f, b in FIELD_BOOSTS.items() if stats.field_length(f)}


def _alternative(words: list[tuple[str, int]], stats: TermStats, limit: float) -> list[Query]:
    """A synonym searched as what it is made of: one word, or its words as an exact phrase."""
    out: list[Query] = []
    for f, boost in _fields_in_use(stats).items():
        dfs = [stats.doc_frequency(f, w) for w, _ in words]
        if not words or min(dfs) == 0:
            continue
        if len(words) == 1:
            if dfs[0] <= limit:
                out.append(Term(f, words[0][0], boost=boost * SYNONYM_WEIGHT))
        else:
            out.append(ExactPhrase(f, words, boost=boost * SYNONYM_WEIGHT))
    return out


def _or(queries: list[Query]) -> Query:
    """A flat union, scored through preloaded arrays: faster here than a tree of unions."""
    q = Or(queries)
    q.matcher_type = Or.ARRAY_MATCHER
    return q
