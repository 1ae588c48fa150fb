"""The ranking a user would call right, one set of rules for both backends.

Each backend scores the words (BM25F with the constants below, title weighted far above body,
synonyms a little below the word typed). The best RERANK_WINDOW hits are then re-ordered here on
what a reader means by "the right document": a record holding every asked idea beats one holding
one of them often; a title that is what was asked beats one that only mentions it; a rule of the
place named comes first; of several versions of one title the current, then the newest, comes
first; a record no longer current sinks a little.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .query import Concept, QueryPlan

# BM25F with short-field normalisation for titles; body length matters less for long laws.
K1 = 1.2
TITLE_B = 0.9
BODY_B = 0.6

RERANK_WINDOW = 120
TITLE_COVERAGE_WEIGHT = 1.5  # all asked words in the title multiplies the score by 2.5
COORDINATION_POWER = 1.0
NOT_CURRENT_FACTOR = 0.7
# The law itself before the rules made under it, when both answer the words equally well.
LEVEL_FACTORS = {"法律": 1.4, "行政法规": 1.15}
PLACE_SUFFIXES = frozenset("省市县区州旗盟")
_IMPLEMENTING = re.compile(r"(实施条例|实施细则|实施办法)$")
PLACE_NAMED_FACTOR = 1.5
PLACE_OTHER_FACTOR = 0.25

# An asked idea, its weight (idf: how rare it is), and the bit set of candidates holding it
# (bit n: the candidate whose `ref` is n).
IdeaWeight = tuple[Concept, float, int]


@dataclass(frozen=True)
class Candidate:
    """One hit of the first, word-scored pass, with what the rules need to know of it."""

    ref: int  # the backend's handle: a Whoosh document number, a row position
    score: float
    key: str  # record_keys.title_key of its title
    current: bool
    date: int  # sort date as YYYYMMDD, 0 if none
    level: str


def rerank(
    candidates: list[Candidate],
    weights: list[IdeaWeight],
    plan: QueryPlan,
    place_of: Callable[[str], str],
) -> list[tuple[float, int]]:
    """(score, ref) of the candidates, best first. `place_of(title key)` names the place a title
    is local to (see `place_of` below; backends keep it cached)."""
    if not candidates:
        return []
    facts = {c.ref: (c.key, c.current, c.date) for c in candidates}
    held = coordination(weights, set(facts))
    sinking = outdated(facts)
    by_title: dict[str, float] = {}  # versions of one title share their title factors
    scored = []
    for c in candidates:
        if c.key not in by_title:
            by_title[c.key] = (1.0 + TITLE_COVERAGE_WEIGHT * coverage(weights, c.key)) * (
                place_factor(place_of(c.key), plan)
            )
        factor = held.get(c.ref, 1.0) ** COORDINATION_POWER * by_title[c.key]
        factor *= LEVEL_FACTORS.get(c.level, 1.0)
        if c.ref in sinking:
            factor *= NOT_CURRENT_FACTOR
        scored.append((c.score * factor, c.ref))
    scored.sort(key=lambda p: -p[0])
    return versions_in_order(scored, facts)


def place_of(key: str, precise_words: Callable[[str], list[str]]) -> str:
    """A title starting with a place name (its first word ends in 省/市/县/区/州/旗/盟 after two
    or more characters) is local to it; the stem without the suffix is what people type."""
    words = precise_words(key[:12])
    first = words[0] if words else ""
    for i in range(2, len(first)):
        if first[i] in PLACE_SUFFIXES:
            # 上海市 / 四川省人民政府 are places; 行政区域 is not
            return first[:i] if i == len(first) - 1 or first[i + 1 :].startswith("人民") else ""
    return ""


def place_factor(place: str, plan: QueryPlan) -> float:
    """A rule of the place the user named comes first; a rule of another place, when the user
    named none or another one, comes after the national rule on the same subject."""
    if not place:
        return 1.0
    return PLACE_NAMED_FACTOR if place[:2] in plan.key else PLACE_OTHER_FACTOR


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


def coordination(weights: list[IdeaWeight], refs: set[int]) -> dict[int, float]:
    """Weighted share of the asked ideas each record holds: a record holding every idea, above
    all the distinctive ones (偷税 more than 企业), beats one holding one idea often or in its
    title."""
    asked = sum(w for _, w, _ in weights)
    if not asked:
        return {}
    held = {d: sum(w for _, w, bits in weights if bits >> d & 1) for d in refs}
    least = min((w for w in held.values() if w), default=asked) / asked
    return {d: max(w / asked, least) for d, w in held.items()}


def coverage(weights: list[IdeaWeight], key: str) -> float:
    """Weighted share of the asked ideas that the title holds (or a synonym of, or part of)."""
    total = sum(w for _, w, _ in weights)
    if not total or not key:
        return 0.0
    return sum(w * c.title_credit(key) for c, w, _ in weights) / total


def versions_in_order(scored: list, facts: dict) -> list:
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
    place = {ref: i for i, (_, ref) in enumerate(scored)}
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
