"""What a format parser hands on: raw text plus what only the format knows about its structure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scan import ScanResult


@dataclass
class PageValue:
    """A value a page states outside its text: a disclosure-table cell, a meta tag, `<title>`."""

    value: str
    source: str  # where it was read, in words a checker understands: `网页信息表“发文字号”`
    strong: bool = True  # the office's own metadata (table, ArticleTitle) vs. a weak fallback


@dataclass
class Hints:
    """Structure a format reveals and plain text does not; metadata.py decides what it means."""

    title: str | None = None  # an explicit title: Markdown `# title`
    title_fallback: str | None = None  # a weak title: HTML <title>, used only if the text has none
    promulgation: list[str] = field(default_factory=list)  # lawref header: `2011年11月17日 …通过`
    # Metadata the page states about the document (title, doc_number, issuer, co_issuers,
    # signed_date, published_date, source, site_name), read by html.py / disclosure.py.
    page: dict[str, PageValue] = field(default_factory=dict)
    heading: str | None = None  # a styled heading (.docx Title / Heading 1), a title candidate


@dataclass
class Extracted:
    text: str  # raw text, paragraphs on lines, not yet normalised
    format: str
    hints: Hints = field(default_factory=Hints)
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None
    ocr: ScanResult | None = None  # set when some pages were read by OCR
