"""The hotline's answer finder: a caller's words in, the approved entries that answer them out.

The shared index ranks documents; for Q&A a dedicated in-memory structure does better and is
fast enough to run on every keystroke. It uses the shared analyzer (繁简 folding, the user
dictionary, the admin-edited synonyms) and ranks each entry with BM25 over:

- the words of its best-matching phrasing (the standard question or one of the similar ones),
  with every synonym word folded to one representative of its group on both sides, so 社保 meets
  社会保险 and 娃 meets 子女; plus character bigrams of that phrasing, which rescue words the
  segmenter split differently in the query and in the entry;
- the words of all its phrasings together, for a query that straddles two of them;
- the words of the answer and the topic, weighted low: they break ties, they should not lead.

The last word of a query still being typed also matches longer words it begins, so results make
sense after every keystroke. The structure is rebuilt when the entries or the dictionary change
(one cheap aggregate query per search tells), so every web worker and CLI run sees edits at once.
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from indexer.analyzer import QUERY_STOPWORDS, Analyzer, fold

from ..core import PROJECT_DATA, Library
from ..models import QAEntry
from .entries import entry_dict, load_documents

MAX_QUERY_CHARS = 200
HOTLINE_STATUSES = ("published", "needs_review")
# Field weights: the best phrasing leads, bigrams rescue segmentation, all phrasings together
# help a query straddling two, answer and topic break ties.
W_PHRASE, W_BIGRAM, W_BAG, W_ANSWER, W_TOPIC = 1.0, 0.35, 0.4, 0.25, 0.5
PREFIX_WEIGHT = 0.5
# Results scoring below this share of the best one are noise to an agent on the phone.
MIN_RELATIVE_SCORE = 0.2
MAX_PREFIX_TERMS = 30
K1, B = 1.2, 0.75
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORDISH = re.compile(r"[0-9a-z\u3400-\u9fff]+")
_TRAILING_SEP = re.compile(r"[\s\W_]$")


@dataclass(frozen=True)
class FinderEntry:
    """What the finder needs of an entry; built from the database or from a file by the bench."""

    id: int
    status: str
    question: str
    similar: tuple[str, ...]
    answer: str
    topic: str | None
    external_id: str | None = None


@dataclass(frozen=True)
class Hit:
    entry_id: int
    score: float


def synonym_canon(word: str, neighbours: Callable[[str], tuple[str, ...]]) -> str:
    """One representative for the whole group a synonym word belongs to.

    Groups sharing a word are one group (借钱 借款 + 借款 贷款), so the representative is the
    smallest word reachable through `neighbours`; every word of the group gets the same one.
    """
    seen, todo = {word}, [word]
    while todo:
        for other in neighbours(todo.pop()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return min(seen)


class _Field:
    """Postings and lengths of one view of the entries, scored with BM25.

    Units are entries, or single phrasings of an entry (`unit_entry` maps a unit to its entry);
    document frequencies always count entries, so an entry described by many phrasings does not
    make its own words look common.
    """

    def __init__(self) -> None:
        self.postings: dict[str, dict[int, float]] = defaultdict(dict)
        self.length: dict[int, float] = {}
        self.unit_entry: dict[int, int] = {}

    def add(self, unit: int, entry_id: int, terms: Counter) -> None:
        for term, tf in terms.items():
            self.postings[term][unit] = tf
        self.length[unit] = float(sum(terms.values()))
        self.unit_entry[unit] = entry_id

    def finish(self) -> None:
        self.avg = (sum(self.length.values()) / len(self.length)) if self.length else 1.0
        n = len(set(self.unit_entry.values()))
        self.idf = {}
        for term, posting in self.postings.items():
            df = len({self.unit_entry[u] for u in posting})
            self.idf[term] = math.log(1 + (n - df + 0.5) / (df + 0.5))

    def score(self, terms: dict[str, float], acc: dict[int, float], weight: float) -> None:
        """Add each unit's BM25 score for `terms` (term -> query weight) into `acc`."""
        for term, qweight in terms.items():
            posting = self.postings.get(term)
            if not posting:
                continue
            idf = self.idf[term] * qweight * weight
            for unit, tf in posting.items():
                norm = K1 * (1 - B + B * self.length[unit] / self.avg)
                acc[unit] = acc.get(unit, 0.0) + idf * tf * (K1 + 1) / (tf + norm)


