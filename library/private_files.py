"""Files and folders of the data home are the service user's alone: 0600 files, 0700 folders.

config.toml holds the secret key that signs sessions, the SQLite file holds password hashes,
uploads and originals hold what staff sent, logs name people and addresses. None of it may be
readable by other accounts on the server, whatever umask the process was started with, so these
helpers give the mode explicitly at creation instead of leaving it to the umask.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as 0700; an existing folder is left as it is."""
    path = Path(path)
    if path.is_dir():
        return path
    if not path.parent.exists():
        private_dir(path.parent)
    path.mkdir(mode=DIR_MODE, exist_ok=True)
    os.chmod(path, DIR_MODE)  # mkdir's mode passes through the umask
    return path


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_TRUNC) -> int:
    """os.open with 0600 for a file it creates; the mode of an existing file is tightened too."""
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return fd


def touch_private(path: Path) -> Path:
    """Make sure `path` exists as a 0600 file (e.g. before SQLite creates the database in it)."""
    os.close(open_private(path, os.O_WRONLY | os.O_CREAT))
    return path


def write_private(path: Path, data: bytes | str) -> Path:
    """Write (replace) a 0600 file; text is written as UTF-8."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with os.fdopen(open_private(path), "wb") as fh:
        fh.write(payload)
    return path


def copy_private(source: Path, dest: Path) -> Path:
    """Copy `source` byte for byte into a new 0600 file."""
    with Path(source).open("rb") as src, os.fdopen(open_private(dest), "wb") as dst:
        shutil.copyfileobj(src, dst)
    return dest
