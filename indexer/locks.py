"""One writer at a time across threads and processes, with bounded waiting.

Whoosh's own lock fails at once with LockError when another writer holds it. Every write here first
takes an OS lock (flock on a lock file beside the index): a thread or process waits its turn, and
only after the bound does the caller get `IndexBusyError` naming the index and what to do.
flock belongs to an open file, so two threads of one process exclude each other as two processes do,
and the kernel releases it when a process dies: no stale locks after a crash.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from .errors import IndexBusyError

_POLL_SECONDS = 0.01
_MAX_POLL_SECONDS = 0.1


class FileLock:
    def __init__(self, path: Path, timeout: float, what: str = "write to the search index") -> None:
        self.path = path
        self.timeout = timeout
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        pause = _POLL_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise IndexBusyError(
                        f"could not {self.what}: another writer held {self.path} for more than "
                        f"{self.timeout:g} s; try again in a moment, or check for a stuck process"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 1.5, _MAX_POLL_SECONDS)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