class QAFinder:
    """An in-memory ranking of Q&A entries. Threads may share one: after building, the only state
    that changes is a cache of synonym representatives."""

    def __init__(self, analyzer: Analyzer, entries: Iterable[FinderEntry]) -> None:
        self.analyzer = analyzer
        self._canon: dict[str, str] = {}
        self.status: dict[int, str] = {}
        self.external: dict[str, int] = {}
        self.phrases, self.bigrams, self.answers, self.topics = (
            _Field(),
            _Field(),
            _Field(),
            _Field(),
        )
        self.bags = _Field()
        for e in entries:
            self._add(e)
        for f in (self.phrases, self.bigrams, self.answers, self.topics, self.bags):
            f.finish()
        self.vocabulary = sorted(self.phrases.postings)

    def __len__(self) -> int:
        return len(self.status)

    def words(self, text: str) -> list[str]:
        """Canonical words of a text, stopwords dropped, in order."""
        return [w for w, _, _ in self._tokens(text)]

    def _canonical(self, word: str) -> str:
        canon = self._canon.get(word)
        if canon is None:
            canon = synonym_canon(word, lambda w: self.analyzer.synonyms.find(w).get(w, ()))
            self._canon[word] = canon
        return canon

    def _synonym_spans(self, folded: str) -> list[tuple[int, int, str]]:
        """(start, end, canonical word) of each synonym word in the text, longest words first,
        never overlapping: 社保卡 is one word, not 社保 + 卡."""
        spans: list[tuple[int, int, str]] = []
        for word in sorted(self.analyzer.synonyms.find(folded), key=len, reverse=True):
            for m in re.finditer(re.escape(word), folded):
                if all(m.end() <= s or m.start() >= e for s, e, _ in spans):
                    spans.append((m.start(), m.end(), self._canonical(word)))
        return spans

    def _tokens(self, text: str) -> list[tuple[str, int, int]]:
        """(word, start, end) in the folded text, stopwords dropped, synonyms canonical.

        A synonym word is atomic: the pieces segmentation makes of it (自由, 职业 inside
        自由职业者) are dropped, so an entry that spells one word of a group out literally does
        not outrank one using another word of the same group.
        """
        folded = fold(text)
        spans = self._synonym_spans(folded)
        out = [(canon, start, end) for start, end, canon in spans]
        for word, start, end in self._split_guesses(self.analyzer.tokens_of_folded(folded)):
            if word in QUERY_STOPWORDS or any(s <= start and end <= e for s, e, _ in spans):
                continue
            out.append((word, start, end))
        return sorted(out, key=lambda t: (t[1], t[2]))

    def char_bigrams(self, text: str) -> list[str]:
        """Bigrams of the meaningful stretches of a text (stopwords cut the stretches)."""
        folded = fold(text)
        keep = [False] * len(folded)
        for _, start, end in self._tokens(text):
            keep[start:end] = [True] * (end - start)
        grams = []
        for i in range(len(folded) - 1):
            if keep[i] and keep[i + 1] and _CJK.match(folded[i]) and _CJK.match(folded[i + 1]):
                grams.append(folded[i : i + 2])
        return grams

    def _split_guesses(self, tokens: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
        """Words jieba's HMM guessed (能贷, 娃上) fall back to dictionary pieces (能 贷, 娃 上).

        A caller's colloquial sentence glues a stopword to a key word far more often than it
        names a new word, and the glued form would match nothing.
        """
        # The analyzer offers no public "is this a dictionary word"; its segmenter answers it.
        seg = getattr(self.analyzer, "_seg", None)
        if seg is None:
            return tokens
        out = []
        for word, start, end in tokens:
            if len(word) < 2 or seg.has_word(word) or not _CJK.search(word):
                out.append((word, start, end))
                continue
            pos = start
            for piece in seg.cut(word, False):
                out.append((piece, pos, pos + len(piece)))
                pos += len(piece)
        return out

    def _add(self, e: FinderEntry) -> None:
        self.status[e.id] = e.status
        if e.external_id:
            self.external[fold(e.external_id).strip()] = e.id
        bag: Counter = Counter()
        for text in (e.question, *e.similar):
            unit = len(self.phrases.length)
            words = self.words(text)
            self.phrases.add(unit, e.id, Counter(words))
            self.bigrams.add(unit, e.id, Counter(self.char_bigrams(text)))
            bag.update(set(words))
        self.bags.add(e.id, e.id, bag)
        self.answers.add(e.id, e.id, Counter(self.words(e.answer)))
        self.topics.add(e.id, e.id, Counter(self.words(e.topic or "")))

    def _query_terms(self, query: str) -> tuple[dict[str, float], dict[str, float]]:
        words = self.words(query)
        terms = dict.fromkeys(words, 1.0)
        if words and not _TRAILING_SEP.search(query):
            last = words[-1]
            start = bisect_left(self.vocabulary, last)
            for term in self.vocabulary[start : start + MAX_PREFIX_TERMS]:
                if not term.startswith(last):
                    break
                terms.setdefault(term, PREFIX_WEIGHT)
        grams = dict.fromkeys(self.char_bigrams(query), 1.0)
        return terms, grams

    def search(
        self, query: str, statuses: Sequence[str] = ("published",), limit: int = 10
    ) -> list[Hit]:
        query = (query or "")[:MAX_QUERY_CHARS]
        if not query.strip():
            return []
        terms, grams = self._query_terms(query)
        units: dict[int, float] = {}
        self.phrases.score(terms, units, W_PHRASE)
        self.bigrams.score(grams, units, W_BIGRAM)
        # An entry is as good as its best phrasing: the question a caller's words come closest to.
        acc: dict[int, float] = {}
        for unit, score in units.items():
            entry_id = self.phrases.unit_entry[unit]
            acc[entry_id] = max(acc.get(entry_id, 0.0), score)
        # ... plus the words of all its phrasings together, for queries that straddle two.
        self.bags.score(terms, acc, W_BAG)
        self.answers.score(terms, acc, W_ANSWER)
        self.topics.score(terms, acc, W_TOPIC)
        exact = self.external.get(fold(query).strip())
        if exact is not None:
            acc[exact] = max(acc.values(), default=0.0) + 1.0
        allowed = set(statuses)
        ranked = sorted(
            ((s, i) for i, s in acc.items() if self.status.get(i) in allowed),
            key=lambda p: (-p[0], p[1]),
        )
        floor = ranked[0][0] * MIN_RELATIVE_SCORE if ranked else 0.0
        return [Hit(i, round(s, 4)) for s, i in ranked[:limit] if s >= floor]


# --- the finder kept in step with the database -------------------------------------------------

DICTIONARY_DIR = PROJECT_DATA / "dict"
_cache: dict[str, tuple[tuple, QAFinder]] = {}
_cache_lock = threading.Lock()


def _dictionary_stamp(directory: Path) -> tuple:
    if not directory.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in directory.glob("*.txt")))


