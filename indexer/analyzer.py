"""Text analysis shared by indexing and querying: fold, segment, drop punctuation, expand synonyms.

Folding (converter pinyin litter removed, full-width to half-width, lower case, traditional to
simplified with OpenCC) keeps the length of the text once the litter is gone, so a match found in
the folded text is highlighted at the same offsets of the reader's text.

Segmentation is jieba's search mode through `rjieba` (the same dictionary and algorithm as jieba,
in Rust, ten times faster), plus the project's user dictionary of government terms.

Synonyms are expanded at query time, not index time: admins edit `synonyms.txt` and the change
takes effect within seconds without a rebuild, and the index does not grow by every alias of every
word. They are found in the query by substring and each alternative is searched as the words it is
made of (one word, or an exact phrase), so they need no dictionary entry either. Only a new
user-dictionary word needs a rebuild for old documents to be split at it.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import opencc
import rjieba
from whoosh.analysis import Token, Tokenizer
from whoosh.formats import Positions

USERDICT_NAME = "userdict.txt"
SYNONYMS_NAME = "synonyms.txt"

# Pinyin left by a web converter after each traditional character: 統(tǒng)籌, 關(guān)于.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN_LITTER = re.compile(
    r"(?<=[\u3400-\u9fff])[(（](?=[a-zü"
    + _TONED
    + r"]*["
    + _TONED
    + r"])[a-zü"
    + _TONED
    + r"]{1,7}[)）]"
)
_TONED_CHAR = re.compile("[" + _TONED + "]")
# Full-width letters and digits, folded one character for one character.
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF5B)}
_FULL_WIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
# A token worth indexing holds a letter, a digit or a CJK character; punctuation is dropped.
_WORDISH = re.compile(r"[0-9a-z\u3400-\u9fff\uf900-\ufaff]")

# Words that carry no meaning in a citizen's question; dropped from queries, kept in the index so
# a quoted phrase still matches exactly.
QUERY_STOPWORDS = frozenset(
    """的 了 吗 呢 吧 啊 呀 么 嘛 和 与 及 或 或者 是 在 有 没有 被 把 给 对 向 从 让 请问 请 问 一下
    不 不是 没 一些 有些 这样 那样 我 我们 你 你们 他 她 它 他们 自己 人家 这 那 这个 那个 这些 那些 哪 哪个 哪些 哪里 哪儿
    什么 怎么 怎么样 怎样 如何 为什么 为何 多少 几 能 能不能 可以 可不可以 会 会不会 要 需要 应该 该
    怎么办 咋 咋办 啥 都 也 就 还 又 再 很 最 太 是不是 有没有 一个 个 想 想要 知道 了解
    搞 弄 弄丢 去 来 到 得 地 着 过 上 下 中 里 后 前 时 时候 之后 以后 之前 现在 今年 如果 要是
    the a an and or not of to in on for is are""".split()  # noqa: SIM905 - a word list reads as text
)

# Words seen, and whether they are words: a dict hit is cheaper than a regex per token.
_IS_WORD: dict[str, bool] = {}
_IS_WORD_MAX = 500_000

_SYNONYMS_RECHECK_SECONDS = 2.0

_converter_lock = threading.Lock()
_converter: opencc.OpenCC | None = None


def _t2s() -> opencc.OpenCC:
    global _converter
    with _converter_lock:
        if _converter is None:
            _converter = opencc.OpenCC("t2s")
        return _converter


def _fold_same_length(text: str) -> str:
    """Width, case and script folding that maps one character to one character. Only full-width
    letters and digits are folded: full-width punctuation splits words like its ASCII twin, and
    `str.translate` over a whole Chinese text is the slowest step of folding."""
    if _FULL_WIDTH_ALNUM.search(text):
        text = text.translate(_WIDTH)
    text = text.lower()
    out = _t2s().convert(text)
    if len(out) != len(text):  # never seen with t2s, but offsets must stay honest
        out = "".join(_t2s().convert(c) or c for c in text)
    return out


def strip_litter(text: str) -> str:
    """The text as a reader should see it: converter pinyin litter gone, script and case kept."""
    text = text or ""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _PINYIN_LITTER.sub("", text) if _TONED_CHAR.search(text) else text


def fold_clean(clean: str) -> str:
    """Fold a text already through `strip_litter`; the result has exactly its length, so offsets
    found in the folded text mark the same characters in the clean one."""
    return _fold_same_length(clean)


def fold(text: str) -> str:
    """The form every text is indexed and every query is matched in."""
    return _fold_same_length(strip_litter(text))


@dataclass(frozen=True)
class UserDictionary:
    """The words of `userdict.txt`, folded. They change how texts are split, so an index built
    with other words is flagged (`SearchIndex.info()["dictionary_changed"]`) until rebuilt."""

    words: tuple[tuple[str, int | None, str | None], ...]
    fingerprint: str

    @classmethod
    def load(cls, directory: Path | None) -> UserDictionary:
        path = directory / USERDICT_NAME if directory else None
        if path is None or not path.exists():
            return cls((), "none")
        data = path.read_bytes()
        return cls(tuple(_read_userdict(path)), hashlib.sha256(data).hexdigest()[:16])


class Synonyms:
    """Groups of `synonyms.txt`, re-read when the file changes, found in a query by substring
    (longest first), so a group needs no dictionary word and no rebuild."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stamp: tuple | None = None
        self._checked = 0.0
        self._groups: dict[str, tuple[str, ...]] = {}
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def find(self, folded: str) -> dict[str, tuple[str, ...]]:
        """Each synonym word found in the (folded) text, with the other words of its groups."""
        return {word: alts for word, (alts, _) in self.find_spans(folded).items()}

    def find_spans(self, folded: str) -> dict[str, tuple[tuple[str, ...], tuple[int, int]]]:
        """Like `find`, with where each word was found."""
        self._reload_if_changed()
        if self._pattern is None:
            return {}
        found = {}
        for m in self._pattern.finditer(folded):
            word = m.group(0)
            word = word if word in self._groups else word.replace(_PARTICLE, "")
            found[word] = (self._groups[word], m.span())
        return found

    def words(self) -> list[str]:
        """Every word of every group, as a query may ask for it."""
        self._reload_if_changed()
        return list(self._groups)

    def _reload_if_changed(self) -> None:
        now = time.monotonic()
        if self.path is None or now - self._checked < _SYNONYMS_RECHECK_SECONDS:
            return
        with self._lock:
            self._checked = now
            try:
                st = self.path.stat()
                stamp: tuple | None = (st.st_mtime_ns, st.st_size)
            except FileNotFoundError:
                stamp = None
            if stamp == self._stamp:
                return
            groups: dict[str, tuple[str, ...]] = {}
            for group in _read_synonyms(self.path) if stamp else ():
                for word in group:
                    others = tuple(w for w in group if w != word)
                    groups[word] = tuple(dict.fromkeys(groups.get(word, ()) + others))
            keys = sorted(groups, key=len, reverse=True)
            self._groups = groups
            self._pattern = re.compile("|".join(map(_loose, keys))) if keys else None
            self._stamp = stamp


