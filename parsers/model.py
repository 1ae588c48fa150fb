"""What every parser returns, whatever the file format."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

MAIN_FIELDS = ("title", "doc_number", "issuer", "signed_date", "kind")


class ParseError(Exception):
    """A file could not be parsed. The message names the problem and what to do about it."""


@dataclass
class Evidence:
    """Where a metadata guess came from: the value, the 1-based line number in `text`, that line."""

    value: str
    line: int | None
    source: str
    confidence: float | None = None  # 0..1: how far the value can be trusted; doubt.py sets it


@dataclass
class ParsedDocument:
    text: str  # normalised text, one paragraph per line
    format: str  # txt, md, docx, pdf, html, doc
    kind: str = "document"  # document | interpretation
    title: str | None = None
    doc_number: str | None = None  # the document's own 文号, as written
    issuer: str | None = None
    signed_date: date | None = None  # 成文日期
    published_date: date | None = None  # 发布日期
    effective_date: date | None = None  # 施行日期
    expiry_date: date | None = None  # last day of the 有效期
    interprets_title: str | None = None  # for an interpretation: the explained document's title
    interprets_number: str | None = None  # ... and/or its 文号
    replaces: list[str] = field(default_factory=list)  # titles/文号 it says it repeals or replaces
    evidence: dict[str, Evidence] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None
    ocr: dict | None = None  # pages read by OCR: scan.ScanResult.summary()
    searchable_pdf: bytes | None = None  # a scan with its OCR text laid over it (searchable.py)

    def evidence_dict(self) -> dict[str, dict]:
        return {k: asdict(v) for k, v in self.evidence.items()}

    def confidence(self) -> dict[str, float]:
        """Per metadata field, 0 (not found or implausible) to 1 (stated by the document itself);
        the main fields are always present, 0.0 when nothing was found."""
        found = {k: v.confidence for k, v in self.evidence.items() if v.confidence is not None}
        return {**dict.fromkeys(MAIN_FIELDS, 0.0), **found}
