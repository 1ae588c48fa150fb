"""File -> ParsedDocument. Pure: no database, no index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .detect import SUPPORTED, detect_format
from .model import Evidence, ParsedDocument, ParseError

if TYPE_CHECKING:
    from .parse import DEFAULT_MAX_BYTES, parse_file

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SUPPORTED",
    "Evidence",
    "ParsedDocument",
    "ParseError",
    "detect_format",
    "parse_file",
]


def __getattr__(name: str) -> Any:
    """`parse_file` loads every format's parser (PDF, Word, HTML …); it is imported on first use,
    so that a module needing only `parsers.docnumber` or `parsers.dates` does not pay for them."""
    if name in {"DEFAULT_MAX_BYTES", "parse_file"}:
        from . import parse

        return getattr(parse, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
