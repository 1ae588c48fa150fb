"""Scanned versions of the sample PDFs, made the way an office makes them: pages printed and
scanned (rasterised, packed as an image-only PDF), a poor office scan (150 dpi, a 1° skew, grey
noise, JPEG quality 60), and a photo of one page as PNG. Used by tests/parsers/test_ocr.py,
tests/library/test_ingest_ocr.py and bench/ocr.py, so they measure the same inputs.
"""

from __future__ import annotations

import fcntl
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
SEED_PDFS = sorted((ROOT / "data" / "samples" / "formats").glob("*.pdf"))
SEED_TEXTS = ROOT / "data" / "samples"
SERIF = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
SERIF_BOLD = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"


def seed_text(pdf: Path) -> str:
    """The text seed a PDF was rendered from (data/samples/NNN_hash.txt)."""
    return (SEED_TEXTS / (pdf.stem + ".txt")).read_text(encoding="utf-8")


def page_images(pdf: Path, dpi: int = 200, pages: list[int] | None = None) -> list[Image.Image]:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        numbers = pages or list(range(len(doc)))
        return [doc[k].render(scale=dpi / 72, grayscale=True).to_pil() for k in numbers]
    finally:
        doc.close()


def image_pdf(images: list[Image.Image], dpi: int, quality: int = 85) -> bytes:
    out = io.BytesIO()
    images[0].save(
        out, "PDF", save_all=True, append_images=images[1:], resolution=dpi, quality=quality
    )
    return out.getvalue()


def clean_scan(pdf: Path) -> bytes:
    """Every page at 200 dpi, as an image-only PDF."""
    return image_pdf(page_images(pdf, 200), 200)


def degrade(image: Image.Image, seed: int) -> Image.Image:
    """A poor office scan of a 150 dpi page: turned 1°, grey paper noise."""
    turned = image.convert("L").rotate(1.0, resample=Image.BICUBIC, expand=True, fillcolor=255)
    rng = np.random.default_rng(seed)
    pixels = np.asarray(turned, dtype=np.int16) + rng.normal(0, 18, (turned.height, turned.width))
    return Image.fromarray(np.clip(pixels - 12, 0, 255).astype(np.uint8))


def degraded_scan(pdf: Path, pages: list[int] | None = None) -> bytes:
    """150 dpi, 1° skew, grey noise, JPEG quality 60, packed as an image-only PDF."""
    images = [degrade(im, k) for k, im in enumerate(page_images(pdf, 150, pages))]
    return image_pdf(images, 150, quality=60)


def photo_png(pdf: Path, page: int = 0) -> bytes:
    """One page as a PNG (what a phone photo saved by a scanner app looks like, minus the perspective)."""
    out = io.BytesIO()
    page_images(pdf, 200, [page])[0].save(out, "PNG", dpi=(200, 200))
    return out.getvalue()


# -- a red-head notice with a seal over its date: the demo's scanned sample -----------------------

