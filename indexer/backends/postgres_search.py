"""Searching the PostgreSQL tables with the same rules as the Whoosh backend: the same query plan
(`indexer.query.plan_query`), visibility, filters, facets, re-ranking (`indexer.ranking`) and
snippets.

Matching is GIN over the two tsvectors (`postgres_rows`): a distinctive word anywhere, a word too common
to select by (in more than COMMON_SHARE of the records) only in titles, quoted phrases exactly
(the words through the index, then the folded text with LIKE), 文号 and whole titles by their keys.
Scoring is BM25F-like, in SQL: each word weighs its rarity (idf, from the document
frequencies each generation keeps, `postgres_terms`, held for TermCounts.TTL seconds); in titles
`ts_rank` with weights (A title and similar questions, B 文号 and issuer); in bodies a term
frequency read back from `ts_rank` (which saturates as BM25 does) normalised by body length.
ts_rank alone (or ts_rank_cd) knows no rarity, which ranks 规定 like 工伤; the per-word form is
how BM25's idf gets in. The best RERANK_WINDOW rows are then re-ordered by the shared rules of
`indexer.ranking`.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from ..interface import (
    DOCUMENT_KINDS,
    MAX_PER_PAGE,
    QA_CURRENT_STATUS,
    SearchHit,
    SearchQuery,
    SearchResults,
    is_current,
)
from ..query import (
    FIELD_BOOSTS,
    SYNONYM_WEIGHT,
    QueryPlan,
    common_limit,
    is_single_cjk,
    plan_query,
)
from ..ranking import BODY_B, K1, RERANK_WINDOW, TITLE_B, Candidate, place_of, rerank
from ..records import CURRENT_STATUSES
from ..schema import FACET_FIELDS
from ..snippets import highlight, snippet
from .postgres_rows import PhraseMarks, quote_lexeme
from .postgres_terms import read_totals, read_words

if TYPE_CHECKING:
    from .postgres import PgSearchIndex

# ts_rank weights (D, C, B, A) that read one part of a vector: A title and similar questions,
# B 文号 and issuer (scored as Whoosh's issuer_text field), C body.
TITLE_PART = "{0,0,0,1}"
ISSUER_PART = "{0,0,1,0}"
BODY_PART = "{0,1,0,0}"
TITLE_KEY_BONUS = 250.0  # the query is a whole title (Whoosh: title_key x40)
DOC_NUMBER_BONUS = 3000.0  # the query holds this record's 文号 (Whoosh: x500)
# Rows given the full score (body vectors read) per search: the best of a cheap first score
# (`_select`). Enough that the rows the full score would rank first are among them: on the
# evaluation queries 600 rank exactly as scoring every match does (MRR@10 0.802); 400 lost one
# expected law from the top ten (0.800); held out: 0.696 either way.
MIN_CANDIDATES = 600
CANDIDATE_FACTOR = 2
# A body word held by more than this share of the records gets no floor in the cheap first score
# (and its ceiling counts for every row): learning which rows hold it reads as many heap rows as
# hold it, for a word of little weight (idf). At lawref x10, 0.02 against learning it for every
# word: the slowest questions take 11-16 % less CPU; MRR@10 0.802 / held out 0.696 unchanged;
# the first hit of all 84 questions as when every match is scored in full. See `_body_bounds`.
HELD_SHARE = 0.02
LENGTH_STATS = [("n", ""), ("avg", ""), ("title_avg", "")]


class TermCounts:
    """The word statistics of generations (`postgres_terms`: document frequencies, the record
    count, the mean lengths) and the counts of asked ideas, kept for TTL seconds: they weigh
    words and decide which are too common to select rows by, where a figure a few seconds old
    serves as well as an exact one. Never used to leave a word out because it was not found: a
    record added since is still matched."""

    TTL = 30.0
    MAX_KEPT = 20_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple, tuple[float, float]] = {}
        self.places: dict[str, str] = {}

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def get(
        self, conn: psycopg.Connection, table: str, generation: str, wanted: list[tuple[str, str]]
    ) -> dict:
        """{(kind, arg): value} for kind head|body (arg a word: records holding it in titles, in
        bodies), any (arg a tsquery: rows of `table` matching it), n, avg (body words),
        title_avg (arg "")."""
        now = time.monotonic()
        out, missing = {}, []
        with self._lock:
            for key in dict.fromkeys(wanted):
                found = self._values.get((generation, *key))
                if found and found[1] > now:
                    out[key] = found[0]
                else:
                    missing.append(key)
        if missing:
            read = _read_counts(conn, table, generation, missing)
            with self._lock:
                if len(self._values) > self.MAX_KEPT:
                    self._values.clear()
                for key in missing:
                    out[key] = read[key]
                    self._values[(generation, *key)] = (read[key], now + self.TTL)
        return out


def _read_counts(
    conn: psycopg.Connection, table: str, generation: str, wanted: list[tuple[str, str]]
) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    words = [arg for kind, arg in wanted if kind in ("head", "body")]
    if words:
        found = read_words(conn, generation, words)
        for kind, arg in wanted:
            if kind in ("head", "body"):
                out[(kind, arg)] = found.get(arg, (0.0, 0.0))[kind == "body"]
    if any(kind in ("n", "avg", "title_avg") for kind, _ in wanted):
        totals = dict(zip(("n", "avg", "title_avg"), read_totals(conn, generation), strict=True))
        out.update({key: totals[key[0]] for key in wanted if key[0] in totals})
    ideas = [arg for kind, arg in wanted if kind == "any"]
    if ideas:
        cond = "head_tsv @@ %s::tsquery OR body_tsv @@ %s::tsquery"
        t = sql.Identifier(table)
        exprs = [sql.SQL("(SELECT count(*) FROM {} WHERE " + cond + ")").format(t) for _ in ideas]
        row = conn.execute(
            sql.SQL("SELECT ") + sql.SQL(", ").join(exprs), [q for q in ideas for _ in (0, 1)]
        ).fetchone()
        out.update({("any", q): float(v) for q, v in zip(ideas, row, strict=True)})
    return out


class _Params:
    """Query parameters by generated name, so the SQL text never holds user input."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def __call__(self, value: object, cast: str = "") -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"%({name})s{cast}"


