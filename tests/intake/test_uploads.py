"""Upload batches at the library level: every seed in every format from a zip, hostile members
refused one by one with a reason while the batch goes on, progress and outcomes in the database."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from library import upload_batches
from library.core import Library
from tests.intake.hostile import hostile_zip, seeds_zip


def _outcomes(batch: dict) -> dict[str, tuple[str, str | None]]:
    return {f["name"]: (f["outcome"], f["error"]) for f in batch["files"]}


def test_a_zip_of_the_seeds_in_every_format_and_a_hostile_zip(lib: Library) -> None:
    files = [
        ("seeds.zip", io.BytesIO(seeds_zip())),
        ("hostile.zip", io.BytesIO(hostile_zip())),
        ("单独的文件.txt", io.BytesIO("单独上传的通知\n正文一段。\n".encode())),
    ]
    batch_id = upload_batches.create_batch(lib, files, actor="clerk")
    queued = upload_batches.get_batch(lib, batch_id)
    assert queued["state"] == "queued" and queued["processed"] == 0
    upload_batches.run_batch(lib, batch_id)
    batch = upload_batches.get_batch(lib, batch_id)
    got = _outcomes(batch)
    assert batch["state"] == "done" and batch["processed"] == batch["total"] == 22

    seeds = {n: o for n, (o, _) in got.items() if n.startswith("seeds.zip/")}
    assert len(seeds) == 20  # 5 texts + 15 other formats
    assert sorted(seeds[f"seeds.zip/seeds/{n}"] for n in ("000_bb9fbcf38e3de303.txt",)) == ["added"]
    assert {o for n, o in seeds.items() if "/formats/" in n} <= {"duplicate", "added"}
    assert sum(o == "added" for o in seeds.values()) >= 5
    assert all(o != "failed" for o in seeds.values()), seeds
    assert got["单独的文件.txt"][0] == "added"

    refused = {n.removeprefix("hostile.zip/"): e for n, (o, e) in got.items() if o == "failed"}
    assert "不安全" in refused["../../escape.txt"]
    assert "不安全" in refused["/etc/absolute.txt"]
    assert "符号链接" in refused["evil-link.txt"]
    assert "压缩炸弹" in refused["bomb.txt"]
    assert "不支持的文件类型" in refused["tool.exe"]
    assert "无法解压" in refused["clash/冲突.txt"]  # "clash" is a file already
    assert "不支持的文件类型" in refused["clash"]
    assert got["hostile.zip/ok/关于测试上传的通知.txt"][0] == "added"
    assert not (lib.settings.home.parent / "escape.txt").exists()
    assert not upload_batches.uploads_dir(lib, batch_id).exists()  # originals are kept by ingest
    new_ids = [f["document_id"] for f in batch["files"] if f["outcome"] == "added"]
    assert len(new_ids) == len(set(new_ids)) and all(new_ids)


def test_uploading_the_same_files_again_reports_duplicates(lib: Library) -> None:
    first = upload_batches.create_batch(lib, [("seeds.zip", io.BytesIO(seeds_zip()))], actor="c")
    upload_batches.run_batch(lib, first)
    again = upload_batches.create_batch(lib, [("seeds.zip", io.BytesIO(seeds_zip()))], actor="c")
    upload_batches.run_batch(lib, again)
    batch = upload_batches.get_batch(lib, again)
    assert set(batch["counts"]) == {"duplicate"}, batch["counts"]


def test_bad_uploads_are_named(lib: Library, tmp_path: Path) -> None:
    batch_id = upload_batches.create_batch(
        lib, [("broken.zip", io.BytesIO(b"PK\x03\x04 truncated")), ("empty.txt", io.BytesIO())],
        actor="c",
    )  # fmt: skip
    upload_batches.run_batch(lib, batch_id)
    got = _outcomes(upload_batches.get_batch(lib, batch_id))
    assert got["broken.zip"][0] == "failed"
    assert got["empty.txt"] == ("failed", got["empty.txt"][1]) and "空" in got["empty.txt"][1]
    with pytest.raises(upload_batches.UploadError, match="没有收到任何文件"):
        upload_batches.create_batch(lib, [], actor="c")
