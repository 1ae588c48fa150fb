"""The search index: analyzer, schema, build/update/swap and search. Knows nothing of SQLAlchemy."""

from .records import CURRENT_STATUSES, IndexRecord

__all__ = ["CURRENT_STATUSES", "IndexRecord"]
