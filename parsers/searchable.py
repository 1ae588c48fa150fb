"""A searchable PDF of a scan: its pages as they are, with the OCR text laid over them invisibly.

This is what OCRmyPDF makes: a reader sees the scan, and can search it and copy its words. The
text is drawn in text render mode 3 (neither filled nor stroked) with reportlab, in its built-in
CID font STSong-Light (Adobe-GB1): a font every PDF reader knows by name, so nothing is embedded
and nothing is downloaded; each line is stretched to the width of its box, so a selection covers
the printed words. A PDF keeps its own pages byte for byte and gets the text as a form XObject on
each page OCR read (pdfium); an image becomes a PDF of its frames, one page each, at the size it
was scanned at.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from .ocr import OcrLine
from .scan import DPI, ScanPage, ScanResult

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

FONT = "STSong-Light"
BASELINE = 0.15  # of a line's height: where the baseline sits above its box's bottom edge


def pdf_with_text(data: bytes, result: ScanResult) -> bytes:
    """The PDF `data` with the OCR text of `result` laid over the pages it read."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        # A page turned by /Rotate was read turned: its boxes would need turning back; such
        # scans are rare, and those pages are left without text rather than with it misplaced.
        pages = [p for p in result.pages if p.lines and not doc[p.number - 1].get_rotation()]
        layer = pdfium.PdfDocument(_text_pages(doc, pages))
        for k, page in enumerate(pages):
            target = doc[page.number - 1]
            target.insert_obj(layer.page_as_xobject(k, doc).as_pageobject())
            target.gen_content()
        out = io.BytesIO()
        doc.save(out)
        layer.close()
        return out.getvalue()
    finally:
        doc.close()


def _text_pages(doc, pages: list[ScanPage]) -> bytes:  # doc: pypdfium2.PdfDocument
    """A page of invisible text for each of `pages`, as big as the page it goes on."""
    canvas = _canvas(out := io.BytesIO())
    for page in pages:
        left, _, right, top = doc[page.number - 1].get_cropbox()
        canvas.setPageSize((right, top))
        _draw_lines(canvas, page.lines, left, top)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def image_with_text(data: bytes, result: ScanResult) -> bytes:
    """A PDF of the image file `data` (every frame), each page with its OCR text over it."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    image = Image.open(io.BytesIO(data))
    lines = {p.number: p.lines for p in result.pages}
    canvas = _canvas(out := io.BytesIO())
    for k in range(getattr(image, "n_frames", 1)):
        image.seek(k)
        dpi = image.info.get("dpi")
        scale = 72 / max(float(dpi[0]) if dpi and dpi[0] else 0.0, DPI)  # as scan._at_dpi
        size = (image.width * scale, image.height * scale)
        canvas.setPageSize(size)
        frame = io.BytesIO(data) if image.format == "JPEG" else _plain(image)
        canvas.drawImage(ImageReader(frame), 0, 0, *size)
        _draw_lines(canvas, lines.get(k + 1, []), 0.0, size[1])
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _plain(image):  # PIL.Image.Image: the frame as reportlab can embed it losslessly
    return image.convert("L" if image.mode in ("1", "L", "I;16") else "RGB")


def _canvas(out: io.BytesIO) -> Canvas:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return Canvas(out, pageCompression=1, invariant=1)


def _draw_lines(canvas: Canvas, lines: list[OcrLine], left: float, top: float) -> None:
    """Each line as invisible text on its box: boxes are in points from the page's top-left."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for line in lines:
        height = line.y1 - line.y0
        width = stringWidth(line.text, FONT, height)
        if not line.text or height <= 0 or width <= 0:
            continue
        text = canvas.beginText()
        text.setTextRenderMode(3)
        text.setFont(FONT, height)
        text.setHorizScale(100 * (line.x1 - line.x0) / width)
        text.setTextOrigin(left + line.x0, top - line.y1 + BASELINE * height)
        text.textOut(line.text)
        canvas.drawText(text)
