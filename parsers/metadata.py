"""Metadata guesses from normalised text, each with the line it came from.

Chinese official documents have a conventional layout (GB/T 9704): 份号/密级, 发文机关标志, 发文字号,
标题, 主送机关, 正文, 落款 (issuer), 成文日期. Text copied from web pages adds a header of labels
(`发布日期:`, `时间:`), and attachments follow the signature. The rules below read that layout and
never take a number or date cited in the body for the document's own: the own 文号 stands alone on
a header line, the 成文日期 sits under the issuer's signature.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from .dates import DAMAGED_RE, DATE_PATTERN, add_years, parse_date, repair_damaged
from .disclosure import Cell, read_disclosure
from .docnumber import DOC_NUMBER_RE, ORDER_NUMBER_RE, order_number
from .doubt import assess
from .extracted import Hints, PageValue
from .model import Evidence, ParsedDocument
from .normalize import CJK, normalize_text
from .titles import is_navigation, strip_site_suffix

HEAD_LINES = 15  # the header (number, title, labels) sits within the first lines
TITLE_MAX = 150
TABLE_ZONE = 60  # navigation and a disclosure table in crawler text sit within the first lines
TITLE_PART_MAX = 40  # a line longer than this does not continue a title
_SENTENCE_MARK = re.compile(r"[，。；：:;！？]")
BODY_LINE = 100  # a longer line in the header zone is the first paragraph of the body

_C = f"[{CJK}]"
_ORG_SUFFIX = (
    "人民政府|政府|办公室|辦公室|办公厅|辦公廳|委员会|委員會|常委会|管委会|领导小组|領導小組|指挥部|"
    "指揮部|联席会议|局|厅|廳|委|部|院|署|办|辦|中心|法院|检察院|檢察院|公司|集团|集團|协会|協會|"
    "联合会|聯合會|银行|銀行|办事处|辦事處|街道|镇|鎮|乡|鄉|所|站|队|隊|社|处|處|室|庭|司|会|會"
)
_ORG = rf"[{CJK}（）()·]{{1,30}}?(?:{_ORG_SUFFIX})"
_ORG_LINE = re.compile(rf"^{_ORG}(?:\s+{_ORG})*$")
_TITLE_ORG = re.compile(rf"^({_ORG})(?:关于|關于|關於)")
# Issuers before a title's verb: `中共中央办公厅 国务院办公厅印发《…》`, `A、B关于…`.
_TITLE_ORGS = re.compile(
    rf"^((?:{_ORG})(?:[\s、，,]*(?:{_ORG}))*?)\s*(?:关于|關于|關於|联合印发|印发|印發|转发|轉發)"
)
_GLUED_ORG_END = re.compile(
    r"(办公厅|办公室|委员会|人民政府|辦公廳)(?=[^\s、，,|｜])(?!办|辦|常务|党组|机关|直属|工作|驻)"
)
_ORDER_HEAD = re.compile(rf"^((?:中华人民共和国)?[{CJK}]{{1,20}}?)令$")
_SIGNATORY = re.compile(
    rf"^(?:部长|局长|主任|署长|省长|市长|县长|区长|州长|主席|总理|行长|会长|院长|检察长|社长|秘书长|委员长)"
    rf"\s*[{CJK}·]{{2,5}}$"
)
_SPACED_CHARS = re.compile(rf"^(?:[{CJK}][ \t]+)+[{CJK}]$")
_RED_HEAD = re.compile(rf"^[{CJK}]{{2,30}}文件\s+")
_OFFICE = re.compile(rf"^{_ORG}$")
_COMPANY = re.compile(r"(?:公司|集团|集團|有限|银行|銀行|事务所|合作社|商会|厂|店)$")
# An internal division (会计司, 办公室, 法规处) named without its agency does not issue documents.
_DIVISION = re.compile(rf"^[{CJK}]{{1,4}}(?:司|处|科|室|股)$")
_PROMULGATED = re.compile(r"^《(.{4,80}?)》(?:已经|已於|经|業經)")
_ADOPTION = re.compile(rf"^[（(]\s*({DATE_PATTERN}).{{0,80}}(?:通过|公布|修正|修订)")
_NOT_ORG = re.compile("关于|關于|關於|通知|意见|意見|工作|要点|要點")

_DATE_LINE = re.compile(rf"^[（(]?({DATE_PATTERN})[）)]?$")
_ORG_DATE_LINE = re.compile(rf"^({_ORG}(?:\s+{_ORG})*)\s+({DATE_PATTERN})$")
_DAMAGED_LINE = re.compile(rf"^[（(]?({DAMAGED_RE.pattern})[）)]?$")

_LABELS = {
    "发布日期": "published_date",
    "發布日期": "published_date",
    "发布时间": "published_date",
    "發布時間": "published_date",
    "公布日期": "published_date",
    "公开日期": "published_date",
    "时间": "published_date",
    "時間": "published_date",
    "日期": "published_date",
    "成文日期": "signed_date",
    "成文时间": "signed_date",
    "发文日期": "signed_date",
    "發文日期": "signed_date",
    "印发日期": "signed_date",
    "发文字号": "doc_number",
    "發文字號": "doc_number",
    "文号": "doc_number",
    "文號": "doc_number",
    "发文机关": "issuer",
    "發文機關": "issuer",
    "发布机构": "issuer",
    "发布机关": "issuer",
    "制发机关": "issuer",
    "施行日期": "effective_date",
    "实施日期": "effective_date",
    "生效日期": "effective_date",
    "失效日期": "expiry_date",
    "标题": "title",
    "標題": "title",
}
# Labels of government information-disclosure headers that say nothing this module extracts;
# recognised so that their lines are never taken for a title.
_OTHER_LABELS = (
    "索引号|主题分类|分类|体裁分类|组配分类|服务对象|信息类别|主题词|关键词|所属机构|信息名称|内容概述|"
    "文件编号|编号|统一编号|登记号|有效性|时效性|效力状态|公开方式|公开范围|公开形式|生成日期|来源|"
    "发布人|阅读数|点击数"
)
_LABEL_RE = re.compile(
    r"(?:^|(?<=\s))("
    + "|".join(sorted([*_LABELS, *_OTHER_LABELS.split("|")], key=len, reverse=True))
    + r")\s*[:：]\s*"
)
_WEAK_LABELS = {"时间", "時間", "日期"}
_DATE_FIELDS = {"published_date", "signed_date", "effective_date", "expiry_date"}

_SKIP_HEAD = re.compile(
    r"^(?:特急|加急|急件|平急|特提|绝密|机密|秘密|★.*|.{0,6}公开发布.{0,4}|签发人.*|\d{6}|"
    r"[（(]此件.{0,10}[）)]|.{2,30}文件|附件\s*\d{0,2}\s*[:：]?)$"
)
_NOT_TITLE_END = ("：", ":", "。", "；", ";")  # a sentence or a lead-in, not a title
_TITLE_CONTINUES = re.compile(r"(?:关于|關于|關於|的|和|与|與|及|印发|印發|转发|轉發|、|《)$")
_TITLE_TAIL_LINE = re.compile(
    r"^(?:的)?(?:通知|意见|意見|决定|決定|批复|函|通告|公告|报告|办法|辦法|规定|規定|方案|细则|要点|请示)$"
)
_INTERP_WORD = re.compile(
    r"政策解读|解读|解讀|问答|問答|图解|圖解|答记者问|答記者問|一图读懂|一圖讀懂|一图看懂|答问|答問|"
    r"常见问题|常見問題|热点(?:\d+|[一二三四五六七八九十]+)问|熱點(?:\d+|[一二三四五六七八九十]+)問|"
    r"编制说明|編制說明|起草说明|起草說明|问答课堂|问与答|問與答|问题解答|問題解答|答疑|答网民问|答网友问|"
    r"一张图(?:读懂|看懂|了解)|一图(?:了解|速览|解析)|图说|政策吹风"
)
_INTERP_COLUMN = re.compile(r"解读|解讀|问答|問答")
_QUESTION_TITLE = re.compile(r"^(?:[一二三四五六七八九十\d]+[、.．])?问\s*[:：]")
_DOC_TYPE_END = re.compile(
    r"(?:通知|意见|意見|办法|辦法|规定|規定|方案|要点|要點|细则|細則|决定|決定|条例|條例|规划|規劃|"
    r"制度|公告|通告|批复|函|规则|規則|措施|指南|清单|目录|目錄|纲要|綱要|准则|準則|守则|標準|标准|"
    r"计划|計劃|规程|規程|章程|细则|解释|解釋)(?:[（(](?:试行|暂行|修订|修订稿|征求意见稿)[）)])?$"
)
_INTERP_SUFFIX = re.compile(r"(?:的)?(?:政策)?(?:" + _INTERP_WORD.pattern + r").{0,3}$")
_INTERP_OPENING = re.compile(
    r"如下解读|进行解读|解读如下|如下解讀|進行解讀|解讀如下|答记者问|答記者問|政策问答|政策問答"
)
_QUOTED = re.compile(r"《([^《》]{2,120})》")
_SUBJECT = re.compile(
    r"(?:发布|發布|印发|印發|出台|出臺|制定|公布|起草|颁布|頒布)了?《([^《》]{2,120})》"
    r"|《([^《》]{2,120})》\s*[(（]\s*以下(?:简称|簡稱)"
)
_NUMBER_AFTER = re.compile(r"^\s*[(（]\s*(" + DOC_NUMBER_RE.pattern + r")\s*[)）]")
_TITLE_NUMBER = re.compile(r"[(（]\s*(" + DOC_NUMBER_RE.pattern + r")\s*[)）]$")

_OWN = rf"本{_C}{{0,12}}?"
_EFFECTIVE = re.compile(
    rf"(?:^|(?<=[。；;！!\s])|(?P<own>{_OWN}))自\s*"
    rf"(?:(?P<date>{DATE_PATTERN})|(?P<event>印发|印發|发布|發布|公布|下发|下發|签发|簽發|发文|發文)之日)"
    r"\s*起\s*(?:施行|实施|實施|执行|執行|生效|试行|試行)",
    re.MULTILINE,
)
_SENTENCE = re.compile(r"[^。；;！!？?\n]+")
_ABOUT_ITSELF = re.compile(
    r"本(?:办法|辦法|规定|規定|通知|意见|意見|方案|细则|細則|决定|決定|制度|规则|規則|文件|措施|政策|"
    r"实施意见|实施办法|暂行办法|规划|条例|條例|要点|指引|标准)|施行|实施|實施|执行|執行|印发之日"
)
_VALID_YEARS = re.compile(
    r"有效期(?:为|為|是|暂定为?|暫定為?)?\s*(\d{1,2}|[一二两兩三四五六七八九十])\s*年"
)
_VALID_UNTIL = re.compile(rf"有效期(?:至|到|截至|截止(?:到|至)?)\s*({DATE_PATTERN})")
_VALID_RANGE = re.compile(
    rf"有效期(?:为|為|自|从|從)?\s*({DATE_PATTERN})\s*(?:起)?\s*(?:至|到|—|－|-|~|～)\s*({DATE_PATTERN})"
)
_CN_YEARS = {"一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_CN_YEARS.update({"八": 8, "九": 9, "十": 10})
_REPEAL = re.compile(
    r"(?:同时|同時|一并|一併|予以|即行|相应|相應)(?:废止|廢止|停止执行|停止執行|失效|废除|廢除)"
)
_PROMULGATION_ORG_END = re.compile(
    r"第[一二三四五六七八九十百零〇\d]+次(?:全体)?会议|会议|會議|《|审议|通过|通過|发布|發布|公布|批准|"
    r"修正|修订|修訂|施行|令|决定|決定"
)
_SESSION = re.compile(r"第[一二三四五六七八九十百零〇\d]+届")
_IN_FORCE = re.compile(r"(?:起)?(?:施行|实施|實施|生效)\s*[）)]?$")


def _ev(value: object, index: int | None, lines: list[str]) -> Evidence:
    if isinstance(value, date):
        value = value.isoformat()
    if index is None:
        return Evidence(str(value), None, "")
    return Evidence(str(value), index + 1, lines[index])


def _set(
    doc: ParsedDocument, name: str, value: object, ev: Evidence, confidence: float | None = None
) -> None:
    setattr(doc, name, value)
    if confidence is not None:
        ev.confidence = confidence
    doc.evidence[name] = ev


def _find_compact(lines: list[str], text: str, limit: int = 40) -> int | None:
    """The line holding `text` (or its start), ignoring spaces: page values are written apart from
    the text and a title may be split over lines."""
    key = re.sub(r"\s+", "", text)[:12]
    for i, line in enumerate(lines[:limit]):
        if key and key in re.sub(r"\s+", "", line):
            return i
    return None


def _find_line(lines: list[str], text: str, limit: int = 40) -> int | None:
    for i, line in enumerate(lines[:limit]):
        if text in line:
            return i
    return None


def _labels(line: str) -> Iterator[tuple[str, str, str]]:
    """(label, field, value) for each `标签:值` on a header line; several may share one line."""
    found = list(_LABEL_RE.finditer(line))
    for k, m in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(line)
        if m.group(1) in _LABELS:
            yield m.group(1), _LABELS[m.group(1)], line[m.end() : end].strip()


def _doc_number_line(line: str) -> str | None:
    line = _RED_HEAD.sub("", line)  # `国务院办公厅文件 国办发〔2021〕43号` on one line
    m = DOC_NUMBER_RE.match(line)
    if m and (m.end() == len(line) or line[m.end() :].lstrip().startswith("签发人")):
        return re.sub(r"\s+", "", m.group())
    return None


def _is_org_line(line: str) -> bool:
    return len(line) <= 60 and bool(_ORG_LINE.match(line)) and not _NOT_ORG.search(line)


def _is_interp_title(title: str) -> bool:
    """解读 / 问答 / 答记者问 / 图解 … anywhere outside the 《》 of the document it explains, or a
    question as the title (a Q&A page)."""
    if _QUESTION_TITLE.match(title):
        return True
    outside = re.sub(r"《[^《》]*》", "", title)
    return bool(_INTERP_WORD.search(outside)) and not _DOC_TYPE_END.search(outside.strip())


def _despace(line: str) -> str:
    """`财  政  部` -> `财政部`: a signature spaced out letter by letter."""
    return re.sub(r"\s+", "", line) if _SPACED_CHARS.match(line) else line


def _split_orgs(text: str) -> list[str]:
    """`中共中央办公厅 国务院办公厅` or `中共中央办公厅国务院办公厅` -> both offices, lead first."""
    text = _GLUED_ORG_END.sub(r"\1 ", text.strip(" |｜\t"))
    parts = [p.strip(" |｜") for p in re.split(r"[\s、，,；;|｜]+", text)]
    return [p for p in parts if p]


class _Reader:
    """One pass of rules over the lines of one document."""

    def __init__(self, doc: ParsedDocument, hints: Hints) -> None:
        self.doc = doc
        self.hints = hints
        self.lines = doc.text.split("\n") if doc.text else []
        self.furniture = self._text_table()
        self.top = self._top()
        self.head_end = self._head_end()

    def _text_table(self) -> set[int]:
        """Crawler text keeps the page's disclosure table as lines (`发文字号：` / `穗发改〔2025〕12号`):
        it is read like the HTML table (the page's own values win), and its lines are never a title."""
        cells = [Cell(line, i) for i, line in enumerate(self.lines[:TABLE_ZONE])]
        fields, table = read_disclosure(cells)
        for key, value in fields.items():
            self.hints.page.setdefault(key, value)
        return {c.block for c in table}

    def _top(self) -> int:
        """The first line after the navigation, breadcrumbs and disclosure table at the top."""
        for i, line in enumerate(self.lines[:TABLE_ZONE]):
            if i not in self.furniture and not is_navigation(line) and len(line) > 1:
                return i
        return 0

    def _head_end(self) -> int:
        """Index of the first body line: the salutation (主送机关, ends with ：) or a long paragraph."""
        end = min(len(self.lines), self.top + HEAD_LINES)
        for i in range(self.top, end):
            line = self.lines[i]
            if i in self.furniture:
                continue
            if line.endswith(("：", ":")) and i > self.top or len(line) > BODY_LINE:
                return i
        return end

    def run(self) -> None:
        self.page_fields()
        self.labels()
        self.adoption()
        self.promulgation()
        self.own_number()
        self.order()
        self.title()
        self.kind()
        self.signature()
        self.title_issuer()
        self.weak_issuer()
        self.effective_and_expiry()
        self.replaces()
        if not self.doc.title:
            self.doc.warnings.append("未找到标题，请人工补充")
        assess(self.doc)

    # -- what the page states outside the text (HTML disclosure table, meta tags) ---------------
    def _page_ev(self, pv: PageValue, value: object) -> Evidence:
        i = _find_compact(self.lines, str(value))
        ev = _ev(value, i, self.lines)
        ev.source = pv.source if i is None else ev.source
        return ev

    def page_fields(self) -> None:
        doc, page = self.doc, self.hints.page
        for name in ("signed_date", "published_date", "effective_date"):
            pv = page.get(name)
            d = parse_date(pv.value) if pv else None
            if d and (pv.strong or name == "published_date"):
                _set(doc, name, d, self._page_ev(pv, d.isoformat()), 0.95 if pv.strong else 0.7)
        pv = page.get("doc_number")
        if pv and pv.strong:
            compact = re.sub(r"\s+", "", pv.value)
            m = DOC_NUMBER_RE.search(compact)
            number = m.group() if m else order_number(compact)
            if number:
                _set(doc, "doc_number", number, self._page_ev(pv, number), 0.95)
        pv = page.get("issuer")
        if pv and pv.strong:
            orgs = _split_orgs(pv.value)
            if "co_issuers" in page:
                orgs += [o for o in _split_orgs(page["co_issuers"].value) if o not in orgs]
            orgs = [o for o in orgs if not is_navigation(o)]
            if orgs:
                issuer = "、".join(orgs)
                _set(doc, "issuer", issuer, self._page_ev(pv, orgs[0]), 0.95)
        pv = page.get("title")
        if pv and pv.strong:
            title = strip_site_suffix(normalize_text(pv.value).replace("\n", ""))
            if len(title) >= 4 and not is_navigation(title):
                i = _find_compact(self.lines, title, 10)
                ev = (
                    _ev(title, i, self.lines) if i is not None else Evidence(title, None, pv.source)
                )
                _set(doc, "title", title, ev, 0.95 if "信息公开表" in pv.source else 0.9)

    def adoption(self) -> None:
        """A law's parenthetical history under its title (`（1993年12月29日第八届全国人民代表大会常务
        委员会第五次会议通过 根据…修正 2023年12月29日…修订）`) is read like lawref's header lines."""
        if self.hints.promulgation:
            return
        for line in self.lines[1:4]:
            if _ADOPTION.match(line):
                parts = re.split(r"\s+(?=根据|\d{4}年)|[；;]", line.strip("（()）"))
                self.hints.promulgation = [p for p in parts if p.strip()]
                return

    def order(self) -> None:
        """A 令 (`中华人民共和国财政部令` / `第115号`): its number, the office, and as title the
        decision or rules it promulgates (`《财政部关于修改…的决定》已经…通过，现予公布`)."""
        doc, lines = self.doc, self.lines
        for i, line in enumerate(lines[:4]):
            m = _ORDER_HEAD.match(line)
            joined = line + (lines[i + 1] if i + 1 < len(lines) else "")
            number = order_number(joined if m else line)
            if not number or not (m or ORDER_NUMBER_RE.match(re.sub(r"\s+", "", line))):
                continue
            if doc.doc_number is None:
                _set(doc, "doc_number", number, _ev(number, i, lines), 0.9)
            org = ORDER_NUMBER_RE.match(re.sub(r"\s+", "", joined))
            if doc.issuer is None and org:
                office = org.group("org")[:-1]  # `中华人民共和国` is dropped like in the number
                _set(doc, "issuer", office, _ev(office, i, lines), 0.85)
            for k in range(i + 1, min(len(lines), i + 4)):
                q = _PROMULGATED.search(lines[k])
                if q and doc.title is None:
                    title = q.group(1).replace("〈", "《").replace("〉", "》")
                    _set(doc, "title", title, _ev(title, k, lines), 0.85)
                    break
            return

    def weak_issuer(self) -> None:
        """No issuer in the document: the page's 发布机构, its 来源, else the site's owner when it is
        an office. All are weaker than the document's own signature or title (a reprinting office
        is not the issuer); the site's owner leaves a warning through doubt.py."""
        doc = self.doc
        if doc.issuer:
            return
        for key, confidence in (("publisher", 0.75), ("source", 0.6), ("site_name", 0.4)):
            pv = self.hints.page.get(key)
            if not pv:
                continue
            orgs = [
                o
                for o in _split_orgs(pv.value)
                if _OFFICE.match(o) and not is_navigation(o) and not _DIVISION.match(o)
            ]
            if orgs:
                _set(doc, "issuer", orgs[0], Evidence(orgs[0], None, pv.source), confidence)
                return

    # -- header ---------------------------------------------------------------------------------
    def labels(self) -> None:
        doc = self.doc
        zone = list(range(min(len(self.lines), HEAD_LINES + 5)))
        zone += range(max(len(zone), len(self.lines) - 8), len(self.lines))
        for i in zone:
            line = self.lines[i]
            if "：" not in line and ":" not in line:
                continue
            for label, name, value in _labels(line):
                if not value or getattr(doc, name) is not None:
                    continue
                if label in _WEAK_LABELS and i >= HEAD_LINES + 5:
                    continue  # a bare `时间:` far from the header is not about the document
                if name in _DATE_FIELDS:
                    d = parse_date(value)
                    if d:
                        _set(doc, name, d, _ev(d, i, self.lines))
                elif name == "doc_number":
                    m = DOC_NUMBER_RE.search(value)
                    if m:
                        _set(doc, name, m.group(), _ev(m.group(), i, self.lines))
                elif len(value) <= TITLE_MAX:
                    _set(doc, name, value, _ev(value, i, self.lines))

    def promulgation(self) -> None:
        """Lawref-style header lines: `2011年11月17日 上海市…第三十次会议通过`; the last one dates
        the current version and names the body that adopted it."""
        doc = self.doc
        last = None
        for raw in map(normalize_text, self.hints.promulgation):
            d = parse_date(raw)
            if not d:
                continue
            if _IN_FORCE.search(raw):  # `2009年5月13日 施行`: the effective date, not a version
                if doc.effective_date is None:
                    i = _find_line(self.lines, raw)
                    _set(doc, "effective_date", d, _ev(d, i, self.lines))
            else:
                last = (raw, d)
        if not last:
            return
        raw, d = last
        i = _find_line(self.lines, raw)
        ev = _ev(d, i, self.lines)
        if doc.published_date is None:
            _set(doc, "published_date", d, ev)
        if doc.signed_date is None:
            _set(doc, "signed_date", d, ev)
        desc = re.sub(DATE_PATTERN, "", raw, count=1).strip(" （）()，,")
        desc = re.sub(r"^(?:根据|根據|依据|经|經)", "", desc)
        org = _SESSION.sub("", _PROMULGATION_ORG_END.split(desc, 1)[0]).strip(" 、，,")
        if not org and (q := _QUOTED.search(desc)) and (m := _TITLE_ORG.match(q.group(1))):
            org = m.group(1)  # `《国务院关于修改…的决定》第一次修订`
        if doc.issuer is None and 2 <= len(org) <= 40:
            _set(doc, "issuer", org, _ev(org, i, self.lines))

    def own_number(self) -> None:
        doc = self.doc
        if doc.doc_number:
            return
        for i, line in enumerate(self.lines[: self.head_end]):
            number = _doc_number_line(line)
            if number:
                _set(doc, "doc_number", number, _ev(number, i, self.lines))
                return

    def title(self) -> None:
        doc = self.doc
        if doc.title:
            return
        if self.hints.title:
            t = normalize_text(self.hints.title)
            _set(doc, "title", t, _ev(t, _find_line(self.lines, t, 5), self.lines), 0.95)
            return
        if self._styled_heading():
            return
        lines = self.lines
        i = self.top
        while i < self.head_end:
            line = lines[i]
            if (
                i in self.furniture
                or is_navigation(line)
                or _doc_number_line(line)
                or _DATE_LINE.match(line)
                or _DAMAGED_LINE.match(line)
                or _SKIP_HEAD.match(line)
                or _LABEL_RE.match(line)
            ):
                i += 1
                continue
            if _is_org_line(line):
                if i + 1 < len(lines) and lines[i + 1].startswith(("关于", "關于", "關於")):
                    break  # `宣汉县人民政府办公室` / `关于印发…的通知`: the title starts here
                i += 1
                continue
            break
        else:
            self._title_fallback()
            return
        if i >= len(lines) or len(lines[i]) > TITLE_MAX or lines[i].endswith(_NOT_TITLE_END):
            self._title_fallback()
            return
        start, parts = i, [strip_site_suffix(lines[i])]
        while i + 1 < self.head_end and len(parts) < 4:
            cur, nxt = parts[-1], lines[i + 1]
            joined = "".join(parts)
            if (
                (_is_org_line(cur) and nxt.startswith(("关于", "關于", "關於")))
                or _TITLE_CONTINUES.search(cur)
                or joined.count("《") > joined.count("》")
                or _TITLE_TAIL_LINE.match(nxt)
            ) and len(joined) + len(nxt) <= TITLE_MAX:
                parts.append(nxt)
                i += 1
            elif more := self._title_rest(joined, i + 1):
                parts += more
                i += len(more)
            else:
                break
        title = "".join(parts)
        m = _TITLE_NUMBER.search(title)
        if m and not doc.doc_number:
            _set(doc, "doc_number", m.group(1), _ev(m.group(1), start, lines))
        ev = Evidence(title, start + 1, "\n".join(lines[start : i + 1]))
        _set(doc, "title", title, ev)

    def _styled_heading(self) -> bool:
        """A .docx paragraph styled Title / Heading 1 in the header zone is the title."""
        heading = self.hints.heading
        if not heading:
            return False
        heading = normalize_text(heading).replace("\n", "")
        k = _find_compact(self.lines, heading, self.head_end + 2)
        if k is None or k < self.top or is_navigation(heading) or len(heading) > TITLE_MAX:
            return False
        _set(self.doc, "title", heading, _ev(heading, k, self.lines), 0.9)
        return True

    def _title_rest(self, joined: str, k: int) -> list[str]:
        """Lines that complete a title split without a visible break (`关于保险公司执行新金融工具相关`
        / `会计准则有关过渡办法的通知`): short lines that end it with a document type word."""
        if _DOC_TYPE_END.search(joined) or _INTERP_WORD.search(joined):
            return []
        rest: list[str] = []
        for line in self.lines[k : min(k + 2, self.head_end)]:
            if (
                len(line) > TITLE_PART_MAX
                or _SENTENCE_MARK.search(line)
                or _doc_number_line(line)
                or _DATE_LINE.match(line)
                or _LABEL_RE.match(line)
                or _is_org_line(line)
            ):
                return []
            rest.append(line)
            if _DOC_TYPE_END.search(joined + "".join(rest)):
                return rest
        return []

    def _title_fallback(self) -> None:
        t = self.hints.title_fallback
        if t:
            _set(self.doc, "title", t, Evidence(t, _find_line(self.lines, t, 10), "<title>"))
            if self.doc.evidence["title"].line:
                self.doc.evidence["title"] = _ev(t, self.doc.evidence["title"].line - 1, self.lines)

    # -- kind and what an interpretation explains ------------------------------------------------
    def kind(self) -> None:
        doc, lines = self.doc, self.lines
        if doc.title:
            is_interp = _is_interp_title(doc.title)
            where = doc.evidence["title"].line
            where = where - 1 if where else None
        else:
            where = next((k for k, x in enumerate(lines[:2]) if _INTERP_OPENING.search(x)), None)
            is_interp = where is not None
        if not is_interp and self._filed_as_interpretation():
            column = self.hints.page["column"]
            ev = Evidence("interpretation", None, column.source)
            _set(doc, "kind", "interpretation", ev, 0.6)
            self.interprets()
            return
        if not is_interp:
            _set(doc, "kind", "document", Evidence("document", None, ""))
            return
        _set(doc, "kind", "interpretation", _ev("interpretation", where, lines))
        self.interprets()

    def _filed_as_interpretation(self) -> bool:
        """The site filed the page under 政策解读 (column meta, `<title>` suffix) and its title
        is not a document's (通知, 办法 …)."""
        column, title = self.hints.page.get("column"), self.doc.title
        if not column or not title or not _INTERP_COLUMN.search(column.value):
            return False
        return not _DOC_TYPE_END.search(re.sub(r"《[^《》]*》", "", title))

    def interprets(self) -> None:
        doc, lines = self.doc, self.lines
        target, index, after = None, None, ""
        if doc.title:
            m = _QUOTED.search(doc.title)
            if m:
                target, index, after = m.group(1), doc.evidence["title"].line, doc.title[m.end() :]
                index = index - 1 if index else None
            else:
                stem = _INTERP_SUFFIX.sub("", doc.title)
                if stem and stem != doc.title:
                    target, index = stem, doc.evidence["title"].line
                    index = index - 1 if index else None
        if target is None:
            for k, line in enumerate(lines[:3]):
                m = _SUBJECT.search(line)
                if m:
                    target, index, after = m.group(1) or m.group(2), k, line[m.end() :]
                    break
        if target:
            _set(doc, "interprets_title", target, _ev(target, index, lines))
            m = _NUMBER_AFTER.match(after)
            if m:
                _set(doc, "interprets_number", m.group(1), _ev(m.group(1), index, lines))
            else:  # the title names the document, the opening paragraph gives its number
                quoted = f"《{target}》"
                for k, line in enumerate(lines[:5]):
                    pos = line.find(quoted)
                    if pos >= 0 and (m := _NUMBER_AFTER.match(line[pos + len(quoted) :])):
                        _set(doc, "interprets_number", m.group(1), _ev(m.group(1), k, lines))
                        break
            if not doc.title:
                title = f"《{target}》解读"
                _set(doc, "title", title, _ev(title, index, lines))
                doc.warnings.append(f"原文无标题行，标题由正文推断为“{title}”，请核对")
        else:
            doc.warnings.append("解读未写明所解读文件的标题或文号，需人工关联")

    # -- signature: issuer and 成文日期 ----------------------------------------------------------
    def signature(self) -> None:
        doc, lines = self.doc, self.lines
        found = None  # (index of date line, date text, issuer or None, index of issuer line)
        for i, raw in enumerate(lines):
            line = _despace(raw)
            if (
                len(line) > 60
                or "|" in line
                or not (line[0].isdigit() or line[0] in "（(二〇○零一" or " " in line)
            ):
                continue
            m = _DATE_LINE.match(line) or _DAMAGED_LINE.match(line)
            prev = _despace(lines[i - 1]) if i > 0 else ""
            if m and _COMPANY.search(prev):
                continue  # a company dating an attachment (a letter, a form) did not issue this
            if m and _is_org_line(prev):
                top = i - 1  # joint documents list one issuer per line above the date
                while top > 0 and i - top < 4 and _is_org_line(_despace(lines[top - 1])):
                    top -= 1
                issuer = "、".join(o for x in lines[top:i] for o in _split_orgs(_despace(x)))
                found = (i, m.group(1), issuer, top)
                break
            m2 = _ORG_DATE_LINE.match(line)
            if m2 and not _NOT_ORG.search(m2.group(1)):
                found = (i, m2.group(2), m2.group(1), i)
                break
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if m and (
                _SIGNATORY.match(re.sub(r"\s+", "", prev))
                or prev.startswith("附件")
                or nxt.startswith("附件")
            ):
                found = (i, m.group(1), None, None)  # signed by a minister, or before attachments
                break
            if m and i >= len(lines) - 3 and not self.hints.promulgation:
                found = (i, m.group(1), None, None)
        if not found:
            return
        i, text, issuer, org_index = found
        if issuer and doc.issuer is None:
            _set(doc, "issuer", issuer, _ev(issuer, org_index, lines))
        elif issuer and doc.issuer:
            self._co_issuers(_split_orgs(issuer))
        if doc.signed_date is not None:
            return
        d = parse_date(text)
        if d is None and DAMAGED_RE.fullmatch(text):
            d, readings = repair_damaged(text)
            if d:
                doc.warnings.append(f"成文日期“{text}”缺少年月日，已按{d.isoformat()}修复，请核对")
            elif readings:
                options = "或".join(r.isoformat() for r in readings)
                doc.warnings.append(f"成文日期“{text}”损坏，可能是{options}，未采用，请人工填写")
        if d:
            _set(doc, "signed_date", d, _ev(d, i, lines))

    def _co_issuers(self, signed: list[str]) -> None:
        """A table naming the lead office only, a signature naming it and its co-issuers: all of
        them, lead first."""
        doc = self.doc
        known = _split_orgs(doc.issuer or "")
        if len(signed) > len(known) and signed[: len(known)] == known:
            ev = doc.evidence["issuer"]
            doc.issuer = "、".join(signed)
            ev.value = doc.issuer

    def title_issuer(self) -> None:
        doc = self.doc
        if doc.issuer or not doc.title or doc.kind == "interpretation":
            return
        m = _TITLE_ORGS.match(doc.title)
        if m:
            issuer = "、".join(_split_orgs(m.group(1)))
            ev = doc.evidence["title"]
            _set(doc, "issuer", issuer, Evidence(issuer, ev.line, ev.source), 0.85)

    # -- validity ---------------------------------------------------------------------------------
    def effective_and_expiry(self) -> None:
        doc, lines = self.doc, self.lines
        if doc.effective_date is None:
            best = None
            for i, line in enumerate(lines):
                if "自" not in line:
                    continue
                for m in _EFFECTIVE.finditer(line):
                    if best is None or (m.group("own") and not best[1].group("own")):
                        best = (i, m)
                    if m.group("own"):
                        break
                if best and best[1].group("own"):
                    break
            if best:
                self._effective(*best)
        for i, line in enumerate(lines):
            if "有效期" in line:
                for sentence in _SENTENCE.findall(line):
                    about_itself = "有效期" in sentence and _ABOUT_ITSELF.search(sentence)
                    if about_itself and self._expiry(i, sentence):
                        return

    def _effective(self, i: int, m: re.Match[str]) -> None:
        doc, lines = self.doc, self.lines
        if m.group("date"):
            d = parse_date(m.group("date"))
        elif m.group("event") in ("印发", "印發", "签发", "簽發", "发文", "發文"):
            d = doc.signed_date or doc.published_date
        else:
            d = doc.published_date or doc.signed_date
        if d:
            _set(doc, "effective_date", d, _ev(d, i, lines))
        else:
            doc.warnings.append(
                f"第{i + 1}行写明“{m.group()}”，但未找到对应日期，施行日期需人工填写"
            )

    def _expiry(self, i: int, sentence: str) -> bool:
        doc, lines = self.doc, self.lines
        m = _VALID_RANGE.search(sentence)
        if m:
            start, end = parse_date(m.group(1)), parse_date(m.group(2))
            if start and doc.effective_date is None:
                _set(doc, "effective_date", start, _ev(start, i, lines))
            if end:
                _set(doc, "expiry_date", end, _ev(end, i, lines))
                return True
        m = _VALID_UNTIL.search(sentence)
        if m and (end := parse_date(m.group(1))):
            _set(doc, "expiry_date", end, _ev(end, i, lines))
            return True
        m = _VALID_YEARS.search(sentence)
        if m:
            n = int(m.group(1)) if m.group(1).isdigit() else _CN_YEARS[m.group(1)]
            base = doc.effective_date or doc.signed_date or doc.published_date
            if base is None:
                doc.warnings.append(
                    f"第{i + 1}行写明有效期{n}年，但起算日期不明，失效日期需人工填写"
                )
                return True
            end = add_years(base, n)
            _set(doc, "expiry_date", end, _ev(end, i, lines))
            return True
        return False

    def replaces(self) -> None:
        doc, lines = self.doc, self.lines
        found: list[str] = []
        first = None
        for i, line in enumerate(lines):
            if not _REPEAL.search(line):
                continue
            for sentence in _SENTENCE.findall(line):
                m = _REPEAL.search(sentence)
                if not m:
                    continue
                before = sentence[: m.start()]
                items = _QUOTED.findall(before)
                items += [n.group() for n in DOC_NUMBER_RE.finditer(before)]
                for item in items:
                    if item not in found:
                        found.append(item)
                        first = i if first is None else first
        if found:
            doc.replaces = found
            doc.evidence["replaces"] = _ev("；".join(found), first, lines)


def extract_metadata(doc: ParsedDocument, hints: Hints | None = None) -> None:
    """Fill the metadata fields, evidence and warnings of `doc` from `doc.text`."""
    _Reader(doc, hints or Hints()).run()