_PARTICLE = "了"


def _loose(word: str) -> str:
    """A synonym as a pattern that also finds it with 了 typed inside (吃坏了肚子, 喝了酒): people
    put the particle between the characters of a phrase the list holds without it."""
    if _PARTICLE in word:
        return re.escape(word)
    return f"{_PARTICLE}?".join(map(re.escape, word))


def _lines(path: Path) -> Iterator[list[str]]:
    if not path.exists():
        return
    for raw in path.read_text(encoding="utf-8-sig").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            yield line.split()


def _read_userdict(path: Path) -> Iterator[tuple[str, int | None, str | None]]:
    """jieba's format: `word [freq] [tag]`, one per line."""
    for parts in _lines(path):
        word = fold(parts[0])
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        yield word, freq, tag


def _read_synonyms(path: Path) -> Iterator[tuple[str, ...]]:
    for parts in _lines(path):
        group = tuple(dict.fromkeys(fold(p) for p in parts))
        if len(group) > 1:
            yield group


_segmenters: dict[tuple, rjieba.Jieba] = {}
_segmenters_lock = threading.Lock()


def _segmenter(dictionary: UserDictionary) -> rjieba.Jieba:
    """One jieba instance per user dictionary, shared by every analyzer in the process."""
    with _segmenters_lock:
        seg = _segmenters.get(dictionary.words)
        if seg is None:
            seg = rjieba.Jieba()
            for word, freq, tag in dictionary.words:
                # Without a frequency, rjieba picks one that keeps the word whole.
                seg.add_word(word, freq, tag)
            _segmenters[dictionary.words] = seg
        return seg


