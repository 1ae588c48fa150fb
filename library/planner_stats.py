"""The query planner's statistics: `ANALYZE` when the library has grown enough for them to matter.

Without statistics SQLite chooses indexes by guesswork: at ingest the near-duplicate lookup (title
and dates) went through the `kind` index, which matches every row, so storing one file cost a
scan of the documents table and a large import grew quadratically (issue 17). PostgreSQL's
autovacuum analyses in the end, but not in the middle of one long import. So ingest, the daily
job and the weekly run call `analyze_if_grown`, and the weekly run `analyze` outright: each
`ANALYZE` costs about one pass over the indexes, and doubling means a few passes per import.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from .models import AppState, Base, Document

log = logging.getLogger("policylib.planner_stats")

STATE_KEY = "planner_stats"
# Analyse again once the documents table holds this many times the rows it held last time ...
GROWTH_FACTOR = 2
# ... and at least this many more (a small library is fast whatever the planner picks).
MIN_GROWTH = 100


def analyze(session: Session) -> int:
    """Refresh the statistics of every table of the library (not the search backend's own tables,
    which keep theirs); returns the number of documents they were taken at."""
    return _analyze(session, _documents(session))


def analyze_if_grown(session: Session) -> bool:
    """`analyze` when the documents grew by GROWTH_FACTOR since the last one; True if it ran."""
    state = session.get(AppState, STATE_KEY)
    last = int((state.value if state else {}).get("documents", 0))
    count = _documents(session)
    if count - last < MIN_GROWTH or count < GROWTH_FACTOR * last:
        return False
    _analyze(session, count)
    return True


def _analyze(session: Session, count: int) -> int:
    """ANALYZE each table and remember `count`, the documents counted in this transaction."""
    for table in Base.metadata.sorted_tables:
        session.execute(text(f'ANALYZE "{table.name}"'))
    state = session.get(AppState, STATE_KEY) or AppState(key=STATE_KEY)
    state.value = {"documents": count}
    session.add(state)
    log.info("planner statistics refreshed documents=%d", count)
    return count


def _documents(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Document)) or 0
