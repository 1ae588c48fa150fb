"""The search index: analyzer, query plan, ranking, and two backends behind one interface
(`interface.SearchBackend`, opened with `open_index`). Knows nothing of SQLAlchemy or parsers:
it is handed plain `IndexRecord`s."""

from .backends import open_index
from .errors import IndexBusyError, IndexUnavailableError, RebuildError, SearchIndexError
from .interface import IndexInfo, SearchBackend, SearchHit, SearchQuery, SearchResults
from .records import CURRENT_STATUSES, IndexRecord

__all__ = [
    "CURRENT_STATUSES",
    "IndexBusyError",
    "IndexInfo",
    "IndexRecord",
    "IndexUnavailableError",
    "RebuildError",
    "SearchBackend",
    "SearchHit",
    "SearchIndexError",
    "SearchQuery",
    "SearchResults",
    "open_index",
]
