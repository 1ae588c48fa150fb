"""Upload batches: files and zipped folders handed in on the intake desk, ingested in the background.

A batch is a database row (`UploadBatch`) holding every file's outcome and the progress, so any web
worker can show it and a page reload loses nothing. Files are written to `uploads/<batch>/` in the
data home and go through the same ingest as `policylib ingest` (format detection by content, size
limit, worker processes with time and memory caps, one outcome per file); the folder is removed
when the batch ends, since ingest keeps every original under `originals/`.

A .zip is unpacked here, refusing per member what could hurt: absolute or `..` paths, symbolic
links, encrypted members, members over the size limit, implausible compression ratios (zip bombs),
and more members or more bytes in all than a folder upload may bring. Each refusal is a `failed`
outcome with its reason; the rest of the batch goes on.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import threading
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from sqlalchemy import select

from .core import Library
from .ingest import SUPPORTED_SUFFIXES, FileOutcome, ingest_paths, iter_files
from .models import UploadBatch, utcnow
from .private_files import open_private, private_dir
from .sidecar import SIDECAR_NAME

log = logging.getLogger("policylib.uploads")

MAX_ZIP_MEMBERS = 5000
ZIP_TOTAL_FACTOR = 20  # a zip may unpack to this many times the per-file limit in all
MAX_RATIO = 200  # uncompressed / compressed above this (and above 1 MB) is treated as a bomb
RATIO_FLOOR = 1024 * 1024
CHUNK = 20  # files per ingest call: the progress a clerk sees moves at least this often
_UNSAFE_NAME = re.compile(r"[^\w.\-（）()【】〔〕\[\] ]+")


class UploadError(ValueError):
    """An upload that cannot start at all (nothing chosen); the message says what to do."""


@dataclass
class _Entry:
    name: str  # as the clerk knows it: the file name, or zip name / path inside
    path: Path | None = None  # where it waits for ingest; None when refused already
    error: str | None = None

    def as_dict(self) -> dict:
        outcome = "failed" if self.error else "pending"
        return {"name": self.name, "outcome": outcome, "error": self.error, "document_id": None}


def uploads_dir(lib: Library, batch_id: int) -> Path:
    return lib.settings.home / "uploads" / "batches" / str(batch_id)


def _safe_name(name: str) -> str:
    """A file name that cannot leave its folder; Chinese kept, separators and oddities replaced."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE_NAME.sub("_", base).strip(" .") or "file"
    return base[:150]


