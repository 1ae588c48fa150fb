"""The server's own daily job: apply due date-driven status changes without waiting for the weekly run.

A daemon thread in every server process wakes every `CHECK_EVERY_S`, and the first process to take
the `daily` lock applies the day's transitions; the others find the lock busy or the day already
done (validity remembers the last date it ran) and go back to sleep. Each wake-up also retries
an index refresh that failed (the index backlog), so search never stays behind for long, and
refreshes the database's planner statistics when uploads have doubled the library. So several
workers, a restart at noon or a clock that jumps never apply a day twice or skip one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date

from . import indexing, planner_stats
from .core import Library
from .runlock import LockBusy, run_lock
from .validity.dates import DueTransition, run_due_if_needed

log = logging.getLogger("policylib.daily")

LOCK_NAME = "daily"
CHECK_EVERY_S = 900.0


def apply_due_once(lib: Library, today: date) -> list[DueTransition] | None:
    """Today's transitions if this call applied them; None if another process holds the lock or
    today was already done. Never raises: the server must keep serving whatever happens here."""
    try:
        with run_lock(lib.settings.home, LOCK_NAME, lib.db.engine):
            done = run_due_if_needed(lib, today)
    except LockBusy:
        return None
    except Exception:
        log.exception("daily due transitions failed today=%s", today.isoformat())
        return None
    if done is not None:
        log.info("daily due transitions today=%s changed=%d", today.isoformat(), len(done))
    return done


def retry_index_backlog(lib: Library) -> bool | None:
    """Refresh what a failed index refresh left behind (see library/index_backlog.py); never
    raises, like the transitions above."""
    try:
        return indexing.catch_up(lib)
    except Exception:  # logged; the next wake-up tries again
        log.exception("index backlog retry failed")
        return False


def refresh_planner_stats(lib: Library) -> bool:
    """`ANALYZE` when uploads have grown the library enough since the last one; never raises."""
    try:
        with lib.db.session() as session:
            return planner_stats.analyze_if_grown(session)
    except Exception:  # logged; the next wake-up tries again
        log.exception("planner statistics refresh failed")
        return False


class DailyTransitions(threading.Thread):
    """Start with `.start()`; `.stop()` ends it at the next wake-up (tests, clean shutdown)."""

    def __init__(
        self,
        lib: Library,
        *,
        clock: Callable[[], date] = date.today,
        every_s: float = CHECK_EVERY_S,
    ) -> None:
        super().__init__(name="policylib-daily", daemon=True)
        self.lib, self.clock, self.every_s = lib, clock, every_s
        self._stop_event = threading.Event()
        self.checks = 0

    def run(self) -> None:
        while not self._stop_event.is_set():
            apply_due_once(self.lib, self.clock())
            retry_index_backlog(self.lib)
            refresh_planner_stats(self.lib)
            self.checks += 1
            self._stop_event.wait(self.every_s)

    def stop(self) -> None:
        self._stop_event.set()
