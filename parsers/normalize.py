"""Clean extracted text the same way for every format, so the same document reads the same.

Text copied from government web pages and converted between scripts carries litter that hurts
display and search: inline pinyin left by converters (`統(tǒng)籌`), doubled punctuation (`,,` `,。`),
half-width commas between Chinese characters, full-width letters and digits, and page furniture
(`【打印】`, `浏览:`, share widgets). The output keeps one paragraph per line, with no empty lines,
so line numbers in metadata evidence mean the same thing whatever the source format.
"""

from __future__ import annotations

import re
import unicodedata

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CLASS = f"[{CJK}]"

# Full-width ASCII letters, digits and technical symbols become half-width; Chinese punctuation
# （，。：；！？（）［］｛｝～＂） stays as it is, because it is the normal form in Chinese text.
_KEEP_FULLWIDTH = set("！＂（），：；？［］｛｝～")
_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in _KEEP_FULLWIDTH}
_WIDTH.update(
    {
        0x3000: " ",  # ideographic space
        0x00A0: " ",
        0x2002: " ",
        0x2003: " ",
        0x2009: " ",
        0x200B: None,  # zero-width space
        0x200C: None,
        0x200D: None,
        0x2060: None,
        0xFEFF: None,  # BOM / zero-width no-break space
        0x000B: "\n",
        0x000C: "\n",
        0x2028: "\n",
        0x2029: "\n",
        0x0085: "\n",
    }
)
# Control characters (other than tab and newline) carry no text and are refused by some databases.
_WIDTH.update({cp: None for cp in [*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F]})
_WIDTH_RE = re.compile("[" + "".join(re.escape(chr(cp)) for cp in _WIDTH) + "]")
_WIDTH_MAP = {
    chr(cp): ("" if to is None else to if isinstance(to, str) else chr(to))
    for cp, to in _WIDTH.items()
}

# Pinyin syllable with at least one tone mark, in () or （）, right after a CJK character:
# `統(tǒng)籌` -> `統籌`. PDFs rendered from such text move the toned vowel out of the parentheses
# (`統(t ng)ǒ 籌`), so that broken form is matched too.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN = f"a-zü{_TONED}"
_PINYIN_LITTER = re.compile(
    rf"[(（](?<={_CJK_CLASS}[(（])(?:"
    rf"[{_PINYIN}]{{0,6}}[{_TONED}][{_PINYIN}]{{0,6}}[)）]"
    rf"|[{_PINYIN}]{{0,6}}[ \n][{_PINYIN}]{{0,6}}[)）](?P<punct>[,，、。;；]{{0,2}})[{_TONED}] ?"
    rf")"
)

# Kangxi radicals (U+2F00-U+2FD5) and radical supplements that PDF fonts put in place of the
# ordinary characters (`⾰命⽂物`, `意⻅`): NFKC maps the former; the common supplements are listed.
_RADICALS = {chr(cp): unicodedata.normalize("NFKC", chr(cp)) for cp in range(0x2F00, 0x2FD6)}
_RADICALS.update(
    dict(
        zip(
            "⺠⻅⻓⻔⻢⻋⻜⻉⻘⻝⻩⻛⻚⺟⻄⻆⻰⻳⺁⻨⻮⻥⻤",
            "民见长门马车飞贝青食黄风页母西角龙龟厂麦齐鱼鬼",
            strict=True,
        )
    )
)
_RADICAL_RE = re.compile("[" + "".join(_RADICALS) + "]")
# A date or 文号 that a crawler split one token per line (`202` / `5` / `年` / `12` / `月` …).
_TOKEN_LINE = re.compile(r"^[\d年月日号號〔〕\[\]()（）【】﹝﹞第 ]{1,8}$")
_SPLIT_VALUE = re.compile(
    r"^(?:(?:19|20)\d{2}年\d{1,2}月\d{1,2}日"
    rf"|[{CJK}]{{0,12}}[〔\[(（【﹝](?:19|20)\d{{2}}[〕\])）】﹞]第?\d{{1,5}}[号號])$"
)

_SPACES = re.compile(r"[ \t]{2,}|\t")
# A comma right before other punctuation is litter (`,,` `,。` `，；`); so are repeated marks.
_PUNCT_FIX = re.compile(r"[，,](?=[，,。；;：:？?！!、])|([、；;。])\1+")
_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_HALF_PUNCT_IN_CJK = re.compile(
    rf"([,;:?!])(?<=[{CJK}）》”’][,;:?!])(?=[{CJK}“‘《（(【]|$)", re.MULTILINE
)