def _entries_stamp(session: Session) -> tuple:
    """Changes whenever an entry is added, edited, re-statused or removed (cheap: one aggregate)."""
    published = func.sum(case((QAEntry.status == "published", QAEntry.id), else_=0))
    review = func.sum(case((QAEntry.status == "needs_review", QAEntry.id), else_=0))
    row = session.execute(
        select(
            func.count(QAEntry.id),
            func.max(QAEntry.updated_at),
            func.sum(QAEntry.version),
            published,
            review,
        )
    ).one()
    return tuple(str(v) for v in row)


def finder_entries(session: Session) -> list[FinderEntry]:
    # In id order: entries scoring alike keep one order on SQLite and PostgreSQL alike.
    stmt = select(QAEntry).where(QAEntry.status.in_(HOTLINE_STATUSES)).order_by(QAEntry.id)
    return [
        FinderEntry(
            id=e.id,
            status=e.status,
            question=e.question,
            similar=tuple(e.similar or ()),
            answer=e.answer,
            topic=e.topic,
            external_id=e.external_id,
        )
        for e in session.scalars(stmt)
    ]


def get_finder(lib: Library, session: Session) -> QAFinder:
    """The finder for this library, rebuilt only when the entries or the dictionary changed."""
    key = lib.settings.database_url
    stamp = (_entries_stamp(session), _dictionary_stamp(DICTIONARY_DIR))
    with _cache_lock:
        cached = _cache.get(key)
        if cached and cached[0] == stamp:
            return cached[1]
    finder = QAFinder(Analyzer(DICTIONARY_DIR), finder_entries(session))
    with _cache_lock:
        _cache[key] = (stamp, finder)
    return finder


def search_entries(
    lib: Library,
    query: str,
    *,
    statuses: Sequence[str] = ("published",),
    limit: int = 10,
) -> list[dict]:
    """Ranked entries as dicts (the API contract plus `score`), each with its basis documents."""
    with lib.db.session() as session:
        hits = get_finder(lib, session).search(query, statuses, limit)
        if not hits:
            return []
        ids = [h.entry_id for h in hits]
        stmt = select(QAEntry).where(QAEntry.id.in_(ids)).options(selectinload(QAEntry.bases))
        entries = {e.id: e for e in session.scalars(stmt)}
        docs = load_documents(session, entries.values())
        out = []
        for hit in hits:
            entry = entries.get(hit.entry_id)
            if entry is not None and entry.status in statuses:
                out.append(entry_dict(entry, docs) | {"score": hit.score})
        return out