def _tsquery_all(words: list[str]) -> str:
    quoted = [quote_lexeme(w) for w in words]
    return quoted[0] if len(quoted) == 1 else "(" + " & ".join(quoted) + ")"


def _tsquery_phrase(words: list[tuple[str, int]], weight: str = "") -> str:
    """Words at their character offsets from each other (positions in the vectors are character
    offsets, for the first POSITIONS_KEPT occurrences of a word)."""
    out = quote_lexeme(words[0][0]) + (f":{weight}" if weight else "")
    for (_, before), (word, offset) in zip(words, words[1:], strict=False):
        out += f" <{offset - before}> " + quote_lexeme(word) + (f":{weight}" if weight else "")
    return out


def _like_pattern(words: list[tuple[str, int]]) -> str:
    """Words at their offsets from the first one, any one character in each gap."""
    out, pos = ["%"], 0
    for word, offset in words:
        out.append("_" * max(offset - pos, 0))
        out.append(word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        pos = offset + len(word)
    out.append("%")
    return "".join(out)


@dataclass(frozen=True)
class _Scored:
    """One word scored in one vector: its weight (idf x query boost, before the field boost),
    the phrase that must hold in that vector for it to count (None: it counts wherever it is),
    and, read for body words by `_body_bounds`, what the GIN index over bodies can tell of a row
    to show the word counts there at least once (the word itself, a marked phrase's lexeme;
    None when only positions can tell, or too many rows hold it)."""

    query: str
    weight: float
    gate: str | None = None
    held: str | None = None


@dataclass
class _Plan:
    """The SQL of one query: which rows match, and the scored words of each vector."""

    match: list[str] = field(default_factory=list)  # OR-ed: any of these selects a row
    # Synonyms made of several words: the words anywhere (the GIN index answers that alone) and
    # where they stand as the phrase (a title's or body's positions must be read to know)
    phrase_words: list[str] = field(default_factory=list)
    phrase_head: list[str] = field(default_factory=list)
    phrase_body: list[str] = field(default_factory=list)
    required: list[str] = field(default_factory=list)  # AND-ed: quoted phrases
    head: list[_Scored] = field(default_factory=list)
    body: list[_Scored] = field(default_factory=list)
    bonus: list[str] = field(default_factory=list)  # SQL terms added to the score
    concepts: list[str] = field(default_factory=list)  # tsquery of each asked idea


def _idf(df: float, n: float) -> float:
    """Whoosh's BM25 idf, so word weights compare with the other backend's."""
    return math.log(max(n, 1.0) / (df + 1.0)) + 1.0


def _plan_sql(
    conn: psycopg.Connection,
    caches: TermCounts,
    table: str,
    generation: str,
    plan: QueryPlan,
    marks: PhraseMarks,
    p: _Params,
) -> _Plan:
    words = list(plan.terms)
    singles = [w[0][0] for w in plan.alternatives.values() if len(w) == 1]
    phrase_words = [w for words_ in plan.phrases for w, _ in words_]
    multi = [(a, w) for a, w in plan.alternatives.items() if len(w) > 1]
    concept_queries = [
        " | ".join(_tsquery_all(list(wl)) for wl in c.word_lists()) for c in plan.concepts
    ]
    wanted = list(LENGTH_STATS)
    for w in dict.fromkeys(words + singles + phrase_words + [x for _, m in multi for x, _ in m]):
        wanted += [("head", w), ("body", w)]
    wanted += [("any", q) for q in concept_queries]
    markers = {alt: marks.marker(alt, words_) for alt, words_ in multi}
    wanted += [("body", m) for m in markers.values() if m is not None]
    stats = caches.get(conn, table, generation, wanted)
    n = stats[("n", "")]
    limit = common_limit(n)

    def held(word: str) -> str | None:
        """`word` as what shows a row's body holds it, unless too many rows hold it."""
        return quote_lexeme(word) if stats[("body", word)] <= HELD_SHARE * n else None

    out = _Plan(concepts=concept_queries)
    head_match: list[str] = []
    body_match: list[str] = []

    def add(word: str, boost: float, match: bool) -> bool:
        """Score (and match, unless only scored) one word; True when it selects in bodies."""
        q = quote_lexeme(word)
        hdf, bdf = stats[("head", word)], stats[("body", word)]
        in_body = False
        if hdf <= limit:
            out.head.append(_Scored(q, _idf(hdf, n) * boost, held=q))
            if match:
                head_match.append(q)
        if not is_single_cjk(word) and bdf <= limit:
            out.body.append(_Scored(q, _idf(bdf, n) * boost, held=held(word)))
            if match:
                body_match.append(q)
                in_body = True
        return in_body

    def add_phrase(
        words: list[tuple[str, int]], boost: float, gate_body: bool, marker: str | None = None
    ) -> None:
        """Score every word of a phrase, common ones too, in each vector that holds them all, as
        Whoosh's phrase query does; they count only where the phrase holds (its `marker` where
        the rows mark it; in bodies only when `gate_body`: a required phrase may lie past the
        positions a vector keeps)."""
        marked = quote_lexeme(marker) if marker else None
        for kind, scored, gate in (
            ("head", out.head, marked or _tsquery_phrase(words, "A")),
            ("body", out.body, (marked or _tsquery_phrase(words)) if gate_body else None),
        ):
            if all(stats[(kind, w)] for w, _ in words):
                shown = marker and held(marker)
                scored += [
                    _Scored(
                        quote_lexeme(w),
                        _idf(stats[(kind, w)], n) * boost,
                        gate,
                        held(w) if gate is None else shown,
                    )
                    for w, _ in words
                ]

    common = []
    any_body = False
    for word in words:
        any_body |= add(word, 1.0, True)
        if not is_single_cjk(word) and stats[("body", word)] > limit:
            common.append(word)
    if common and not any_body:  # only common words typed: all of them must be in the body
        body_match.append(_tsquery_all(common))
        for word in common:
            out.body.append(_Scored(quote_lexeme(word), _idf(stats[("body", word)], n)))
    for word in singles:
        add(word, SYNONYM_WEIGHT, True)
    for alt, alt_words in multi:
        marker = markers[alt]
        if marker is not None:  # found through the index like a word
            head_match.append(quote_lexeme(marker))
            body_match.append(quote_lexeme(marker))
            add_phrase(alt_words, SYNONYM_WEIGHT, True, marker)
            continue
        # A synonym made of several words is found by their positions, not by LIKE over whole
        # texts: it selects many rows (提起诉讼), and close enough is good enough for an alias.
        out.phrase_words.append(_tsquery_all([w for w, _ in alt_words]))
        out.phrase_head.append(_tsquery_phrase(alt_words, "A"))
        out.phrase_body.append(_tsquery_phrase(alt_words))
        add_phrase(alt_words, SYNONYM_WEIGHT, True)
    if head_match:
        out.match.append(f"head_tsv @@ {p(' | '.join(head_match), '::tsquery')}")
    if body_match:
        out.match.append(f"body_tsv @@ {p(' | '.join(body_match), '::tsquery')}")
    if plan.key:
        key = p(plan.key)
        out.match.append(f"title_key = {key}")
        out.bonus.append(f"CASE WHEN title_key = {key} THEN {TITLE_KEY_BONUS} ELSE 0 END")
    if plan.doc_numbers:
        nums = p(list(plan.doc_numbers))
        out.match.append(f"doc_number_norm = ANY({nums})")
        out.bonus.append(
            f"CASE WHEN doc_number_norm = ANY({nums}) THEN {DOC_NUMBER_BONUS} ELSE 0 END"
        )
    for phrase in plan.phrases:
        ws = [w for w, _ in phrase]
        q = p(_tsquery_all(ws), "::tsquery")
        out.required.append(
            f"((head_tsv @@ {q} OR body_tsv @@ {q}) AND folded LIKE {p(_like_pattern(phrase))})"
        )
        add_phrase(phrase, 1.0, False)
    return out


def _visibility(request: SearchQuery, p: _Params) -> list[str]:
    """What may be shown at all: the caller's statuses, else current records only, unless all."""
    parts = []
    if request.statuses is not None:
        parts.append(f"status = ANY({p(list(request.statuses))})")
    elif not request.include_all:
        parts.append(
            f"((kind = ANY({p(list(DOCUMENT_KINDS))}) AND status = ANY({p(list(CURRENT_STATUSES))}))"
            f" OR (kind = 'qa' AND status = {p(QA_CURRENT_STATUS)}))"
        )
    if request.kinds:
        parts.append(f"kind = ANY({p(list(request.kinds))})")
    for name, values in (request.filters or {}).items():
        if name in FACET_FIELDS and values:
            parts.append(f"{name} = ANY({p([str(v) for v in values])})")
    return parts


def _sources(
    where: list[str], found: _Plan, everything: bool, p: _Params
) -> tuple[str, str | None]:
    """The conditions of the matching rows: those the indexes find alone, and those found only
    by a synonym of several words (None if the query has none).

    The first is one condition, an OR of simple ones, so it is one bitmap scan over the GIN and
    b-tree indexes, and the rows it returns are read without unpacking any vector (the indexes
    answer plain words exactly). A phrase needs the positions held in the (long) vectors; they
    are read only for the rows holding all its words that the first condition did not find
    (`p` is the query's name for those rows, see `_select`)."""
    if everything:
        return " AND ".join(where) or "TRUE", None
    if found.required:
        return " AND ".join(where + found.required), None
    plain = " AND ".join([*where, f"({' OR '.join(found.match)})" if found.match else "FALSE"])
    if not found.phrase_words:
        return plain, None
    words = p(" | ".join(found.phrase_words), "::tsquery")
    head = p(" | ".join(f"({q})" for q in found.phrase_head), "::tsquery")
    body = p(" | ".join(f"({q})" for q in found.phrase_body), "::tsquery")
    holding = (
        f"SELECT id FROM {{t}} WHERE head_tsv @@ {words} OR body_tsv @@ {words}"
        " EXCEPT SELECT id FROM p"
    )
    # In a CASE, so the planner cannot turn the check into a bitmap scan that reads the
    # vectors of every row holding the words, found already or not.
    check = f"CASE WHEN head_tsv @@ {head} THEN true ELSE body_tsv @@ {body} END"
    phrase = [f"id = ANY(ARRAY({holding}))", *where, check]
    return plain, " AND ".join(phrase)


@dataclass
class _Row:
    id: str
    score: float
    key: str
    kind: str
    status: str
    sort_date: int
    level: str | None
    flags: list[bool]


def _no_facets() -> dict[str, list[tuple[str, int]]]:
    return {name: [] for name in FACET_FIELDS}


def run_pg_search(
    conn: psycopg.Connection,
    index: PgSearchIndex,
    table: str,
    generation: str,
    request: SearchQuery,
    marks: PhraseMarks,
) -> SearchResults:
    """One page of results from `table` (the rows of `generation`: the live one through the
    view), whose rows mark the synonym phrases of `marks`."""
    per_page = min(max(int(request.per_page or 10), 1), MAX_PER_PAGE)
    page = max(int(request.page or 1), 1)
    plan = plan_query(request.text, index.analyzer, request.doc_numbers)
    if plan.empty and plan.text:  # only symbols or operators: nothing to look for
        return SearchResults(0, [], _no_facets(), page, per_page, [])
    # Rows are few and their vectors long: a scan unpacking every vector is never the cheaper
    # plan, whatever the planner's estimate says; and a plan costed that way must not trigger
    # JIT compilation, which takes longer than any search (for this transaction only).
    conn.execute("SET LOCAL enable_seqscan = off; SET LOCAL jit = off")
    p = _Params()
    wanted = page * per_page
    by_date = request.sort == "date" or plan.empty
    found = (
        _Plan() if plan.empty else _plan_sql(conn, index.counts, table, generation, plan, marks, p)
    )
    sources = _sources(_visibility(request, p), found, plan.empty, p)
    stats = index.counts.get(conn, table, generation, LENGTH_STATS)
    lengths = (stats[("avg", "")], stats[("title_avg", "")])
    query = _select(table, sources, found, by_date, lengths, p)
    p.values["limit"] = wanted if by_date else max(wanted, RERANK_WINDOW)
    p.values["candidates"] = max(p.values["limit"] * CANDIDATE_FACTOR, MIN_CANDIDATES)
    rows, facets, total = _read(conn, query, p.values)
    if by_date:
        ranked = [(r.score, r) for r in rows]
    else:
        concept_df = [
            index.counts.get(conn, table, generation, [("any", q)])[("any", q)]
            for q in found.concepts
        ]
        top = _rerank(index, plan, rows[:RERANK_WINDOW], concept_df, stats[("n", "")])
        ranked = top + [(r.score, r) for r in rows[RERANK_WINDOW:]]
    chosen = ranked[wanted - per_page : wanted]
    hits = _hits(conn, table, chosen, plan.highlight_terms())
    return SearchResults(total, hits, facets, page, per_page, plan.analysed_terms())


def _bm25(rank: str, weight: float, norm: str) -> str:
    """BM25's saturated term frequency, read back from the ts_rank of one word in one part:
    ts_rank sums 1/j^2 over a word's j-th occurrence, so k occurrences give about 1 - 0.608/k."""
    tf = f"(0.645 * {rank} / (1.0001 - {rank}))"
    return f"{weight:.6f} * {tf} * {K1 + 1} / ({tf} + {K1} * {norm})"


def _ranked(vector: str, part: str, query: str, gate: str | None) -> str:
    """ts_rank of one word (a bound tsquery) in one part of `vector`, 0 where `gate` fails."""
    rank = f"ts_rank('{part}', {vector}, {query})"
    return rank if gate is None else f"CASE WHEN {vector} @@ {gate} THEN {rank} ELSE 0 END"


def _bound(scored: _Scored, p: _Params) -> tuple[str, str | None]:
    gate = p(scored.gate, "::tsquery") if scored.gate is not None else None
    return p(scored.query, "::tsquery"), gate


def _norms(lengths: tuple[float, float]) -> str:
    """The columns `tn` and `bn`: BM25 length normalisation of titles and of bodies (Whoosh's
    title_B, body_B), worked out once per row in float8 (in numeric, once per scored word, it
    was a third of the cost of ranking a broad query's matches)."""
    body_avg, title_avg = (max(v, 1.0) for v in lengths)
    return (
        f"1 - {TITLE_B} + {TITLE_B} * title_words::float8 / {title_avg} AS tn, "
        f"1 - {BODY_B} + {BODY_B} * body_words::float8 / {body_avg} AS bn"
    )


def _head_scoring(found: _Plan, p: _Params) -> tuple[list[str], str]:
    """The ts_rank columns of titles and issuers, and their BM25F score (each word with its
    field boost). Ranked only where the row's `hm` (`_head_matched`) says its head holds a
    scored word: elsewhere every rank is 0, and most rows of a broad query match by body alone."""
    ranks, score = [], []
    for i, word in enumerate(found.head):
        query, gate = _bound(word, p)  # one parameter each for the title and the issuer part
        for name, part in ((f"t{i}", TITLE_PART), (f"i{i}", ISSUER_PART)):
            rank = _ranked("head_tsv", part, query, gate)
            ranks.append(f"CASE WHEN hm THEN {rank} ELSE 0 END AS {name}")
        score.append(_bm25(f"t{i}", word.weight * FIELD_BOOSTS["title"], "tn"))
        score.append(_bm25(f"i{i}", word.weight * FIELD_BOOSTS["issuer_text"], "1"))
    return ranks, f"CASE WHEN hm THEN {' + '.join(score)} ELSE 0 END" if score else "0"


def _head_matched(found: _Plan, p: _Params) -> str:
    """The `hm` column: whether the head vector holds any word its score reads."""
    words = list(dict.fromkeys(word.query for word in found.head))
    return f"head_tsv @@ {p(' | '.join(words), '::tsquery')} AS hm" if words else "false AS hm"


def _body_scoring(found: _Plan, p: _Params) -> tuple[list[str], list[str]]:
    """The ts_rank columns and BM25F terms of bodies: each reads the row's long body vector."""
    ranks, score = [], []
    for i, word in enumerate(found.body):
        ranks.append(f"{_ranked('bv', BODY_PART, *_bound(word, p))} AS b{i}")
        score.append(_bm25(f"b{i}", word.weight * FIELD_BOOSTS["body"], "bn"))
    return ranks, score


def _body_bounds(found: _Plan, p: _Params) -> tuple[list[str], list[str], list[str]]:
    """Bounds of each body word's BM25 term, known from the GIN index alone, so no body vector is
    read to choose the candidates: the columns `h0`, `h1`… (the row holds what shows the word
    counts, `_Scored.held`: a hashed set of the ids holding it, one per distinct lexeme), and
    the SQL of each word's floor (its term as if it occurred once; the real term grows with the
    count) and ceiling (K1 + 1 times its weight, which the saturated term never reaches). A
    word without `held` (only positions can show it counts, or more than HELD_SHARE of the
    records hold it) has no floor, and its ceiling counts for every row: the bounds are looser,
    never wrong."""
    held, floors, ceilings = [], [], []
    columns: dict[str, str] = {}
    for word in found.body:
        weight = word.weight * FIELD_BOOSTS["body"]
        if word.held is None:
            ceilings.append(f"{weight * (K1 + 1):.6f}")
            continue
        h = columns.get(word.held)
        if h is None:
            h = columns[word.held] = f"h{len(held)}"
            query = p(word.held, "::tsquery")
            held.append(f"id IN (SELECT id FROM {{t}} WHERE body_tsv @@ {query}) AS {h}")
        floors.append(f"CASE WHEN {h} THEN {weight:.6f} * {K1 + 1} / (1 + {K1} * bn) ELSE 0 END")
        ceilings.append(f"CASE WHEN {h} THEN {weight * (K1 + 1):.6f} ELSE 0 END")
    return held, floors, ceilings


def _select(
    table: str,
    sources: tuple[str, str | None],
    found: _Plan,
    by_date: bool,
    lengths: tuple[float, float],
    p: _Params,
) -> sql.Composable:
    """The query of one search page: the top rows (`limit`), the total and the facet counts.

    `sources` are the conditions of the matching rows (`_sources`). Ranked, the query runs in
    two stages so its costly part, reading body vectors, grows with the page, not with the
    matches: every matching row is counted and gets a cheap score (titles and issuers in full
    where they hold a word, body words by presence, `_body_bounds`); only the best `candidates`
    of those whose ceiling can reach the page read their body vectors for the full BM25F
    score. A row whose only match is in its body still gets its floor there."""
    t = sql.Identifier(table)
    cols = "id, kind, status, issuer, year, level, topic, title_key, sort_date"
    plain, phrase = sources
    if by_date:

        def rows(cond: str) -> str:
            return f"SELECT {cols} FROM {{t}} WHERE {cond}"

        def scored(union: str) -> str:
            return union

        top = (
            f"SELECT {cols}, 0.0::float8 AS score, ARRAY[]::boolean[] AS flags FROM m"
            " ORDER BY sort_date DESC, id LIMIT %(limit)s"
        )
    else:
        head_ranks, head_score = _head_scoring(found, p)
        head_pre = " + ".join([head_score, *found.bonus])
        held, floors, ceilings = _body_bounds(found, p)
        matched = _head_matched(found, p)
        norms = _norms(lengths)

        def rows(cond: str) -> str:
            x = (
                f"SELECT {cols}, doc_number_norm, head_tsv, {norms}, {matched} "
                f"FROM {{t}} WHERE {cond} OFFSET 0"
            )
            y = f"SELECT x.*{''.join(', ' + r for r in head_ranks)} FROM ({x}) x OFFSET 0"
            return f"SELECT {cols}, bn, ({head_pre})::float8 AS hs FROM ({y}) y"

        def scored(union: str) -> str:
            if held:
                union = f"SELECT u.*, {', '.join(held)} FROM ({union}) u OFFSET 0"
            pre, most = " + ".join(["hs", *floors]), " + ".join(["hs", *ceilings])
            return f"SELECT {cols}, hs, {pre} AS pre, {most} AS most FROM ({union}) u"

        top = _full_score(found, lengths, p, cols)
    if phrase is None:
        found_rows = f"m AS MATERIALIZED ({scored(rows(plain))})"
    else:
        found_rows = (
            f"p AS MATERIALIZED ({rows(plain)}),"
            f" m AS MATERIALIZED ({scored('SELECT * FROM p UNION ALL ' + rows(phrase))})"
        )
    facet_cols = ", ".join(FACET_FIELDS)
    sets = ", ".join(["()"] + [f"({f})" for f in FACET_FIELDS])
    text = f"""
        WITH {found_rows},
        top AS ({top}),
        f AS (
            SELECT GROUPING({facet_cols}) AS g, COALESCE({facet_cols}) AS value, count(*) AS n
            FROM m GROUP BY GROUPING SETS ({sets})
        )
        SELECT 0, id, score, title_key, kind, status, sort_date, level, flags, NULL::bigint,
               NULL::int
        FROM top
        UNION ALL
        SELECT 1, value, NULL, NULL, NULL, NULL, NULL, NULL, NULL, n, g FROM f
    """
    return sql.SQL(text.replace("{", "{{").replace("}", "}}").replace("{{t}}", "{t}")).format(t=t)


def _full_score(found: _Plan, lengths: tuple[float, float], p: _Params, cols: str) -> str:
    """The full BM25F score and the asked ideas (`flags`) of the best candidates of `m`: their
    head score (`hs`, titles and issuers in full, and bonuses) as the first score found it, and
    their bodies ranked word by word."""
    need_body = bool(found.body or found.concepts)
    # The body vector read from TOAST once per row, not once per word that ranks it:
    # setweight to the weight it already has is the cheapest copy PostgreSQL makes of it
    # (half the cost of `|| ''`; lawref read p50 27 -> 21 ms).
    bv = ", setweight(body_tsv, 'C') AS bv" if need_body else ""
    # A row whose ceiling is below the floor of the `limit`-th best cannot reach the page
    # (with 1 % to spare: ts_rank's float4 puts one occurrence a hair under the floor), so its
    # body vector is not read.
    needed = "SELECT pre * 0.99 FROM m ORDER BY pre DESC OFFSET %(limit)s - 1 LIMIT 1"
    candidates = (
        f"SELECT id, hs FROM m WHERE most >= coalesce(({needed}), '-infinity')"
        " ORDER BY pre DESC, sort_date DESC, id LIMIT %(candidates)s"
    )
    x = (
        f"SELECT {cols}, hs, head_tsv, {_norms(lengths)}{bv} "
        f"FROM ({candidates}) c JOIN {{t}} USING (id) OFFSET 0"
    )
    body_ranks, body_score = _body_scoring(found, p)
    flags = [
        f"(head_tsv @@ {p(q, '::tsquery')} OR bv @@ {p(q, '::tsquery')}) AS c{i}"
        for i, q in enumerate(found.concepts)
    ]
    ranks = body_ranks + flags
    y = f"SELECT x.*{''.join(', ' + r for r in ranks)} FROM ({x}) x OFFSET 0"
    flag_list = ", ".join(f"c{i}" for i in range(len(found.concepts)))
    score = " + ".join(["hs", *body_score])
    return (
        f"SELECT {cols}, ({score})::float8 AS score, ARRAY[{flag_list}]::boolean[] AS flags"
        f" FROM ({y}) y ORDER BY score DESC, sort_date DESC, id LIMIT %(limit)s"
    )


def _read(conn: psycopg.Connection, query: sql.Composable, params: dict) -> tuple:
    rows: list[_Row] = []
    facets = _no_facets()
    total = 0
    full = (1 << len(FACET_FIELDS)) - 1
    for part, ident, score, key, kind, status, when, level, flags, n, g in conn.execute(
        query, params
    ):
        if part == 0:
            rows.append(_Row(ident, float(score), key, kind, status, when, level, flags or []))
        elif g == full:
            total = int(n)
        elif ident:
            name = FACET_FIELDS[len(FACET_FIELDS) - 1 - (full ^ g).bit_length() + 1]
            facets[name].append((ident, int(n)))
    for name in facets:
        facets[name].sort(key=lambda pair: (-pair[1], pair[0]))
    rows.sort(key=lambda r: (-r.score, -r.sort_date, r.id))
    return rows, facets, total


def _rerank(
    index: PgSearchIndex, plan: QueryPlan, rows: list[_Row], concept_df: list[float], n: float
) -> list[tuple[float, _Row]]:
    """The shared re-ranking (`indexer.ranking.rerank`) of these rows; whether a row holds an
    asked idea was read with it (`_Row.flags`), how rare the idea is from the term counts."""
    weights = []
    for i, concept in enumerate(plan.concepts):
        if concept_df[i]:
            bits = 0
            for d, row in enumerate(rows):
                if row.flags[i]:
                    bits |= 1 << d
            weights.append((concept, math.log(1 + max(n, 1.0) / concept_df[i]), bits))
    candidates = [
        Candidate(d, r.score, r.key, is_current(r.kind, r.status), r.sort_date, r.level or "")
        for d, r in enumerate(rows)
    ]
    places = index.counts.places

    def place(key: str) -> str:
        if key not in places:
            places[key] = place_of(key, index.analyzer.precise_words)
        return places[key]

    return [(score, rows[d]) for score, d in rerank(candidates, weights, plan, place)]


def _hits(
    conn: psycopg.Connection, table: str, chosen: list[tuple[float, _Row]], terms: set[str]
) -> list[SearchHit]:
    if not chosen:
        return []
    found = {
        r[0]: r
        for r in conn.execute(
            sql.SQL(
                "SELECT id, kind, title, status, doc_number, issuer, published_date, signed_date,"
                " effective_date, source_file, related, body_head, level, topic"
                " FROM {} WHERE id = ANY(%s)"
            ).format(sql.Identifier(table)),
            ([row.id for _, row in chosen],),
        )
    }
    hits = []
    for score, row in chosen:
        r = found.get(row.id)
        if r is None:  # deleted between the two reads
            continue
        ident, kind, title, status, number, issuer, published, signed, effective = r[:9]
        source, related, head, level, topic = r[9:]
        when = published or signed or effective
        hits.append(
            SearchHit(
                id=ident,
                kind=kind,
                title=title,
                status=status,
                score=round(float(score), 4),
                snippet=snippet(head, terms),
                doc_number=number,
                issuer=issuer,
                date=when.isoformat() if when else None,
                source_file=source,
                related=list(related or []),
                title_html=highlight(title, terms),
                level=level,
                topic=topic,
            )
        )
    return hits
