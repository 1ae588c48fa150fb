"""Legacy Word (.doc, OLE2) through the Debian tool antiword, with catdoc as a second try.

No Python library reads .doc reliably; antiword does, and runs as a separate process, so a hostile
file costs at most the timeout. `-w 0` puts each paragraph on one line, `-m UTF-8.txt` keeps Chinese.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from .extracted import Extracted
from .model import ParseError

TIMEOUT = 30.0  # seconds per tool run


def _run(argv: list[str], name: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(argv, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ParseError(
            f"{name}（旧版Word .doc）转换超时（{TIMEOUT:.0f}秒），文件可能异常。"
            "请用Word或WPS打开后另存为docx再导入。"
        ) from exc


def extract(data: bytes, name: str = "文件") -> Extracted:
    antiword, catdoc = shutil.which("antiword"), shutil.which("catdoc")
    if not antiword and not catdoc:
        raise ParseError(
            f"读取{name}（旧版Word .doc）需要系统工具antiword，但本机未安装。"
            "请管理员执行 `apt-get install antiword`，或把文件另存为docx后导入。"
        )
    with tempfile.NamedTemporaryFile(suffix=".doc", delete=False) as tmp:
        tmp.write(data)
        path = tmp.name
    try:
        errors = []
        if antiword:
            result = _run([antiword, "-w", "0", "-m", "UTF-8.txt", path], name)
            if result.returncode == 0 and result.stdout.strip():
                return Extracted(text=result.stdout.decode("utf-8", "replace"), format="doc")
            errors.append(result.stderr.decode("utf-8", "replace").replace(path, name).strip())
        if catdoc:
            result = _run([catdoc, "-d", "utf-8", "-w", path], name)
            if result.returncode == 0 and result.stdout.strip():
                text = result.stdout.decode("utf-8", "replace")
                return Extracted(
                    text=text, format="doc", warnings=["antiword无法读取，已改用catdoc"]
                )
            errors.append(result.stderr.decode("utf-8", "replace").replace(path, name).strip())
    finally:
        os.unlink(path)
    detail = "；".join(e for e in errors if e) or "没有输出"
    if "encrypt" in detail.lower() or "password" in detail.lower():
        raise ParseError(
            f"{name}是加密的Word文档，需要密码。请用Word打开后另存为不加密的docx再导入。"
        )
    raise ParseError(
        f"{name}是旧版Office文件，但无法作为Word文档读取（{detail}）。"
        "它可能是Excel/PowerPoint文件、已损坏或已加密；请用Office打开后另存为docx再导入。"
    )
