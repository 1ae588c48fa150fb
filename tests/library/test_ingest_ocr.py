"""Ingesting scans: stored like their text seeds and marked as OCR'd, the original kept byte for
byte, OCR done once per file (a re-ingest under another name and a reindex find the cache; the
cache's own hit/miss counts prove it), bad scans failing alone, and `ocr = false` refusing scans.

The scans come from the `ocr_scans` session fixture, OCR'd once; a test copies its OCR cache into
the home so ingest finds the results there (the cache is keyed by file hash, not path).
"""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from rapidfuzz.distance import Levenshtein
from sqlalchemy import func, select

from library.core import Library
from library.documents import document_dict
from library.ingest import (
    OcrJob,
    ingest_paths,
    original_path,
    parse_in_workers,
    searchable_path,
)
from library.models import Document, SourceFile
from library.ocr_cache import OcrDirCache
from library.reindex import run_reindex
from parsers import parse_file
from tests import scans
from tests.ops.support import run_cli
from webapp import create_app


def with_cache(lib: Library, ocr_scans) -> None:
    shutil.copytree(ocr_scans.cache_dir, lib.settings.ocr_cache_dir, dirs_exist_ok=True)


def copy_scans(ocr_scans, dest: Path, names: list[str]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(ocr_scans.folder / name, dest / name)
    return dest


def test_scans_are_stored_like_their_text_seeds(lib: Library, ocr_scans, tmp_path: Path) -> None:
    with_cache(lib, ocr_scans)
    cache = OcrDirCache(lib.settings.ocr_cache_dir)
    before = cache.stats()
    names = [f"{p.stem[:3]}.scan.pdf" for p in scans.SEED_PDFS]
    report = ingest_paths(lib, [copy_scans(ocr_scans, tmp_path / "in", names)])
    assert report.counts["added"] == len(names), report.to_dict()
    after = cache.stats()  # all from the cache the session's OCR filled
    assert after["misses"] == before["misses"] and after["hits"] == before["hits"] + len(names)
    keys = ("title", "doc_number", "issuer", "signed_date", "published_date", "kind")
    with lib.db.session() as session:
        for outcome, pdf in zip(report.files, scans.SEED_PDFS, strict=True):
            doc = session.get(Document, outcome.document_id)
            data = document_dict(doc)
            text = parse_file(pdf)
            want = {k: getattr(text, k) for k in keys}
            assert {k: getattr(doc, k) for k in keys} == want
            assert data["ocr"] is True and data["pages"] == len(data["ocr_pages"])
            assert 0.9 < data["ocr_mean_confidence"] <= 1.0
            assert doc.source_format == "pdf"
            stored = original_path(lib, doc.original_sha256).read_bytes()
            assert stored == Path(outcome.path).read_bytes()


def test_text_documents_say_they_were_not_ocrd(lib: Library, samples: Path) -> None:
    report = ingest_paths(lib, [samples / "003_7e78c8e7992595bb.txt"])
    with lib.db.session() as session:
        data = document_dict(session.get(Document, report.files[0].document_id))
    assert data["ocr"] is False and data["ocr_pages"] == [] and data["pages"] is None


def test_reingest_and_reindex_do_no_ocr_twice(lib: Library, ocr_scans, tmp_path: Path) -> None:
    """A real OCR first (empty cache), then a copy under another name and a full weekly run: the
    cache counts one miss, and hits for the rest."""
    folder = copy_scans(ocr_scans, tmp_path / "src", ["redhead.scan.pdf"])
    cache = OcrDirCache(lib.settings.ocr_cache_dir)
    pages: list[tuple[str, int, int]] = []
    first = ingest_paths(
        lib, [folder], ocr_progress=lambda path, done, total: pages.append((path, done, total))
    )
    assert first.counts["added"] == 1 and cache.stats() == {"hits": 0, "misses": 1}
    assert pages == [(str(folder / "redhead.scan.pdf"), 1, 1)]  # pages done / total, as read
    shutil.copy(folder / "redhead.scan.pdf", folder / "same-scan-renamed.pdf")
    second = ingest_paths(lib, [folder])
    assert second.counts["duplicate"] == 1
    assert cache.stats() == {"hits": 1, "misses": 1}
    lib.settings.source_folders = [str(folder)]
    report = run_reindex(lib, full=True, today=date(2026, 12, 1))
    assert report.status == "ok"
    assert cache.stats()["misses"] == 1
    assert oct(lib.settings.ocr_cache_dir.stat().st_mode & 0o777) == "0o700"
    shown = run_cli(lib.settings.home, "docs", "show", str(first.files[0].document_id), "--json")
    data = json.loads(shown.stdout)
    assert data["ocr"] is True and data["pages"] == 1 and data["ocr_pages"] == [1]
    assert data["doc_number"] == scans.REDHEAD["number"] and data["ocr_mean_confidence"] > 0.9
    client = create_app(lib).test_client()  # the document page says so; the original downloads
    page = client.get(f"/documents/{data['id']}").get_data(as_text=True)
    assert "扫描件，文字由OCR识别（共1页" in page
    original = client.get(f"/documents/{data['id']}/original")
    assert original.data == (folder / "redhead.scan.pdf").read_bytes()


def test_bad_scans_fail_alone_and_change_nothing(
    lib: Library, ocr_scans, tmp_path: Path, samples: Path
) -> None:
    with_cache(lib, ocr_scans)
    folder = copy_scans(ocr_scans, tmp_path / "batch", ["001.scan.pdf"])
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    shutil.copy(samples / "003_7e78c8e7992595bb.txt", folder / "003.txt")
    lib.settings.ocr_max_pages = 2
    report = ingest_paths(lib, [folder])
    by_name = {Path(f.path).name: f for f in report.files}
    assert by_name["003.txt"].outcome == "added"
    assert "超过OCR的页数上限（2页）" in by_name["001.scan.pdf"].error
    assert "图像已损坏" in by_name["broken.png"].error
    with lib.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1
        failed = session.scalars(select(SourceFile).where(SourceFile.last_outcome == "failed"))
        assert {Path(s.path).name for s in failed} == {"001.scan.pdf", "broken.png"}


def test_ocr_off_refuses_scans_as_before(lib: Library, ocr_scans, tmp_path: Path) -> None:
    lib.settings.ocr = False
    folder = copy_scans(ocr_scans, tmp_path / "off", ["redhead.scan.pdf"])
    report = ingest_paths(lib, [folder])
    assert report.counts["failed"] == 1
    assert "OCR已关闭" in report.files[0].error and "ocr = false" in report.files[0].error


def test_ocr_settings_are_checked(tmp_path: Path, monkeypatch) -> None:
    from library.config import ConfigError, load_settings

    (tmp_path / "config.toml").write_text('secret_key = "k"\nocr = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="ocr = 'yes' should be true or false"):
        load_settings(tmp_path)
    (tmp_path / "config.toml").write_text('secret_key = "k"\nocr_max_pages = 0\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="ocr_max_pages = 0 should be from 1 to 100000"):
        load_settings(tmp_path)
    monkeypatch.setenv("POLICYLIB_OCR", "0")
    (tmp_path / "config.toml").write_text('secret_key = "k"\n', encoding="utf-8")
    settings = load_settings(tmp_path)
    assert settings.ocr is False and settings.ocr_max_pages == 500


def _tiff(pdf: Path, pages: list[int]) -> bytes:
    """Pages of a seed as one multi-page TIFF at 150 dpi (what a scanner's TIFF mode writes)."""
    images = scans.page_images(pdf, 150, pages)
    out = io.BytesIO()
    images[0].save(out, "TIFF", save_all=True, append_images=images[1:], dpi=(150, 150))
    return out.getvalue()


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _page_log(caplog: pytest.LogCaptureFixture) -> list[tuple[int, int]]:
    """(page, worker pid) for each page the pool read, from the ingest log."""
    found = [re.search(r"page=(\d+) .* worker=(\d+)", r.getMessage()) for r in caplog.records]
    return [(int(m[1]), int(m[2])) for m in found if m]


def test_pages_of_one_scan_are_read_on_both_workers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A batch of one scan keeps both workers busy: its pages are the pool's jobs, not the file,
    and the file comes out whole, in page order; a second run finds the whole file in the cache."""
    seed = scans.seed_pdf("002")
    path = tmp_path / "002.tiff"
    path.write_bytes(_tiff(seed, [0, 1]))
    job = OcrJob(True, 500, 600.0, str(tmp_path / "cache"))
    progress: list[tuple[str, int, int]] = []
    caplog.set_level(logging.INFO, logger="policylib.ingest")
    [(_, parsed)] = parse_in_workers(
        [path], 50 * 1024**2, 2, job, lambda *done: progress.append(done)
    )
    assert not isinstance(parsed, str), parsed
    read = _page_log(caplog)
    assert sorted(page for page, _ in read) == [1, 2]
    assert len({worker for _, worker in read}) == 2, read
    assert progress == [(str(path), 1, 2), (str(path), 2, 2)]
    assert parsed.ocr["ocr_pages"] == [1, 2] and parsed.format == "tiff"
    want = _fold(parse_file(seed).text)
    assert Levenshtein.distance(_fold(parsed.text), want) <= 0.015 * len(want)
    assert OcrDirCache(tmp_path / "cache").stats() == {"hits": 0, "misses": 1}
    caplog.clear()
    [(_, again)] = parse_in_workers([path], 50 * 1024**2, 2, job)
    assert again.text == parsed.text and _page_log(caplog) == []
    assert OcrDirCache(tmp_path / "cache").stats() == {"hits": 1, "misses": 1}


def test_a_page_over_its_time_limit_fails_its_file_alone(tmp_path: Path) -> None:
    """The per-page limit holds for pages read apart from their file: the file fails with a
    message naming the page and the setting, nothing is cached, and the batch goes on."""
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "redhead.scan.pdf").write_bytes(scans.redhead_scan())
    text = folder / "notice.txt"
    text.write_text("关于做好项目申报工作的通知\n各有关单位认真做好申报工作。\n", encoding="utf-8")
    job = OcrJob(True, 500, 0.01, str(tmp_path / "cache"))
    results = dict(parse_in_workers([folder / "redhead.scan.pdf", text], 50 * 1024**2, 2, job))
    error = results[folder / "redhead.scan.pdf"]
    assert isinstance(error, str) and "第1页OCR用了" in error and "ocr_page_timeout_s" in error
    assert results[text].title == "关于做好项目申报工作的通知"
    assert not list((tmp_path / "cache").glob("*/*.json"))


def test_searchable_pdf_is_kept_beside_the_original_and_offered_for_download(
    lib: Library, ocr_scans, tmp_path: Path, samples: Path
) -> None:
    """A scan gets a searchable PDF beside its original (0600 like it), offered on the document
    page next to the original; a text document has none; with `searchable_pdf = false` none is
    made."""
    from pdfminer.high_level import extract_text

    with_cache(lib, ocr_scans)
    folder = copy_scans(ocr_scans, tmp_path / "in", ["redhead.scan.pdf"])
    shutil.copy(samples / "003_7e78c8e7992595bb.txt", folder / "003.txt")
    report = ingest_paths(lib, [folder])
    ids = {Path(f.path).name: f.document_id for f in report.files}
    with lib.db.session() as session:
        sha = session.get(Document, ids["redhead.scan.pdf"]).original_sha256
    stored = searchable_path(lib.settings.originals_dir, sha)
    assert stored.parent == original_path(lib, sha).parent
    assert oct(stored.stat().st_mode & 0o777) == "0o600"

    client = create_app(lib).test_client()
    page = client.get(f"/documents/{ids['redhead.scan.pdf']}").get_data(as_text=True)
    link = f'href="/documents/{ids["redhead.scan.pdf"]}/searchable.pdf"'
    assert link in page and "可检索的 PDF" in page
    got = client.get(f"/documents/{ids['redhead.scan.pdf']}/searchable.pdf")
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert "redhead.scan.searchable.pdf" in got.headers["Content-Disposition"]
    assert scans.REDHEAD["number"] in _fold(extract_text(io.BytesIO(got.data)))
    api = client.get(f"/api/documents/{ids['redhead.scan.pdf']}").get_json()
    assert api["searchable_pdf_url"] == f"/documents/{ids['redhead.scan.pdf']}/searchable.pdf"

    text_page = client.get(f"/documents/{ids['003.txt']}").get_data(as_text=True)
    assert "可检索的 PDF" not in text_page
    missing = client.get(f"/documents/{ids['003.txt']}/searchable.pdf")
    assert missing.status_code == 404 and "没有可检索的PDF" in missing.get_data(as_text=True)

    stored.unlink()
    lib.settings.searchable_pdf = False
    shutil.copy(folder / "redhead.scan.pdf", tmp_path / "again.pdf")
    ingest_paths(lib, [tmp_path / "again.pdf"], today=date(2026, 12, 1))
    assert not stored.exists()