# Page furniture: fragments removed from short lines, and lines that are nothing else.
_FURNITURE_FRAGMENT = re.compile(
    r"【\s*(?:打印|关闭|關閉|收藏|纠错|我要纠错|返回顶部|打印本页|关闭窗口)\s*】"
    r"|【\s*字体\s*[:：][^】]*】?"
    r"|【\s*字號\s*[:：][^】]*】?"
    r"|\[\s*(?:打印|关闭|收藏)\s*\]"
    rf"|(?<![{CJK}])(?:信息来源|来源|來源|浏览次数|浏览量|浏览|瀏覽|访问量|訪問量|阅读量|阅读次数|点击数|点击率|"
    r"点击量|访问次数|作者|编辑|责任编辑|分享到|字号|字体)\s*[:：]\s*"
    r"(?:\d+\s*次?|[^\s:：]{0,20}(?=\s|$))"
    r"|字体\s*[:：]?\s*[大中小]\s*[大中小]\s*[大中小]"
    r"|扫一扫在手机(?:上)?打开当前页|在手机上打开当前页|返回顶部|关闭本页|关闭窗口|打印本页|打印此页"
)
_FURNITURE_LINE = re.compile(
    r"^(?:(?:分享到|分享|微信|微博|QQ空间|二维码|扫一扫|手机扫一扫|手机版|无障碍|长者模式|打印|关闭|收藏|"
    r"返回|网站地图|联系我们)[\s|/、]*)+$|^(?:上一篇|下一篇|上一条|下一条).*|^(?:"
    r"版权所有.*|主办单位.*|承办单位.*|技术支持.*|网站标识码.*|.*ICP备.*|.*公网安备.*|"
    r"当前位置.*|您当前的位置.*|您现在的位置.*|首页\s*[>＞»].*|[>＞»]+)$"
)
# A block of widgets at the end of a page (related links, QR codes, app links) starts with one of
# these lines; everything from there to the end is cut when it is made of short lines only.
_TAIL_MARKER = re.compile(
    r"^(?:关联稿件|相关稿件|相关链接|相关文章|相关阅读|相关新闻|相关文件|相关解读|扫一扫在手机打开当前页|"
    r"扫一扫在手机上打开当前页|分享到|返回顶部.*)$"
)
_TAIL_MAX_LINE = 30
_FURNITURE_MAX_LINE = 80
_ONLY_PUNCT = re.compile(r"^[\s\W_]*$")
# Web furniture sits above and below the article; only there are lines checked for it.
_FURNITURE_HEAD, _FURNITURE_TAIL = 40, 60
_SHORT = 20
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?)$"
)


def clean_litter(text: str) -> str:
    """Remove converter pinyin and repair punctuation; keeps line structure."""
    if "(" in text or "（" in text:
        text = _PINYIN_LITTER.sub(lambda m: m.group("punct") or "", text)
    text = _PUNCT_FIX.sub(lambda m: m.group(1) or "", text)
    if any(c in text for c in _HALF_TO_FULL):
        text = _HALF_PUNCT_IN_CJK.sub(lambda m: _HALF_TO_FULL[m.group(1)], text)
    return text


# Cheap test run on every short line; only lines that pass it go through the furniture rules.
_FURNITURE_HINT = re.compile(
    r"打印|关闭|關閉|字体|字號|字号|来源|來源|浏览|瀏覽|访问|訪問|阅读|点击|分享|扫|返回|版权|主办|承办|"
    r"技术支持|标识码|ICP|公网安备|位置|首页|上一|下一|微信|微博|二维码|手机|无障碍|长者|收藏|纠错|"
    r"网站地图|联系我们|作者|编辑|页|^[\s\W_]+$|^[-—–－>＞»]"
)


def _strip_furniture(line: str) -> str:
    if _FURNITURE_LINE.match(line):
        return ""
    line = _SPACES.sub(" ", _FURNITURE_FRAGMENT.sub(" ", line)).strip()
    if _ONLY_PUNCT.match(line) or _PAGE_NUMBER.match(line):
        return ""
    return line


def _cut_tail(lines: list[str]) -> list[str]:
    """Drop a trailing widget block (关联稿件, QR codes, app links) made only of short lines."""
    start = max(0, len(lines) - 60)
    for i in range(start, len(lines)):
        if _TAIL_MARKER.match(lines[i]) and all(len(x) <= _TAIL_MAX_LINE for x in lines[i:]):
            return lines[:i]
    return lines


def _join_split_values(lines: list[str]) -> list[str]:
    """Put a date or 文号 split over several short lines back on one line, when the joined
    pieces read as exactly that (`202`/`5`/`年`/`12`/`月`/`9`/`日` -> `2025年12月9日`)."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        joined = None
        if len(lines[i]) <= 12:
            for j in range(min(len(lines), i + 8), i + 1, -1):
                if all(_TOKEN_LINE.match(x) for x in lines[i + 1 : j]):
                    candidate = "".join(lines[i:j]).replace(" ", "")
                    if _SPLIT_VALUE.match(candidate):
                        joined = (candidate, j)
                        break
        if joined:
            out.append(joined[0])
            i = joined[1]
        else:
            out.append(lines[i])
            i += 1
    return out


def normalize_text(text: str) -> str:
    """The normal form stored and indexed: litter removed, one paragraph per line, no blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _WIDTH_RE.sub(lambda m: _WIDTH_MAP[m.group()], text)
    text = _RADICAL_RE.sub(lambda m: _RADICALS[m.group()], text)
    text = _SPACES.sub(" ", clean_litter(text))
    lines = _join_split_values(
        [stripped for line in text.split("\n") if (stripped := line.strip())]
    )
    tail = len(lines) - _FURNITURE_TAIL
    out = []
    for i, line in enumerate(lines):
        if len(line) <= _FURNITURE_MAX_LINE:
            if (i < _FURNITURE_HEAD or i >= tail) and _FURNITURE_HINT.search(line):
                line = _strip_furniture(line)
            elif len(line) <= _SHORT and (_ONLY_PUNCT.match(line) or _PAGE_NUMBER.match(line)):
                line = ""  # page numbers and rules between pages of a PDF
        if line:
            out.append(line)
    return "\n".join(_cut_tail(out))
