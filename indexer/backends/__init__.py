"""The two implementations of `indexer.interface.SearchBackend`, and the one place that picks one.

whoosh.py    (+ whoosh_build, whoosh_search)       files in the data home; one node
postgres.py  (+ postgres_rows, postgres_search)    tables in the library's PostgreSQL database;
                                                   every web node reads and writes them
"""

from __future__ import annotations

from pathlib import Path

from ..errors import SearchIndexError
from ..interface import RecordsSource, SearchBackend


def open_index(
    backend: str,
    *,
    index_dir: Path | None = None,
    database_url: str | None = None,
    dictionary_dir: Path | None = None,
    records_source: RecordsSource | None = None,
) -> SearchBackend:
    """The index `backend` names: `whoosh` in `index_dir`, `postgres` in `database_url`. Each is
    imported here, on first use, so a process pays only for the one it uses. An index that
    cannot be opened is rebuilt from `records_source`."""
    if backend == "postgres":
        from .postgres import PgSearchIndex

        if not database_url:
            raise SearchIndexError("the postgres search backend needs a PostgreSQL database_url")
        return PgSearchIndex(
            database_url, dictionary_dir=dictionary_dir, records_source=records_source
        )
    if backend == "whoosh":
        from .whoosh import SearchIndex

        if index_dir is None:
            raise SearchIndexError("the whoosh search backend needs an index folder")
        return SearchIndex(index_dir, dictionary_dir=dictionary_dir, records_source=records_source)
    raise SearchIndexError(f"unknown search backend {backend!r}: use whoosh or postgres")
