"""The OCR cache: what OCR read of a file, kept in the data home by the file's SHA-256.

OCR is the slow part of ingest (seconds per page), so a file is read once: a re-ingest, a copy of
the file under another name, a reindex after a parser change or an upload of the same scan finds
the result here. One JSON file per entry under `ocr-cache/ab/` (0700: scans may be internal
files), written atomically; `stats.json` counts hits and misses across worker processes (under a
lock), so operators and tests can see that a second run did no OCR.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

STATS = "stats.json"


class OcrDirCache:
    """parsers.scan.OcrCache backed by a folder; safe to share between worker processes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(root, 0o700)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            value = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._count("misses")
            return None
        self._count("hits")
        return value

    def put(self, key: str, value: dict) -> None:
        path = self._path(key)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.part")
        tmp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    def stats(self) -> dict[str, int]:
        """{"hits": files found here, "misses": files that had to be read by OCR}."""
        try:
            return json.loads((self.root / STATS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"hits": 0, "misses": 0}

    def _count(self, what: str) -> None:
        with open(self.root / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            stats = self.stats()
            stats[what] = stats.get(what, 0) + 1
            tmp = self.root / f"{STATS}.part"
            tmp.write_text(json.dumps(stats), encoding="utf-8")
            os.replace(tmp, self.root / STATS)
