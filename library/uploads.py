"""One store for uploads kept between their preview and their apply (cleanup sheet, Q&A import).

An upload is parsed once, when it arrives; what the parse gave is kept beside the file as JSON, so
each preview page (and the apply) reads that instead of parsing the file again. A token of 32 hex
digits names an upload and nothing else does; files are 0600 in a 0700 folder.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from .core import Library
from .models import utcnow
from .private_files import private_dir, write_private

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Upload:
    token: str
    meta: dict  # file name, who, when, and what the caller added (e.g. the basis)
    parsed: object  # what the caller's parser made of the file, as JSON


class UploadStore:
    """Uploads of one kind (`cleanup`, `qa`) under <home>/uploads/<kind>; `error` is the caller's
    exception type, raised with a message that says to upload again."""

    def __init__(self, lib: Library, kind: str, error: type[Exception], what: str) -> None:
        self.folder = lib.settings.home / "uploads" / kind
        self.error, self.what = error, what

    def save(self, data: bytes, parsed: object, **meta: object) -> str:
        private_dir(self.folder)
        token = secrets.token_hex(16)
        write_private(self.folder / f"{token}.bin", data)
        record = {"meta": {**meta, "at": utcnow().isoformat()}, "parsed": parsed}
        write_private(self.folder / f"{token}.json", json.dumps(record, ensure_ascii=False))
        return token

    def load(self, token: str) -> Upload:
        if not _TOKEN.match(token or ""):
            raise self.error(f"上传凭据无效；请重新上传{self.what}。")
        path = self.folder / f"{token}.json"
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise self.error(f"找不到先前上传的{self.what}（可能已被清除）；请重新上传。") from None
        if not isinstance(record, dict) or "parsed" not in record:
            raise self.error(f"先前上传的{self.what}来自旧版本，无法再用；请重新上传。")
        return Upload(token, record["meta"], record["parsed"])

    def original(self, token: str) -> Path:
        """The uploaded file as it came, for the record."""
        return self.folder / f"{token}.bin"
