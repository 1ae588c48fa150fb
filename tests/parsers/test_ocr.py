"""Scans read by OCR: a scanned version of each sample PDF reads like the PDF's own text layer
(same title, 文号, issuer, dates, kind; body CER ≤ 1.5 %), and so does a poor office scan of each
and a PNG photo of each one's first page;
the red head, 文号, title and the date under a seal come out in reading order; bad scans fail
with a message that names the problem.

The scans are made from data/samples/formats/*.pdf by tests/scans.py and read once per session
(the `ocr_scans`, `ocr_degraded` and `ocr_photos` fixtures, one OCR batch on the ingest pool each);
the tests here that OCR anything else read at most one page.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from rapidfuzz.distance import Levenshtein

from parsers import ParsedDocument, ParseError, parse_file
from parsers.model import Evidence
from parsers.ocr import OcrLine, paragraphs, reading_order
from parsers.scan import (
    OcrOptions,
    ScanPage,
    ScanResult,
    doubtful_fields,
    has_text,
    is_garbage,
)
from tests import scans

FIELDS = ("title", "doc_number", "issuer", "signed_date", "published_date", "effective_date")
FIELDS += ("expiry_date", "kind")
MAX_CER = 0.015
SEEDS = [p.stem[:3] for p in scans.SEED_PDFS]


def fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def cer(hyp: str, ref: str) -> float:
    return Levenshtein.distance(fold(hyp), fold(ref)) / len(fold(ref))


def fields(doc: ParsedDocument, names: tuple[str, ...] = FIELDS) -> dict:
    return {f: getattr(doc, f) for f in names}


def ocr_result(ocr_scans, name: str) -> ParsedDocument:
    result = ocr_scans.parsed[name]
    assert isinstance(result, ParsedDocument), result
    return result


@pytest.mark.parametrize("seed", SEEDS)
def test_scan_of_each_seed_reads_like_its_text_layer(ocr_scans, seed: str) -> None:
    text = parse_file(scans.seed_pdf(seed))
    scan = ocr_result(ocr_scans, f"{seed}.scan.pdf")
    assert fields(scan) == fields(text)
    assert cer(scan.text, text.text) <= MAX_CER
    pages = len(pdfium.PdfDocument(str(scans.seed_pdf(seed))))
    assert scan.ocr["ocr"] is True and scan.ocr["pages"] == pages
    assert scan.ocr["ocr_pages"] == list(range(1, pages + 1))
    assert scan.ocr["mean_confidence"] > 0.9


@pytest.mark.parametrize("seed", SEEDS)
def test_poor_office_scan_still_gets_the_fields(ocr_degraded, seed: str) -> None:
    text = parse_file(scans.seed_pdf(seed))
    scan = ocr_result(ocr_degraded, f"{seed}.degraded.pdf")
    assert fields(scan) == fields(text)
    assert cer(scan.text, text.text) <= MAX_CER


@pytest.mark.parametrize("seed", SEEDS)
def test_png_photo_of_a_first_page(ocr_photos, seed: str, tmp_path: Path) -> None:
    """The first page alone holds the title, the 文号 and what kind of document it is; its text
    is compared with the text layer of that page parsed on its own."""
    pdf = scans.seed_pdf(seed)
    photo = ocr_result(ocr_photos, f"{seed}.photo.png")
    assert photo.format == "png" and photo.ocr["pages"] == 1
    page_one = ("title", "doc_number", "kind")
    assert fields(photo, page_one) == fields(parse_file(pdf), page_one)
    first_page = parse_file(scans.text_pages(pdf, [0], tmp_path / "page1.pdf"))
    assert cer(photo.text, first_page.text) <= MAX_CER


def test_red_head_file_in_reading_order_and_the_seal_spares_the_date(ocr_scans) -> None:
    doc = ocr_result(ocr_scans, "redhead.scan.pdf")
    r = scans.REDHEAD
    lines = doc.text.splitlines()
    order = [r["head"], r["number"], r["title"][1], r["to"], r["body"][-1], r["issuer"], r["date"]]
    at = -1
    for want in order:  # each part after the one before: the reading order of the page
        at = next((k for k in range(at + 1, len(lines)) if fold(want) in fold(lines[k])), None)
        assert at is not None, (want, lines)
    assert doc.doc_number == r["number"]
    assert doc.issuer == r["issuer"]
    assert doc.signed_date.isoformat() == "2021-03-15"
    assert doc.title == "".join(r["title"])


def test_mixed_pdf_reads_only_its_scanned_page(tmp_path: Path) -> None:
    """Page 1 keeps its text layer; page 2 is an image and is read by OCR."""
    seed = scans.seed_pdf("002")
    scan_doc = pdfium.PdfDocument(scans.clean_scan(seed))
    mixed = pdfium.PdfDocument.new()
    mixed.import_pages(pdfium.PdfDocument(str(seed)), [0])
    mixed.import_pages(scan_doc, [1])
    out = io.BytesIO()
    mixed.save(out)
    path = tmp_path / "mixed.pdf"
    path.write_bytes(out.getvalue())
    doc = parse_file(path, ocr=OcrOptions())
    assert doc.ocr["ocr_pages"] == [2] and doc.ocr["pages"] == 2
    assert cer(doc.text, parse_file(seed).text) <= MAX_CER


def test_scans_are_refused_when_ocr_is_off(tmp_path: Path) -> None:
    off = OcrOptions(enabled=False)
    (tmp_path / "001.scan.pdf").write_bytes(scans.clean_scan(scans.seed_pdf("001")))
    (tmp_path / "003.photo.png").write_bytes(scans.photo_png(scans.seed_pdf("003")))
    for name in ("001.scan.pdf", "003.photo.png"):
        with pytest.raises(ParseError, match="OCR已关闭") as info:
            parse_file(tmp_path / name, ocr=off)
        assert name in str(info.value) and "扫描件" in str(info.value)


def test_corrupt_image_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(ParseError, match="图像已损坏") as info:
        parse_file(path, ocr=OcrOptions())
    assert "scan.png" in str(info.value)


def test_scan_over_the_page_limit_fails_before_reading(ocr_scans) -> None:
    with pytest.raises(ParseError, match="超过OCR的页数上限（2页）") as info:
        parse_file(ocr_scans.folder / "001.scan.pdf", ocr=OcrOptions(max_pages=2))
    assert "3页" in str(info.value) and "ocr_max_pages" in str(info.value)


def test_garbage_text_layer_is_not_text() -> None:
    assert has_text("宣汉县人民政府办公室关于印发《2023年全县政务公开工作要点》的通知")
    assert not has_text("(cid:12)(cid:873)(cid:44)(cid:9)" * 4)
    assert not has_text("ÐÂ¹ÚÒ½ÁÆ±£ÕÏ¾Ö¹ØÓÚ½øÒ»²½×öºÃ")  # GBK read as Latin-1
    assert not has_text("第1页") and not is_garbage("第1页")
    assert is_garbage("(cid:12)(cid:873)(cid:44)(cid:9)" * 4)


def test_low_confidence_page_and_field_raise_warnings() -> None:
    sure = OcrLine("宣汉县人民政府办公室", 0, 0, 100, 10, 0.99)
    unsure = OcrLine("宣府办〔2023〕41号", 0, 20, 100, 30, 0.62)
    result = ScanResult([ScanPage(1, [sure]), ScanPage(2, [unsure])], total_pages=2)
    assert [w[:3] for w in result.warnings()] == ["第2页"]
    doc = ParsedDocument(text="…", format="pdf")
    doc.evidence["doc_number"] = Evidence("宣府办〔2023〕41号", 1, "宣府办〔2023〕41号")
    doc.evidence["issuer"] = Evidence("宣汉县人民政府办公室", 2, "宣汉县人民政府办公室")
    warnings = doubtful_fields(doc, result)
    assert (
        len(warnings) == 1
        and warnings[0].startswith("文号“宣府办〔2023〕41号”")
        and "0.62" in warnings[0]
    )


def box(text: str, x0: float, y0: float, conf: float = 0.99) -> OcrLine:
    """A recognised piece 12 pt high, 12 pt per character."""
    return OcrLine(text, x0, y0, x0 + 12 * len(text), y0 + 12, conf)


def test_two_columns_are_read_column_by_column_and_table_rows_stay_rows() -> None:
    pieces = [box("标题居中", 200, 10)]
    pieces += [box(f"左栏第{k}行", 50, 30 + 20 * k) for k in range(3)]
    pieces += [box(f"右栏第{k}行", 300, 30 + 20 * k) for k in range(3)]
    pieces += [box("序号", 50, 100), box("名称", 150, 100), box("单位", 300, 100)]
    lines = [line.text for line in reading_order(pieces)]
    assert lines == [
        "标题居中",
        *[f"左栏第{k}行" for k in range(3)],
        *[f"右栏第{k}行" for k in range(3)],
        "序号 名称 单位",
    ]


def test_paragraphs_follow_the_margins_and_drop_toneless_pinyin() -> None:
    lines = [
        box("关于印发工作要点的通知", 100, 0),  # centred title
        box("各单位：", 20, 20),
        box("现将要点印发给你们，请结合实际认真贯彻执", 44, 40),  # indented, runs to the margin
        box("行。重点領(ling)域要公开。", 20, 60),  # continues at the left margin
        box("二〇二三年五月二十二日", 130, 80),  # the date, right-aligned short of the margin
    ]
    assert paragraphs(lines) == [
        "关于印发工作要点的通知",
        "各单位：",
        "现将要点印发给你们，请结合实际认真贯彻执行。重点領域要公开。",
        "二〇二三年五月二十二日",
    ]


def searchable(ocr_scans, name: str, folder: Path | None = None) -> bytes:
    """The searchable PDF of one of the session's scans, its OCR from the session's cache."""
    from library.ocr_cache import OcrDirCache

    options = OcrOptions(cache=OcrDirCache(ocr_scans.cache_dir), searchable=True)
    doc = parse_file((folder or ocr_scans.folder) / name, ocr=options)
    assert doc.searchable_pdf, doc.warnings
    return doc.searchable_pdf


def pdf_text(data: bytes) -> str:
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams

    return fold(extract_text(io.BytesIO(data), laparams=LAParams(all_texts=True)))


def test_searchable_pdf_keeps_the_scan_and_holds_its_ocr_text(ocr_scans) -> None:
    """Every page looks exactly as scanned (the text is invisible) and pdfminer reads the OCR
    text from it: the 文号 and title of the red-head notice, every page of a six-page scan, with
    the 文号 laid where it is printed (centred, near the top)."""
    original = (ocr_scans.folder / "redhead.scan.pdf").read_bytes()
    data = searchable(ocr_scans, "redhead.scan.pdf")
    text = pdf_text(data)
    r = scans.REDHEAD
    assert fold(r["number"]) in text and fold(r["title"][1]) in text and fold(r["date"]) in text
    before, after = pdfium.PdfDocument(original), pdfium.PdfDocument(data)
    assert len(after) == len(before) == 1
    pixels = [d[0].render(scale=1).to_numpy() for d in (before, after)]
    assert (pixels[0] == pixels[1]).all()
    page = after[0]
    textpage = page.get_textpage()
    found = textpage.search(r["number"]).get_next()
    assert found, textpage.get_text_range()
    left, bottom, right, top = textpage.get_charbox(found[0])
    width, height = page.get_size()
    assert 0.3 * width < left < 0.5 * width and top > 0.7 * height
    six = searchable(ocr_scans, "003.scan.pdf")
    scan = ocr_result(ocr_scans, "003.scan.pdf")
    assert len(pdfium.PdfDocument(six)) == 6
    paragraphs = [fold(p) for p in scan.text.splitlines() if len(fold(p)) > 12]
    missing = [p for p in paragraphs if p not in pdf_text(six)]
    assert len(missing) <= len(paragraphs) // 10, missing  # normalisation may change a few


def test_searchable_pdf_of_a_png_photo(ocr_photos) -> None:
    """An image becomes a one-page PDF at the size it was scanned at (200 dpi: A4), with its
    text over it."""
    data = searchable(ocr_photos, "003.photo.png")
    doc = pdfium.PdfDocument(data)
    assert len(doc) == 1
    width, height = doc[0].get_size()
    assert abs(width - 595) < 3 and abs(height - 842) < 3
    photo = ocr_result(ocr_photos, "003.photo.png")
    assert fold(photo.title) in pdf_text(data) and fold(photo.doc_number) in pdf_text(data)


def test_reading_a_page_leaves_nothing_for_onnxruntime_to_send(tmp_path: Path) -> None:
    """onnxruntime's telemetry (a device id and a ProcessInfo event queued under ~/.cache) stays
    off: a process that reads a page writes nothing in its home."""
    script = (
        "import numpy as np\n"
        "from parsers.ocr import recognise\n"
        "page = np.full((200, 600), 255, np.uint8)\n"
        "page[80:120, 100:500] = 0\n"
        "recognise(page, 150.0)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORT_", "XDG_"))}
    env["HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")] == []