class Analyzer:
    """Folding + segmentation + synonyms for one dictionary folder; picklable for worker processes."""

    def __init__(self, dictionary_dir: Path | None = None) -> None:
        self.dictionary_dir = Path(dictionary_dir) if dictionary_dir else None
        self.dictionary = UserDictionary.load(self.dictionary_dir)
        self.synonyms = Synonyms(
            self.dictionary_dir / SYNONYMS_NAME if self.dictionary_dir else None
        )
        self._seg = _segmenter(self.dictionary)

    def __getstate__(self) -> dict:
        return {"dictionary_dir": self.dictionary_dir}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["dictionary_dir"])

    @staticmethod
    def is_word(word: str) -> bool:
        known = _IS_WORD.get(word)
        if known is None:
            if len(_IS_WORD) > _IS_WORD_MAX:
                _IS_WORD.clear()
            known = _IS_WORD[word] = _WORDISH.search(word) is not None
        return known

    def tokens_of_folded(self, folded: str, mode: str = "search") -> list[tuple[str, int, int]]:
        """(word, start, end) in the folded text, punctuation dropped. Search mode adds the known
        words inside a long word (个人信息保护法 -> 个人, 信息, 个人信息, 保护, 保护法 ...);
        "default" mode is the non-overlapping segmentation."""
        is_word = self.is_word
        return [t for t in self._seg.tokenize(folded, mode, True) if is_word(t[0])]

    def tokens(self, text: str) -> list[tuple[str, int, int]]:
        return self.tokens_of_folded(fold(text))

    def positions(self, text: str) -> dict[str, list[int]]:
        """The words of `tokens(text)`, each with its start offsets, in order of first use: what
        an index posting holds. Indexing runs this for every word of every document, so it is one
        loop over the segmenter's output, with punctuation dropped once per distinct token."""
        found: dict[str, list[int]] = {}
        for word, start, _end in self._seg.tokenize(fold(text), "search", True):
            starts = found.get(word)
            if starts is None:
                found[word] = [start]
            else:
                starts.append(start)
        for word in [w for w in found if not self.is_word(w)]:
            del found[word]
        return found

    def precise_words(self, folded: str) -> list[str]:
        """Non-overlapping segmentation, for phrases."""
        return [w for w in self._seg.cut(folded, True) if _WORDISH.search(w)]

    def whoosh_tokenizer(self) -> WhooshTokenizer:
        return WhooshTokenizer(self)


class OffsetPositions(Positions):
    """Whoosh's Positions format, fed straight from the analyzer's token tuples: no Token objects
    per word, which is most of the cost of indexing 20 M characters."""

    def word_values(self, value: object, analyzer: object, **kwargs: object) -> Iterator[tuple]:
        fast = getattr(analyzer, "analyzer", None)
        if not isinstance(value, str) or not isinstance(fast, Analyzer):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        for word, found in fast.positions(value).items():
            yield word, len(found), len(found) * boost, self.encode(found)


class WhooshTokenizer(Tokenizer):
    """Whoosh face of the analyzer. A token's position is its character offset in the folded text,
    so a phrase is checked by exact offsets (see `backends/whoosh_phrase.ExactPhrase`) and highlights need no
    extra data in the index."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WhooshTokenizer) and (
            other.analyzer.dictionary.fingerprint == self.analyzer.dictionary.fingerprint
        )

    __hash__ = Tokenizer.__hash__

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = fold(value)
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        for word, start, end in self.analyzer.tokens(value):
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = word
            if positions:
                t.pos = start_pos + start
            if chars:
                t.startchar, t.endchar = start_char + start, start_char + end
            yield t
