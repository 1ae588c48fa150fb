"""What a format parser hands on: raw text plus what only the format knows about its structure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scan import ScanResult


@dataclass
class Hints:
    """Structure a format reveals and plain text does not; metadata.py decides what it means."""

    title: str | None = None  # an explicit title: Markdown `# title`
    title_fallback: str | None = None  # a weak title: HTML <title>, used only if the text has none
    promulgation: list[str] = field(default_factory=list)  # lawref header: `2011年11月17日 …通过`


@dataclass
class Extracted:
    text: str  # raw text, paragraphs on lines, not yet normalised
    format: str
    hints: Hints = field(default_factory=Hints)
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None
    ocr: ScanResult | None = None  # set when some pages were read by OCR
