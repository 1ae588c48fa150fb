"""What both backends derive from an `IndexRecord` the same way: the title key, the sort date and
how much of a body is kept for snippets. Neither Whoosh nor PostgreSQL specific, so the query plan
and both backends read them from here (the Whoosh schema too).
"""

from __future__ import annotations

import re
from datetime import date

from .analyzer import fold
from .records import IndexRecord

# Only the start of a body is stored, for snippets: the full text lives in the database, and
# loading less per hit keeps result pages fast.
STORED_BODY_CHARS = 6_000

_NOT_KEY = re.compile(r"[^0-9a-z\u3400-\u9fff\uf900-\ufaff]+")


def title_key(title: str) -> str:
    """The title reduced to what makes two titles "the same": folded, punctuation and spaces gone.
    Versions of one re-issued text share it; a query equal to it asked for exactly that title.

    The library matches titles with its own `library.titles.normalize_title` (years, 《》, fuzzy
    matching for cleanup sheets); the index cannot import the library, and its key must fold
    exactly as the index folds (`analyzer.fold`), so a query and a record agree.
    """
    return _NOT_KEY.sub("", fold(title))


def sort_date(record: IndexRecord) -> date | None:
    """The date a reader means by "newest": published, else signed, else effective."""
    return record.published_date or record.signed_date or record.effective_date
