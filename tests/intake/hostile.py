"""Zips for the upload tests: the five seeds in every format, and hostile ones built here."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

from tests.conftest import SAMPLES


def seeds_zip(folder: str = "seeds") -> bytes:
    """The five seeds in every format (data/samples and data/samples/formats, not the demo's
    scanned notice in data/samples/scans), as a clerk would zip the folder."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(SAMPLES.rglob("*")):
            if path.is_file() and "scans" not in path.relative_to(SAMPLES).parts:
                z.write(path, f"{folder}/{path.relative_to(SAMPLES).as_posix()}")
    return buf.getvalue()


def hostile_zip() -> bytes:
    """Path traversal, an absolute path, a symbolic link, a zip bomb, a program and a file that
    blocks a folder's name, plus one good text so the test can see the batch went on."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("../../escape.txt", "关于越界路径的通知\n正文。\n")
        z.writestr("/etc/absolute.txt", "绝对路径\n")
        link = zipfile.ZipInfo("evil-link.txt")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "/etc/passwd")
        z.writestr("bomb.txt", b"0" * (40 * 1024 * 1024))  # under the size limit, about 1000:1
        z.writestr("tool.exe", b"MZ\x90\x00 not a document")
        z.writestr("clash", b"a file where a folder of the same name follows")
        z.writestr("clash/冲突.txt", "同名的文件与文件夹\n".encode())
        z.writestr(
            "ok/关于测试上传的通知.txt",
            "关于测试上传的通知\n宣府办〔2024〕3号\n各乡镇人民政府：现就上传测试通知如下。\n"
            "宣汉县人民政府办公室\n2024年1月5日\n",
        )
    return buf.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
