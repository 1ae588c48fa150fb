"""The plain records the indexer is handed. It never sees ORM objects or a database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Statuses shown as current in the public default.
CURRENT_STATUSES = ("valid", "partially_invalid")


@dataclass
class IndexRecord:
    id: str  # "doc:12" or "qa:5": unique across kinds
    kind: str  # document | interpretation | qa
    title: str  # for qa: the standard question
    body: str  # full text; for qa: answer plus similar questions
    status: str  # document statuses, or qa statuses (published, needs_review, ...)
    doc_number: str | None = None  # as printed, for display
    # the same 文号 normalised for matching (the library's Document.doc_number_norm): the indexer
    # matches on it and never parses a 文号 itself
    doc_number_norm: str | None = None
    issuer: str | None = None
    level: str | None = None  # 法律, 行政法规, 地方性法规, 规范性文件 ...
    topic: str | None = None
    signed_date: date | None = None
    published_date: date | None = None
    effective_date: date | None = None
    source_file: str | None = None
    related: list[str] = field(default_factory=list)  # ids of linked records ("doc:3")
    extra_terms: list[str] = field(default_factory=list)  # similar questions, aliases
