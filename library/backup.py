"""Backup and restore of a data home: database, originals and config in one .tar.gz.

The database is copied with SQLite's online backup API, which takes a consistent snapshot while the
web app keeps reading and writing. The originals are content-addressed and never rewritten, and each
is stored before the row that names it is committed, so copying them after the snapshot gives every
document its file. The index is left out on purpose: it is derived from the database and rebuilt on
restore. The archive carries a manifest (versions, counts, sha256 of every member) that restore
checks before it touches the home.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from sqlalchemy.engine import make_url

from .config import CONFIG_NAME, Settings

log = logging.getLogger("policylib.backup")

FORMAT = "policylib-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBER = "policylib.sqlite3"
ORIGINALS = "originals"
COUNTED_TABLES = ("documents", "document_revisions", "audit_log", "status_changes", "qa_entries")


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why and what to do."""


def _refuse_non_sqlite(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        raise BackupError(
            "this deployment uses PostgreSQL: back the database up with `pg_dump -Fc` and restore "
            "it with `pg_restore` (see docs/operations.md); `policylib backup` covers SQLite homes"
        )


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _snapshot_db(source: Path, dest: Path) -> dict[str, int]:
    """Online copy of a live database; returns row counts of the tables a restore is checked by."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        names = {r[0] for r in dst.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        counts = {
            t: dst.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in COUNTED_TABLES
            if t in names
        }
        counts["alembic_revision"] = _revision(dst, names)
        return counts
    finally:
        dst.close()
        src.close()


def _revision(conn: sqlite3.Connection, names: set[str]) -> str | None:
    if "alembic_version" not in names:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def create_backup(settings: Settings, dest: Path) -> dict:
    """Write the archive to `dest` (atomically: a crash leaves no half archive); returns the manifest."""
    _refuse_non_sqlite(settings.database_url)
    db_path = Path(make_url(settings.database_url).database or "")
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}: nothing to back up")
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="policylib-backup-", dir=dest.parent) as tmp:
        db_copy = Path(tmp) / DB_MEMBER
        counts = _snapshot_db(db_path, db_copy)
        members: dict[str, Path] = {DB_MEMBER: db_copy}
        if settings.config_path.exists():
            members[CONFIG_NAME] = settings.config_path
        for path in sorted(settings.originals_dir.rglob("*")):
            if path.is_file() and not path.name.endswith(".part"):
                members[f"{ORIGINALS}/{path.relative_to(settings.originals_dir).as_posix()}"] = path
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "policylib_version": version("policylib"),
            "source_home": str(settings.home),
            "alembic_revision": counts.pop("alembic_revision"),
            "counts": counts,
            "files": {
                name: {"sha256": _sha256(p), "size": p.stat().st_size}
                for name, p in members.items()
            },
        }
        part = Path(tmp) / "archive.tar.gz"
        with tarfile.open(part, "w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode())
            for name, path in members.items():
                tar.add(path, arcname=name, recursive=False)
        os.chmod(part, 0o600)  # config.toml holds the secret key
        os.replace(part, dest)
    log.info("backup written path=%s files=%d counts=%s", dest, len(members), counts)
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def read_manifest(archive: Path) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            fh = tar.extractfile(MANIFEST)
            manifest = json.load(fh) if fh else None
    except KeyError:
        manifest = None
    except (OSError, tarfile.TarError, json.JSONDecodeError) as exc:
        raise BackupError(f"{archive} is not a readable policylib backup: {exc}") from exc
    if not manifest or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} has no policylib manifest: not a policylib backup")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise BackupError(
            f"{archive} was written by a newer policylib (format {manifest['format_version']}): "
            "upgrade policylib before restoring it"
        )
    return manifest


def _extract_verified(archive: Path, manifest: dict, dest: Path) -> None:
    """Extract with tarfile's `data` filter (no absolute paths, links or devices) and check hashes."""
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(dest, filter="data")
    for name, meta in manifest["files"].items():
        path = dest / name
        if not path.is_file():
            raise BackupError(
                f"the archive lacks {name}, which its manifest lists: it is incomplete"
            )
        if _sha256(path) != meta["sha256"]:
            raise BackupError(
                f"{name} in the archive is damaged (sha256 differs from the manifest)"
            )


@dataclass
class RestoreResult:
    manifest: dict
    home: Path
    set_aside: Path | None


def _in_use(home: Path) -> list[Path]:
    """What a restore would overwrite: the database and any stored original."""
    found = [p for p in (home / DB_MEMBER,) if p.exists()]
    originals = home / ORIGINALS
    if originals.is_dir() and any(p.is_file() for p in originals.rglob("*")):
        found.append(originals)
    return found


def restore_backup(home: Path, archive: Path, *, force: bool = False) -> RestoreResult:
    """Put a backup into `home`; the caller then opens the Library (migrations) and rebuilds the index.

    Without `force` the home must hold no database and no originals. With `force` whatever would be
    replaced is moved into `home/replaced-<time>/`, never deleted. Stop the server first.
    """
    home = home.expanduser().resolve()
    _refuse_non_sqlite(_env_database_url(home))
    archive = archive.resolve()
    manifest = read_manifest(archive)
    home.mkdir(parents=True, exist_ok=True)
    in_use = _in_use(home)
    if in_use and not force:
        raise BackupError(
            f"{home} already holds a library ({', '.join(p.name for p in in_use)}): restore into an "
            "empty home, or pass --force to set the current data aside and replace it"
        )
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=home))
    try:
        _extract_verified(archive, manifest, staging)
        set_aside = _set_aside(home) if in_use or (home / CONFIG_NAME).exists() else None
        _move_in(staging, home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("restore done home=%s archive=%s set_aside=%s", home, archive, set_aside)
    return RestoreResult(manifest=manifest, home=home, set_aside=set_aside)


def _env_database_url(home: Path) -> str:
    """The database the restored home would use: only SQLite in the home can be restored here."""
    url = os.environ.get("POLICYLIB_DATABASE_URL", "")
    if not url and (home / CONFIG_NAME).exists():
        with (home / CONFIG_NAME).open("rb") as fh:
            url = tomllib.load(fh).get("database_url", "")
    return url or "sqlite:///"


def _set_aside(home: Path) -> Path:
    """Move the current database, WAL files, originals, config and index out of the way, unharmed."""
    aside = home / f"replaced-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    aside.mkdir()
    names = [DB_MEMBER, f"{DB_MEMBER}-wal", f"{DB_MEMBER}-shm", ORIGINALS, CONFIG_NAME, "index"]
    for name in names:
        if (home / name).exists():
            os.replace(home / name, aside / name)
    return aside


def _move_in(staging: Path, home: Path) -> None:
    for name in (f"{DB_MEMBER}-wal", f"{DB_MEMBER}-shm"):
        (home / name).unlink(missing_ok=True)
    if (staging / ORIGINALS).is_dir():
        shutil.rmtree(home / ORIGINALS, ignore_errors=True)
        os.replace(staging / ORIGINALS, home / ORIGINALS)
    if (staging / CONFIG_NAME).exists():
        os.replace(staging / CONFIG_NAME, home / CONFIG_NAME)
    os.replace(staging / DB_MEMBER, home / DB_MEMBER)  # last: its presence marks a finished restore
