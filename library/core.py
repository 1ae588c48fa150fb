"""The Library facade: settings, database and search index for one data home.

The CLI and the web app both open one of these; nothing else reads configuration directly.
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings, load_settings
from .db import Database
from .index_backlog import track
from .logs import setup_logging

if TYPE_CHECKING:
    from indexer import SearchBackend

PROJECT_DATA = Path(__file__).resolve().parent.parent / "data"


class Library:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        setup_logging(settings)
        self.log = logging.getLogger("policylib")

    @classmethod
    def open(cls, home: Path | str | None = None) -> Library:
        return cls(load_settings(home))

    @cached_property
    def db(self) -> Database:
        """Its sessions record every change to a search record in the index backlog."""
        database = Database(self.settings.database_url)
        track(database.sessionmaker)
        return database

    @cached_property
    def index(self) -> SearchBackend:
        """The search index of settings.search_backend: `whoosh` (files in the data home, one
        node) or `postgres` (tables in the library's PostgreSQL database, shared by every node;
        docs/scaling.md). Both have the same interface (`indexer.SearchBackend`)."""
        from indexer import open_index

        from . import indexing

        def source() -> tuple:
            return indexing.all_records(self), indexing.count_records(self)

        # When the index cannot be opened (e.g. after a crash mid-commit) it is rebuilt from the DB.
        return open_index(
            self.settings.search_backend,
            index_dir=self.settings.index_dir,
            database_url=self.settings.database_url,
            dictionary_dir=PROJECT_DATA / "dict",
            records_source=source,
        )

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.dispose()
        if "index" in self.__dict__:
            self.index.close()
