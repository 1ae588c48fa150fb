"""From what a user typed to a query plan, without ever raising.

There is no query syntax to get wrong: quoted text is a phrase that must occur exactly, a 文号
finds its document, everything else is words. Operators (AND, OR, NOT, +, -, *) and symbols are
treated as the punctuation they are to a citizen; a paste of any length is cut to its first words.
The plan (`plan_query`) and the field weights are what both backends search by; each backend
turns the plan into its own query (`backends/whoosh_query.py`, `backends/postgres_search.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .analyzer import QUERY_STOPWORDS, Analyzer, fold
from .record_keys import title_key

MAX_QUERY_CHARS = 2000
MAX_TERMS = 48
MAX_PHRASES = 8
MAX_PHRASE_WORDS = 32

# Per-field weights: a word in the title says far more about a record than one in its body.
FIELD_BOOSTS = {"title": 3.0, "alt": 3.0, "issuer_text": 1.5, "body": 1.0}
SYNONYM_WEIGHT = 0.8  # an alias found is nearly as good as the word typed
TITLE_EXACT_BOOST = 40.0
DOC_NUMBER_BOOST = 500.0

_PHRASE = re.compile(r'"([^"]*)"|“([^”]*)”|「([^」]*)」|『([^』]*)』')
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SINGLE_CJK = re.compile(r"[\u3400-\u9fff]")
MIN_COMMON_DF = 300  # in a small library nothing is skipped: it costs nothing there
COMMON_SHARE = 0.15  # a word in more than this share of bodies is matched in titles only


@dataclass
class Concept:
    """One idea of a query: what was typed, the known words inside it, and its synonyms."""

    surface: str  # as typed, folded ("个人信息", "低保")
    parts: list[str]  # search-mode words inside it (个人, 信息)
    synonyms: list[list[str]]  # each synonym as its words (["最低生活保障"], ["驾驶", "机动车"])

    def word_lists(self) -> list[list[str]]:
        """Everything that shows a record holds the idea; a list must occur whole."""
        return [[self.surface], *([p] for p in self.parts), *self.synonyms]

    def title_credit(self, key: str) -> float:
        """1 when a title holds the idea (or a synonym), else the share of it a part covers."""
        if self.surface in key or any("".join(s) in key for s in self.synonyms):
            return 1.0
        return max((len(p) for p in self.parts if p in key), default=0) / len(self.surface)


@dataclass
class QueryPlan:
    """What a query asks for, analysed once and used for matching, ranking and highlighting."""

    text: str
    terms: list[str] = field(default_factory=list)  # free words, search mode, stopwords out
    words: list[str] = field(default_factory=list)  # free words, precise mode, for title coverage
    phrases: list[list[tuple[str, int]]] = field(default_factory=list)  # (word, offset) each
    phrase_texts: list[str] = field(default_factory=list)
    doc_numbers: list[str] = field(default_factory=list)  # normalised
    key: str = ""  # title_key of the whole query
    # synonym word found in the query -> the other words of its groups
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # each of those other words -> its own words with offsets (one word, or an exact phrase)
    alternatives: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    # what was asked, one entry per idea ("网上", "个人信息", "泄露"): the words and synonyms that
    # stand for it, for counting how many of the asked ideas a record holds
    concepts: list[Concept] = field(default_factory=list)
    folded_rest: str = ""  # the folded text outside quoted phrases

    @property
    def empty(self) -> bool:
        return not (self.terms or self.phrases or self.doc_numbers)

    def highlight_terms(self) -> set[str]:
        """What to mark in titles and snippets; single characters only when nothing longer was
        asked (marking every 号 or 的 of a text helps no reader)."""
        found = {t for t in set(self.terms) | set(self.phrase_texts) | set(self.alternatives) if t}
        return {t for t in found if len(t) > 1} or found

    def analysed_terms(self) -> list[str]:
        """The terms as a user-facing list: phrases whole, then the words."""
        return list(dict.fromkeys(self.phrase_texts + self.terms))


def plan_query(text: str, analyzer: Analyzer, doc_numbers: Iterable[str] = ()) -> QueryPlan:
    """The plan of what a user typed. `doc_numbers` are the normalised 文号 the caller found in
    the text (the library reads them with `parsers.docnumber`; the indexer parses no 文号)."""
    raw = _CONTROL.sub(" ", text or "")[:MAX_QUERY_CHARS].strip()
    plan = QueryPlan(text=raw)
    if not raw:
        return plan
    plan.doc_numbers = list(dict.fromkeys(n for n in doc_numbers if n))
    folded = fold(raw)
    rest = folded
    for m in list(_PHRASE.finditer(folded))[:MAX_PHRASES]:
        inner = next(g for g in m.groups() if g is not None).strip()
        words = _phrase_words(inner, analyzer)
        rest = rest.replace(m.group(0), " ", 1)
        if words:
            plan.phrases.append(words)
            plan.phrase_texts.append(inner)
    plan.key = title_key(folded)
    plan.folded_rest = rest
    tokens = analyzer.tokens_of_folded(rest)
    plan.terms = _drop_stopwords(list(dict.fromkeys(w for w, _, _ in tokens)))[:MAX_TERMS]
    precise = analyzer.tokens_of_folded(rest, mode="default")
    plan.words = _drop_stopwords(list(dict.fromkeys(w for w, _, _ in precise)))[:MAX_TERMS]
    found = analyzer.synonyms.find_spans(rest)
    plan.synonyms = {w: alts for w, (alts, _) in found.items() if w not in QUERY_STOPWORDS}
    for alts in plan.synonyms.values():
        for alt in alts:
            if alt not in plan.alternatives and alt not in plan.terms:
                plan.alternatives[alt] = _phrase_words(alt, analyzer)
    plan.concepts = _concepts(plan, tokens, precise, found)
    return plan


def _concepts(plan: QueryPlan, tokens: list, precise: list, found: dict) -> list[Concept]:
    """Group what was typed into ideas: each precise word is one, a synonym found in the query is
    one (absorbing the words it overlaps); ideas with the same words (偷税漏税) count once."""
    spans: list[tuple[int, int, list[list[str]]]] = []
    for word, (alts, (start, end)) in found.items():
        if word in plan.synonyms:
            alt_words = [[w for w, _ in plan.alternatives.get(a, [(a, 0)])] for a in alts]
            spans.append((start, end, alt_words))
    kept = set(plan.words)
    for word, start, end in precise:
        if word in kept and not any(s < end and start < e for s, e, _ in spans):
            spans.append((start, end, []))
    out: list[Concept] = []
    seen: set[frozenset] = set()
    terms = set(plan.terms)
    for start, end, synonyms in sorted(spans):
        surface = plan.folded_rest[start:end]
        # A single character (打, 分, 税) is weak evidence of an idea: it is left out.
        parts = [w for w, s, e in tokens if start <= s and e <= end and w in terms and len(w) > 1]
        concept = Concept(surface, [p for p in parts if p != surface], synonyms)
        words = frozenset("".join(g) for g in concept.word_lists())
        if len(surface) > 1 and words not in seen:
            seen.add(words)
            out.append(concept)
    return out[:MAX_TERMS]


def _drop_stopwords(words: list[str]) -> list[str]:
    """Question words go, unless nothing else is left ("怎么办" alone still searches)."""
    kept = [w for w in words if w not in QUERY_STOPWORDS]
    return kept or words


def _phrase_words(inner: str, analyzer: Analyzer) -> list[tuple[str, int]]:
    """Non-overlapping words of a phrase with their offsets from its first word."""
    out: list[tuple[str, int]] = []
    start = None
    for word, begin, _end in analyzer.tokens_of_folded(inner, mode="default"):
        if start is None:
            start = begin
        out.append((word, begin - start))
    return out[:MAX_PHRASE_WORDS]


def synonym_phrases(analyzer: Analyzer) -> dict[str, tuple[tuple[str, int], ...]]:
    """The synonyms that a query looks for as several words at their offsets (`alternatives`
    of more than one word), with those words: what an index may mark where each occurs."""
    out = {}
    for alt in analyzer.synonyms.words():
        words = _phrase_words(alt, analyzer)
        if len(words) > 1:
            out[alt] = tuple(words)
    return out


def common_limit(records: int) -> float:
    """Above this many records, a word is too common to select records by: both backends match
    such a word in titles only (a small library skips nothing: it costs nothing there)."""
    return max(COMMON_SHARE * records, MIN_COMMON_DF)


def is_single_cjk(word: str) -> bool:
    """One Chinese character: too vague to select bodies by, in either backend."""
    return bool(_SINGLE_CJK.fullmatch(word))
