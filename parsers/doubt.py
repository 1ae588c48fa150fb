"""Doubt made visible: a confidence for every metadata field, and a warning for every implausible
or missing value, saying what to check.

The rules in metadata.py take the best value they can find; this module looks at the result as
a checker would. A title that is a navigation word (`搜索`), a site name, or under six characters;
an issuer that is a website; a 文号 whose year is far from the document's date; a 文号 without an
issuer or date: each lowers that field's confidence and adds a warning. The warnings go to the
document's `warnings` list, which the legal office's check queue reads.
"""

from __future__ import annotations

import re

from .docnumber import DOC_NUMBER_RE
from .model import Evidence, ParsedDocument
from .titles import is_navigation

FIELDS = ("title", "doc_number", "issuer", "signed_date", "kind")
TITLE_MIN = 6
TITLE_LONG = 120
YEAR_SPREAD = 1  # a 文号's year may be a year off its dates (signed in December, numbered later)
EXPLICIT = 0.95  # a value the file states as such (Markdown `# title`, a disclosure table)
LOW = 0.3  # a confidence below this is a doubt worth a warning of its own
_SITE = re.compile(r"网站|門戶|门户|政府网|之窗|www\.|\.gov|\.cn\b|客户端|频道|栏目")
_FURNITURE = re.compile(r"[|｜]|^[>＞»]|当前位置|首页")


def _doubt(doc: ParsedDocument, name: str, confidence: float, warning: str) -> None:
    ev = doc.evidence.get(name)
    if ev is not None:
        ev.confidence = min(ev.confidence if ev.confidence is not None else 1.0, confidence)
    doc.warnings.append(warning)


def _title(doc: ParsedDocument) -> None:
    title = doc.title
    if not title:
        return  # metadata.py already warns 未找到标题
    compact = re.sub(r"\s+", "", title)
    if is_navigation(title):
        _doubt(
            doc, "title", 0.05, f"标题“{title}”是网页导航或按钮文字，不是文件标题，请核对并改正标题"
        )
    elif _SITE.search(title) and len(compact) <= 30:
        _doubt(doc, "title", 0.2, f"标题“{title}”像是网站或栏目名称，请核对并改正标题")
    elif len(compact) < TITLE_MIN and doc.evidence["title"].confidence < EXPLICIT:
        _doubt(doc, "title", 0.3, f"标题“{title}”只有{len(compact)}个字，可能不完整，请核对")
    elif len(compact) > TITLE_LONG and not title.startswith("问"):
        _doubt(doc, "title", 0.5, f"标题长达{len(compact)}个字，可能混入了正文或网站后缀，请核对")
    if _FURNITURE.search(title):
        _doubt(doc, "title", 0.3, f"标题“{title}”含有表格线或导航符号，请核对")


def _issuer(doc: ParsedDocument) -> None:
    issuer = doc.issuer
    if issuer and (is_navigation(issuer) or _SITE.search(issuer)):
        _doubt(doc, "issuer", 0.2, f"发文机关“{issuer}”像是网站名称，不是发文单位，请核对")
    elif issuer and _FURNITURE.search(issuer):
        _doubt(doc, "issuer", 0.3, f"发文机关“{issuer}”含有表格线或导航符号，请核对")


def _year_gap(doc: ParsedDocument) -> None:
    """A 文号 carries the year it was numbered: the year of the document's dates or next to it
    (adopted in December, numbered in January). Further away, it is likely a cited number."""
    m = DOC_NUMBER_RE.search(re.sub(r"\s+", "", doc.doc_number or ""))
    dates = [d for d in (doc.signed_date, doc.published_date, doc.effective_date) if d]
    if not m or not dates:
        return
    year = int(m["year"])
    if all(abs(year - d.year) > YEAR_SPREAD for d in dates):
        when = doc.signed_date or dates[0]
        _doubt(
            doc,
            "doc_number",
            0.3,
            f"文号“{doc.doc_number}”的年份{year}与文件日期{when.isoformat()}相差较远，"
            "可能取了正文引用的其他文件的文号，请核对文号和日期",
        )


def _missing(doc: ParsedDocument) -> None:
    if doc.kind != "document" or not doc.doc_number:
        return  # attachments, news releases and Q&A pages often name neither
    if not doc.issuer:
        doc.warnings.append(f"有文号“{doc.doc_number}”但未找到发文机关，请补充发文机关")
    if not doc.signed_date:
        doc.warnings.append(f"有文号“{doc.doc_number}”但未找到成文日期，请补充成文日期")


def _weak(doc: ParsedDocument) -> None:
    """A value taken from a weak source is shown as such, so the checker knows where it came from."""
    for name in FIELDS:
        ev = doc.evidence.get(name)
        if ev is not None and ev.confidence is not None and ev.confidence < LOW + 0.2:
            label = {"title": "标题", "issuer": "发文机关", "doc_number": "文号"}.get(name)
            if label and not any(label in w for w in doc.warnings):
                doc.warnings.append(
                    f"{label}“{ev.value}”取自{ev.source or '弱线索'}，可信度较低，请核对"
                )


def assess(doc: ParsedDocument) -> None:
    """Set the confidence of every field found and warn about what looks wrong or is missing."""
    for name in FIELDS:
        if name in doc.evidence and doc.evidence[name].confidence is None:
            doc.evidence[name].confidence = 0.9
    if "kind" not in doc.evidence:
        doc.evidence["kind"] = Evidence(doc.kind, None, "", 0.6)
    _title(doc)
    _issuer(doc)
    _year_gap(doc)
    _missing(doc)
    _weak(doc)
