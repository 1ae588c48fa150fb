"""File -> ParsedDocument. Pure: no database, no index."""

from .detect import SUPPORTED, detect_format
from .model import Evidence, ParsedDocument, ParseError
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
