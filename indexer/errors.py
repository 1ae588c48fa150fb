"""What can go wrong with the search index, each with a message that says what to do next."""

from __future__ import annotations


class SearchIndexError(Exception):
    """Base of every error the indexer raises on purpose."""


class IndexBusyError(SearchIndexError):
    """Another writer held the index longer than the wait bound."""


class IndexUnavailableError(SearchIndexError):
    """The index cannot be opened or read, and there is nothing to rebuild it from."""


class RebuildError(SearchIndexError):
    """A rebuilt index failed its checks; the live index was left as it was."""