def _member_name(info: zipfile.ZipInfo) -> str:
    """The name as written: zips from Windows carry GBK names without the UTF-8 flag."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _member_problem(info: zipfile.ZipInfo, name: str, max_bytes: int) -> str | None:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return "压缩包内的路径不安全（绝对路径或含“..”），已拒绝 / unsafe path in zip"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "压缩包内的符号链接，已拒绝 / symbolic link in zip refused"
    if info.flag_bits & 0x1:
        return "压缩包内的文件已加密，无法读取；请解密后重新打包 / encrypted member"
    if info.file_size > max_bytes:
        return (
            f"文件过大（解压后 {info.file_size // 1024 // 1024} MB，上限 "
            f"{max_bytes // 1024 // 1024} MB）/ file too large"
        )
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return "压缩比异常（疑似压缩炸弹），已拒绝 / implausible compression ratio"
    return None


def _hidden(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def _copy_capped(src: BinaryIO, dest: Path, limit: int) -> bool:
    """Copy at most `limit` bytes; False (and nothing left behind) if there was more."""
    written = 0
    with os.fdopen(open_private(dest), "wb") as out:
        while block := src.read(1024 * 1024):
            written += len(block)
            if written > limit:
                break
            out.write(block)
    if written > limit:
        dest.unlink()
        return False
    return True


def _unpack(zip_path: Path, label: str, root: Path, max_bytes: int) -> list[_Entry]:
    """Unpack a zip into `root`, member by member; each refused member becomes a failed entry."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        return [_Entry(label, error=f"不是有效的 zip 压缩包（{exc}）；请重新打包 / bad zip")]
    entries: list[_Entry] = []
    with archive:
        members = [i for i in archive.infolist() if not i.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            return [
                _Entry(
                    label, error=f"压缩包内文件过多（{len(members)} 个，上限 {MAX_ZIP_MEMBERS}）"
                )
            ]
        budget = max_bytes * ZIP_TOTAL_FACTOR
        for info in members:
            name = _member_name(info)
            shown = f"{label}/{name}"
            problem = _member_problem(info, name, max_bytes)
            if problem is None and _hidden(name):
                continue  # as the folder walk skips hidden files (and macOS's __MACOSX)
            if problem is None and info.file_size > budget:
                problem = "压缩包解压后总量超过上限，其余文件未解压 / zip too large in total"
            if problem:
                entries.append(_Entry(shown, error=problem))
                continue
            budget -= info.file_size
            dest = root.joinpath(*PurePosixPath(name.replace("\\", "/")).parts)
            try:
                private_dir(dest.parent)
                with archive.open(info) as src:
                    ok = _copy_capped(src, dest, max_bytes)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                entries.append(_Entry(shown, error=f"无法解压（{exc}）/ cannot unpack"))
                continue
            if not ok:
                entries.append(_Entry(shown, error="解压后超过大小上限，已拒绝 / too large"))
                continue
            entries.append(_Entry(shown, path=dest.resolve()))
    return _walk_like_ingest(entries, root)


def _walk_like_ingest(entries: list[_Entry], root: Path) -> list[_Entry]:
    """Keep what `policylib ingest FOLDER` would read; name what it would skip silently."""
    walked = set(iter_files([root]))
    kept: list[_Entry] = []
    for e in entries:
        if e.path is None or e.path in walked:
            kept.append(e)
        elif e.path.name == SIDECAR_NAME or e.path.name.lower().startswith("readme"):
            continue  # a catalogue or a description of the folder, read as such by ingest
        else:
            suffix = e.path.suffix.lower() or "无扩展名"
            kept.append(
                _Entry(
                    e.name,
                    error=f"不支持的文件类型（{suffix}）；支持："
                    + "、".join(sorted(SUPPORTED_SUFFIXES)),
                )
            )
    return kept


def create_batch(lib: Library, files: Iterable[tuple[str, BinaryIO]], *, actor: str) -> int:
    """Store the uploaded files (unpacking zips) and a queued batch row; returns the batch id.

    `files` are (name as uploaded, readable binary stream) pairs.
    """
    max_bytes = lib.settings.max_file_mb * 1024 * 1024
    with lib.db.session() as session:
        batch = UploadBatch(actor=actor, state="queued")
        session.add(batch)
        session.flush()
        batch_id = batch.id
    folder = uploads_dir(lib, batch_id)
    entries: list[_Entry] = []
    for n, (name, stream) in enumerate(files, start=1):
        name = (name or "").replace("\\", "/").rsplit("/", 1)[-1] or f"文件{n}"
        dest = folder / f"{n:04d}" / _safe_name(name)
        private_dir(dest.parent)
        if not _copy_capped(stream, dest, max_bytes):
            entries.append(_Entry(name, error=f"文件过大（上限 {lib.settings.max_file_mb} MB）"))
        elif zipfile.is_zipfile(dest) and dest.suffix.lower() == ".zip":
            entries += _unpack(dest, name, folder / f"{n:04d}-unzipped", max_bytes)
        else:
            entries.append(_Entry(name, path=dest.resolve()))
    if not entries:
        _drop_batch(lib, batch_id)
        raise UploadError("没有收到任何文件；请选择要上传的文件或 .zip 压缩包。")
    with lib.db.session() as session:
        batch = session.get(UploadBatch, batch_id)
        batch.files = [e.as_dict() | {"path": str(e.path) if e.path else None} for e in entries]
        batch.total = sum(1 for e in entries if e.path)
    return batch_id


def _drop_batch(lib: Library, batch_id: int) -> None:
    with lib.db.session() as session:
        session.delete(session.get(UploadBatch, batch_id))
    shutil.rmtree(uploads_dir(lib, batch_id), ignore_errors=True)


def _record(lib: Library, batch_id: int, outcomes: list[FileOutcome]) -> None:
    """Write a chunk's outcomes onto the batch row, so every worker's page shows the progress."""
    with lib.db.session() as session:
        batch = session.get(UploadBatch, batch_id)
        by_path = {o.path: o for o in outcomes}
        files = []
        for f in batch.files:
            o = by_path.get(f.get("path") or "")
            if o is not None and f["outcome"] == "pending":
                f = f | {"outcome": o.outcome, "error": o.error, "document_id": o.document_id}
                f["title"] = o.title
            files.append(f)
        batch.files = files
        batch.processed = sum(1 for f in files if f.get("path") and f["outcome"] != "pending")


def run_batch(lib: Library, batch_id: int) -> None:
    """Ingest a queued batch chunk by chunk, recording each chunk's outcomes as it goes."""
    with lib.db.session() as session:
        batch = session.get(UploadBatch, batch_id)
        batch.state, batch.started_at = "running", utcnow()
        paths = [Path(f["path"]) for f in batch.files if f.get("path")]
    try:
        for start in range(0, len(paths), CHUNK):
            report = ingest_paths(lib, paths[start : start + CHUNK])
            _record(lib, batch_id, report.files)
        state, error = "done", None
    except Exception as exc:  # the clerk must see that the batch stopped, and why
        log.exception("upload batch failed batch=%s", batch_id)
        state, error = "failed", f"导入中断：{type(exc).__name__}: {exc}；已处理的文件不受影响"
    with lib.db.session() as session:
        batch = session.get(UploadBatch, batch_id)
        batch.state, batch.error, batch.finished_at = state, error, utcnow()
    shutil.rmtree(uploads_dir(lib, batch_id), ignore_errors=True)
    log.info("upload batch finished batch=%s state=%s", batch_id, state)


def start_batch(lib: Library, batch_id: int) -> threading.Thread:
    """Run the batch in a background thread of this process; its state lives in the database."""
    thread = threading.Thread(
        target=run_batch, args=(lib, batch_id), name=f"upload-{batch_id}", daemon=True
    )
    thread.start()
    return thread


def batch_dict(batch: UploadBatch) -> dict:
    files = [{k: v for k, v in f.items() if k != "path"} for f in batch.files or []]
    counts: dict[str, int] = {}
    for f in files:
        counts[f["outcome"]] = counts.get(f["outcome"], 0) + 1
    return {
        "id": batch.id,
        "actor": batch.actor,
        "state": batch.state,
        "created_at": batch.created_at.isoformat(timespec="seconds"),
        "started_at": batch.started_at.isoformat(timespec="seconds") if batch.started_at else None,
        "finished_at": batch.finished_at.isoformat(timespec="seconds")
        if batch.finished_at
        else None,
        "total": batch.total,
        "processed": batch.processed,
        "finished": batch.state in ("done", "failed"),
        "counts": counts,
        "files": files,
        "error": batch.error,
    }


def recent_batches(lib: Library, limit: int = 10) -> list[dict]:
    with lib.db.session() as session:
        stmt = select(UploadBatch).order_by(UploadBatch.id.desc()).limit(limit)
        return [batch_dict(b) for b in session.scalars(stmt)]


def get_batch(lib: Library, batch_id: int) -> dict | None:
    with lib.db.session() as session:
        batch = session.get(UploadBatch, batch_id)
        return batch_dict(batch) if batch else None
