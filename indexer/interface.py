"""The one interface of the search index: what the library asks of it, whichever backend serves.

Two implementations live in `indexer/backends/`: `whoosh` (files in the data home, one node) and
`postgres` (tables in the library's PostgreSQL database, shared by every node). Both take plain
`IndexRecord`s, answer a `SearchQuery` with `SearchResults` ranked by the same rules
(`indexer.ranking`), and describe themselves with the same `IndexInfo`. `indexer.backends.open_index`
opens the one a setting names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, TypedDict

from .records import CURRENT_STATUSES, IndexRecord

if TYPE_CHECKING:
    from .analyzer import Analyzer

# How long a write waits for another writer, and a rebuild for another rebuild, before giving up
# with IndexBusyError.
WRITE_TIMEOUT = 30.0
REBUILD_TIMEOUT = 900.0
MAX_PER_PAGE = 100
QA_CURRENT_STATUS = "published"
DOCUMENT_KINDS = ("document", "interpretation")

# Every record and how many there are: what an index rebuilds itself from when it finds itself
# damaged (the library hands its database's records).
RecordsSource = Callable[[], tuple[Iterable[IndexRecord], int]]


@dataclass
class SearchQuery:
    text: str = ""
    # normalised 文号 found in `text` by the caller (library.search_params.doc_numbers_in): a record
    # with one of them comes first
    doc_numbers: list[str] = field(default_factory=list)
    include_all: bool = False
    kinds: list[str] | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)  # keys: schema.FACET_FIELDS
    statuses: list[str] | None = None  # replaces the default "current only" rule when given
    sort: str = "relevance"  # relevance | date
    page: int = 1
    per_page: int = 10


@dataclass
class SearchHit:
    id: str
    kind: str
    title: str
    status: str
    score: float
    snippet: str  # HTML: escaped text, matches in <mark>
    doc_number: str | None
    issuer: str | None
    date: str | None  # ISO date the record is sorted by
    source_file: str | None
    related: list[str]
    title_html: str = ""  # HTML: escaped title, matches in <mark>
    level: str | None = None
    topic: str | None = None


@dataclass
class SearchResults:
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[tuple[str, int]]]
    page: int
    per_page: int
    terms: list[str]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class IndexInfo(TypedDict):
    """What `info()` says about the live index, the same keys on both backends."""

    backend: str  # whoosh | postgres
    count: int
    built_at: str | None  # ISO time of the live generation's build
    size_bytes: int
    path: str  # the folder, or the database (no password) and the generation's table
    generation: str | None
    previous: str | None  # kept for rollback()
    building: str | None  # the generation a rebuild is writing now, if any
    schema_version: int | None
    # the user dictionary (PostgreSQL: or a synonym of several words) changed since the build
    dictionary_changed: bool


class SearchBackend(Protocol):
    """The operations the library uses; both backends implement them."""

    backend: str
    analyzer: Analyzer
    records_source: RecordsSource | None

    def upsert(self, records: Iterable[IndexRecord]) -> None:
        """Add or replace records by id; searchable when this returns."""

    def delete(self, ids: Iterable[str]) -> None: ...

    def rebuild(
        self,
        records: Iterable[IndexRecord],
        expected_count: int | None = None,
        before_swap: Callable[[], None] | None = None,
    ) -> dict:
        """Build a new generation beside the live one, check it, swap it in, keep the old one."""

    def rollback(self) -> None:
        """Make the previous generation live again."""

    def search(self, query: SearchQuery) -> SearchResults: ...

    def count(self) -> int: ...

    def info(self) -> IndexInfo: ...

    def close(self) -> None: ...


def is_current(kind: str, status: str) -> bool:
    """Shown in the public default: a current document or interpretation, a published answer."""
    return status == QA_CURRENT_STATUS if kind == "qa" else status in CURRENT_STATUSES


def generation_stamp() -> str:
    """The UTC time a generation's name starts with, so names sort by build time."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
