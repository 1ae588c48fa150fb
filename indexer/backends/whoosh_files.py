"""Reading Whoosh's compound segment files without copying them into the process.

Whoosh maps a compound segment file and opens each part as a `BufferFile` over a view of the
map, but `BufferFile` wraps that view in `io.BytesIO`, which copies it: every searcher opened
copied the whole index into the process. On lawref x10 (1 GB of index) that made reopening the
searcher after a write cost 350 ms and each web worker hold 1.7 GB. `ViewFile` reads the parts
through the view itself, so their pages stay in the page cache, shared by every process, and
opening a segment costs next to nothing. `install()` makes Whoosh's compound storage use it.
"""

from __future__ import annotations

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile


class _View:
    """The file interface `BufferFile` reads through (read, readline, seek, tell), over a
    memoryview."""

    __slots__ = ("_pos", "_view")

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def read(self, n: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._view) if n is None or n < 0 else min(start + n, len(self._view))
        self._pos = max(end, start)
        return bytes(self._view[start:end])

    def readline(self, limit: int = -1) -> bytes:
        """A line, as pickle reads one (`StructFile.read_pickle` loads from the file)."""
        end = len(self._view)
        if limit is not None and limit >= 0:
            end = min(self._pos + limit, end)
        found = bytes(self._view[self._pos : end]).find(b"\n")
        return self.read((found + 1) if found >= 0 else end - self._pos)

    def seek(self, pos: int, whence: int = 0) -> int:
        base = (0, self._pos, len(self._view))[whence]
        self._pos = base + pos
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        """Nothing to free: the map belongs to the compound storage."""


class ViewFile(BufferFile):
    """A `BufferFile` that reads its buffer in place instead of through a copy."""

    def __init__(self, buf, name: str | None = None, onclose=None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = memoryview(buf)
        self.file = _View(self._buf)

    def subset(self, position: int, length: int, name: str | None = None) -> ViewFile:
        return ViewFile(self._buf[position : position + length], name=name or self._name)


def install() -> None:
    """Open the parts of compound segments as `ViewFile`s (the name compound.py looks up)."""
    compound.BufferFile = ViewFile
