"""Catalogue sidecars: a `metadata.csv` beside the files, as exported by many document systems.

Columns used when present: path (relative to the CSV's folder), title, level, publish_date,
effective_date, expired (1/true/是). The catalogue knows the level and validity better than any
guess from the text, so its values win, with the row as evidence.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path

log = logging.getLogger("policylib.ingest")
SIDECAR_NAME = "metadata.csv"
TRUE_WORDS = {"1", "true", "yes", "是", "y"}


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


class Sidecar:
    def __init__(self) -> None:
        self.rows: dict[Path, dict] = {}

    def add_file(self, csv_path: Path) -> None:
        base = csv_path.parent.resolve()
        try:
            with csv_path.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                if not reader.fieldnames or "path" not in reader.fieldnames:
                    return
                for n, row in enumerate(reader, start=2):
                    if row.get("path"):
                        self.rows[Path(os.path.normpath(base / row["path"]))] = _clean(row, n)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            log.warning("sidecar unreadable path=%s error=%s", csv_path, exc)

    def lookup(self, path: Path) -> dict | None:
        """The row of a file by its real path, as `ingest.iter_files` yields it. Rows are keyed
        by their path made plain (`..` taken out) under the catalogue's real folder, without
        resolving each one (a system call per directory, for every row of a catalogue of tens
        of thousands): a row naming a file through a symbolic link finds nothing, as the walk
        never goes through one either."""
        return self.rows.get(path) if self.rows else None


def _clean(row: dict, n: int) -> dict:
    return {
        "row": n,
        "title": (row.get("title") or "").strip() or None,
        "level": (row.get("level") or "").strip() or None,
        "published_date": _date(row.get("publish_date")),
        "effective_date": _date(row.get("effective_date")),
        "expired": (row.get("expired") or "").strip().lower() in TRUE_WORDS,
    }


def load_sidecars(paths: Iterable[Path | str]) -> Sidecar:
    sidecar = Sidecar()
    for p in map(Path, paths):
        if p.is_dir() and (p / SIDECAR_NAME).is_file():
            sidecar.add_file(p / SIDECAR_NAME)
    return sidecar
