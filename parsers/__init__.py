"""File -> ParsedDocument. Pure: no database, no index."""

from .model import Evidence, ParsedDocument, ParseError

__all__ = ["Evidence", "ParsedDocument", "ParseError"]
