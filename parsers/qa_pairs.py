"""Split an interpretation written as numbered questions and answers into (question, answer) pairs.

Interpretations (政策解读) are often a preamble followed by numbered questions such as
"一、《要点》的出台基于什么样的政策背景？" each with its answer below. Answers themselves contain
numbered points ("一是…", "（一）…"), so only headings that read as questions count, and only in
one numbering style with consecutive numbers: a stray "二、" inside an answer does not start a pair.
The "问：… 答：…" layout is recognised too. Pure text in, pairs out: no database, no index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import clean_litter

CN_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))

# Numbered headings, one pattern per numbering style: 一、 / （一） / 1. 1、 / Q1:
_STYLES: dict[str, re.Pattern[str]] = {
    "cn": re.compile(r"^(?P<num>[一二三四五六七八九十百零〇两]{1,4})\s*[、，,．.]\s*(?P<rest>.+)$"),
    "cn_paren": re.compile(
        r"^[（(]\s*(?P<num>[一二三四五六七八九十百零〇两]{1,4})\s*[）)]\s*(?P<rest>.+)$"
    ),
    "arabic": re.compile(r"^(?P<num>\d{1,3})\s*(?:[、，．.)）]|\s)(?!\d)\s*(?P<rest>.+)$"),
    "q": re.compile(r"^(?:Q|问题)\s*(?P<num>\d{1,3})\s*[:：.、．]?\s*(?P<rest>.+)$", re.I),
}
_ASK = re.compile(r"^(?:问|问题|提问|Q)\s*[:：]\s*(?P<rest>.+)$", re.I)
_ANSWER = re.compile(r"^(?:答|回答|解答|A)\s*[:：]\s*", re.I)

_INTERROGATIVE = re.compile(
    r"什么|什麼|哪些|哪里|哪裡|哪个|如何|怎么|怎麼|怎样|怎樣|是否|为何|為何|为什么|為什麼|多少|"
    r"能否|可否|可以吗|吗|嗎|呢|何时|何時|谁|誰|几|幾"
)
_MAX_QUESTION = 120
# 《2024年…工作要点》(以下简称《要点》): the short form interpretations use in their questions.
_ABBREVIATION = re.compile(
    r"《(?P<full>[^《》]{2,100})》\s*[（(]\s*以下[简簡][称稱]\s*[“\"]?《?(?P<short>[^《》）)”\"]{1,20})》?[”\"]?\s*[）)]"
)


@dataclass
class QAPair:
    number: int  # position in the interpretation's own numbering, 1-based
    question: str  # without its number, ending in a full-width question mark where it had one
    answer: str  # paragraphs joined by newlines
    line: int  # 1-based line of the question in the text given


def cn_number(value: str) -> int | None:
    """一 -> 1, 十二 -> 12, 二十 -> 20, 3 -> 3; None for anything else."""
    if value.isdigit():
        return int(value)
    total, current = 0, 0
    for ch in value:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current or None


def _is_question(text: str) -> bool:
    text = text.strip()
    if not text or len(text) > _MAX_QUESTION:
        return False
    if text[-1] in "?？":
        return True
    return len(text) <= 60 and text[-1] not in "。；;：:" and bool(_INTERROGATIVE.search(text))


def _split_inline(rest: str) -> tuple[str, str]:
    """'如何申领？需携带身份证…' on one line: the question ends at its question mark."""
    m = re.search(r"[?？]", rest)
    if m and m.end() < len(rest):
        tail = _ANSWER.sub("", rest[m.end() :].strip())
        return rest[: m.end()], tail
    return rest, ""


def _finish_question(text: str) -> str:
    text = text.strip()
    return text[:-1] + "？" if text.endswith("?") else text


def _headings(lines: list[str]) -> list[tuple[int, int, str, str]]:
    """(line index, number, question, inline answer) of the question headings that form the sequence.

    The style of the first question-like heading is the document's style; later headings count only
    in that style and with the next number, so numbered points inside answers stay answer text.
    """
    found: list[tuple[int, int, str, str]] = []
    style: str | None = None
    for idx, line in enumerate(lines):
        for name, pattern in _STYLES.items():
            if style is not None and name != style:
                continue
            m = pattern.match(line)
            if not m:
                continue
            number = cn_number(m["num"])
            question, inline = _split_inline(m["rest"])
            expected = found[-1][1] + 1 if found else None
            if number is None or not _is_question(question):
                continue
            if expected is not None and number != expected:
                continue
            style = name
            found.append((idx, number, question, inline))
            break
    return found


def _ask_answer(lines: list[str]) -> list[tuple[int, int, str, str]]:
    """The 问：… 答：… layout, numbered by order of appearance."""
    found = []
    for idx, line in enumerate(lines):
        m = _ASK.match(line)
        if m:
            question, inline = _split_inline(m["rest"])
            found.append((idx, len(found) + 1, question, inline))
    return found


def split_qa_pairs(text: str) -> list[QAPair]:
    """The numbered questions of an interpretation with the text under each as its answer.

    Text before the first question (the preamble) belongs to no pair. A question with no answer
    text is dropped: an entry without an answer helps nobody on the phone.
    """
    lines = [ln.strip() for ln in clean_litter(text or "").splitlines()]
    headings = _headings(lines)
    if len(headings) < 2:
        headings = _ask_answer(lines) or headings
    pairs: list[QAPair] = []
    for pos, (idx, number, question, inline) in enumerate(headings):
        end = headings[pos + 1][0] if pos + 1 < len(headings) else len(lines)
        body = [inline] if inline else []
        body += [ln for ln in lines[idx + 1 : end] if ln]
        if body:
            body[0] = _ANSWER.sub("", body[0])
        answer = "\n".join(b for b in body if b).strip()
        if answer:
            pairs.append(QAPair(number, _finish_question(question), answer, idx + 1))
    return pairs


def abbreviations(text: str) -> dict[str, str]:
    """Short titles the text defines with 以下简称, each mapped to its full title (both in 《》)."""
    found = {}
    for m in _ABBREVIATION.finditer(clean_litter(text or "")):
        found.setdefault(f"《{m['short'].strip()}》", f"《{m['full'].strip()}》")
    return found


def expand_abbreviations(question: str, short_forms: dict[str, str]) -> str:
    """The question with each defined short title replaced by the full one, so it stands alone."""
    for short, full in short_forms.items():
        question = question.replace(short, full)
    return question