REDHEAD = {
    "head": "示例县人民政府办公室文件",
    "number": "示府办〔2021〕8号",
    "title": ["示例县人民政府办公室", "关于做好政府信息公开保密审查工作的通知"],
    "to": "各乡镇人民政府，县政府各部门：",
    "body": [
        "为进一步规范政府信息公开保密审查工作，防止泄露国家秘密和工作秘密，"
        "根据《中华人民共和国政府信息公开条例》和有关保密法律法规，现就有关事项通知如下。",
        "一、各单位公开政府信息前，应当依照法律法规和国家有关规定对拟公开的信息进行审查，"
        "坚持先审查、后公开和一事一审原则。",
        "二、对不能确定是否可以公开的，应当依照法律法规和国家有关规定报有关主管部门"
        "或者保密行政管理部门确定。",
        "三、各单位要建立健全保密审查台账，明确审查责任人，审查记录保存不少于三年。",
        "四、本通知自印发之日起施行，有效期五年。",
    ],
    "issuer": "示例县人民政府办公室",
    "date": "2021年3月15日",
}


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(SERIF_BOLD if bold else SERIF, size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, current = [], ""
    for ch in text:
        if font.getlength(current + ch) > width:
            lines.append(current)
            current = ch
        else:
            current += ch
    return [*lines, current] if current else lines


def redhead_page(dpi: int = 200) -> Image.Image:
    """One A4 page: red head, red rule, 文号, title, addressee, body, issuer and date with a red
    seal stamped over the date (the layout of a printed, signed, stamped office file)."""
    k = dpi / 72
    w, h = int(595 * k), int(842 * k)
    page = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(page)
    left, right = int(80 * k), w - int(80 * k)
    red = (215, 30, 30)
    head = _font(int(30 * k), bold=True)
    y = int(70 * k)
    draw.text(((w - head.getlength(REDHEAD["head"])) / 2, y), REDHEAD["head"], font=head, fill=red)
    y += int(62 * k)
    body = _font(int(12 * k))
    draw.text(
        ((w - body.getlength(REDHEAD["number"])) / 2, y), REDHEAD["number"], font=body, fill=0
    )
    y += int(24 * k)
    draw.line((left, y, right, y), fill=red, width=max(2, int(1.5 * k)))
    y += int(24 * k)
    title = _font(int(16 * k), bold=True)
    for line in REDHEAD["title"]:
        draw.text(((w - title.getlength(line)) / 2, y), line, font=title, fill=0)
        y += int(26 * k)
    y += int(10 * k)
    draw.text((left, y), REDHEAD["to"], font=body, fill=0)
    y += int(22 * k)
    for para in REDHEAD["body"]:
        for n, line in enumerate(_wrap(para, body, right - left - int(24 * k))):
            draw.text((left + (int(24 * k) if n == 0 else 0), y), line, font=body, fill=0)
            y += int(21 * k)
    y += int(40 * k)
    for text in (REDHEAD["issuer"], REDHEAD["date"]):
        draw.text((right - body.getlength(text) - int(20 * k), y), text, font=body, fill=0)
        y += int(22 * k)
    seal = Image.new("RGB", (w, h), "white")  # stamped ink darkens what is under it: multiply
    _seal(ImageDraw.Draw(seal), (right - int(75 * k), y - int(30 * k)), int(42 * k), red)
    return ImageChops.multiply(page, seal)


def _seal(draw: ImageDraw.ImageDraw, centre: tuple[int, int], r: int, colour: tuple) -> None:
    """A round red seal: ring, star and a text arc stand-in (a ring of short strokes)."""
    x, y = centre
    draw.ellipse((x - r, y - r, x + r, y + r), outline=colour, width=max(3, r // 12))
    inner = r * 0.78
    for n in range(28):
        a = np.pi * (0.9 + 1.2 * n / 27)
        draw.line(
            (
                x + inner * np.cos(a),
                y + inner * np.sin(a),
                x + r * 0.62 * np.cos(a),
                y + r * 0.62 * np.sin(a),
            ),
            fill=colour,
            width=max(2, r // 16),
        )
    star = [
        (
            x + r * 0.3 * np.cos(np.pi / 2 + 2 * np.pi * n * 2 / 5),
            y - r * 0.3 * np.sin(np.pi / 2 + 2 * np.pi * n * 2 / 5),
        )
        for n in range(5)
    ]
    draw.polygon(star, fill=colour)


def redhead_scan(dpi: int = 150) -> bytes:
    """The red-head notice as an image-only PDF, as a colour office scan (JPEG inside)."""
    return image_pdf([redhead_page(dpi)], dpi, quality=70)


# -- the test suite's sets: each made and read by OCR once per session, shared by xdist workers ----

VARIANTS = ("clean", "degraded", "photo")


def write_variant(variant: str, folder: Path) -> None:
    """Every seed as `NNN.scan.pdf` (clean, plus the red-head notice as `redhead.scan.pdf`),
    `NNN.degraded.pdf` (a poor office scan) or `NNN.photo.png` (its first page)."""
    for pdf in SEED_PDFS:
        seed = pdf.stem[:3]
        if variant == "clean":
            (folder / f"{seed}.scan.pdf").write_bytes(clean_scan(pdf))
        elif variant == "degraded":
            (folder / f"{seed}.degraded.pdf").write_bytes(degraded_scan(pdf))
        else:
            (folder / f"{seed}.photo.png").write_bytes(photo_png(pdf))
    if variant == "clean":
        (folder / "redhead.scan.pdf").write_bytes(redhead_scan())


@dataclass
class ScanSet:
    folder: Path  # the scans of one variant (see write_variant)
    cache_dir: Path  # an OCR cache holding every scan in `folder`: copy it into a home
    parsed: dict[str, object]  # file name -> ParsedDocument, or the error message


def prepare(base: Path, variant: str) -> ScanSet:
    """Make one variant's scans under `base` and OCR them in one batch through the ingest worker
    pool (both cores) into an OCR cache of their own. Under one lock for all variants, so parallel
    test workers never run two pools at once and share each run: the second finds the cache."""
    from library.ingest import OcrJob, parse_in_workers

    base.mkdir(parents=True, exist_ok=True)
    folder, cache_dir = base / variant, base / f"{variant}-ocr-cache"
    with open(base / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "done").exists():
            folder.mkdir(exist_ok=True)
            write_variant(variant, folder)
            (folder / "done").touch()
        files = sorted(p for p in folder.iterdir() if p.name != "done")
        job = OcrJob(True, 500, 600.0, str(cache_dir))
        parsed = {p.name: r for p, r in parse_in_workers(files, 50 * 1024**2, 2, job)}
    return ScanSet(folder, cache_dir, parsed)


def seed_pdf(prefix: str) -> Path:
    return next(p for p in SEED_PDFS if p.name.startswith(prefix))


def text_pages(pdf: Path, pages: list[int], dest: Path) -> Path:
    """The text PDF's own pages (0-based) as a PDF of their own: the reference for an excerpt."""
    source = pdfium.PdfDocument(str(pdf))
    out = pdfium.PdfDocument.new()
    out.import_pages(source, pages)
    out.save(str(dest))
    out.close()
    source.close()
    return dest
