"""Chinese OCR of one page image: RapidOCR (PP-OCRv6 small, ONNX), lines in reading order.

The models ship inside the `rapidocr` wheel and are loaded from there by path, so nothing is ever
downloaded. The engine is loaded once per process (a worker keeps it for every page it reads).
Choices measured in `bench/ocr.py`: the angle classifier is off (on upright office scans it caused
most errors), one inference thread per process (the ingest pool runs one process per core).

Red ink is handled before recognition: red in the top part of the first page is the red head
(红头, it names the issuer) and is kept as black; red anywhere else is a seal or a rule, and is
whitened, so a seal stamped over the date does not swallow it.
"""

from __future__ import annotations

import functools
import math
import os
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .normalize import CJK

if TYPE_CHECKING:
    import numpy as np

RED_HEAD_SHARE = 0.3  # red ink above this share of the first page's height is the red head


@dataclass
class OcrLine:
    """One visual line: text, its box in page points, and the recogniser's confidence."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: float

    @property
    def char_width(self) -> float:
        return (self.x1 - self.x0) / max(len(self.text), 1)


# Measured in bench/ocr.py (CPU seconds per page, see bench/README.md). Recognition is most of
# the cost and scales with a line's width once scaled to the model's 48 px height, so it is fixed
# by the characters on the page; what could go did: lines are recognised one at a time (batches
# are padded to their widest line and, with onnxruntime's arena off, every padded batch was fresh
# memory: a third of the CPU time went to the kernel), and the detector sees the page with its
# longer side at 960 px (a 150 dpi A4 page is 1754 px; boxes as good, the crops for recognition
# still come from the full page), a quarter of the work.
_ENGINE_PARAMS = {
    "Global.use_cls": False,
    "Global.log_level": "warning",
    "EngineConfig.onnxruntime.intra_op_num_threads": 1,
    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    "Det.limit_type": "max",
    "Det.limit_side_len": 960,
    "Rec.rec_batch_num": 1,
}


@functools.cache
def _engine():  # rapidocr's type; imported lazily so plain parsing never pays for it
    # onnxruntime (1.2x+ on Linux) otherwise records a device id and a "ProcessInfo" event (OS,
    # CPU, program path) under ~/.cache/Microsoft at import and uploads them when it can reach
    # Microsoft: a government server must not. Its own switch, read when it is first imported;
    # `disable_telemetry_events()` comes too late (the event is recorded at import).
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    import rapidocr
    from rapidocr import RapidOCR

    models = Path(rapidocr.__file__).parent / "models"
    return RapidOCR(
        params={
            "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
            "Rec.model_path": str(models / "PP-OCRv6_rec_small.onnx"),
        }
        | _ENGINE_PARAMS
    )


def drop_red(rgb: np.ndarray, *, first_page: bool) -> np.ndarray:
    """Greyscale page with seals whitened and the red head darkened (see the module docstring)."""
    import numpy as np

    rgb = rgb.astype(np.int16)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    grey = (0.299 * r + 0.587 * g + 0.114 * b).astype(np.uint8)
    red = (r > 120) & (r - np.maximum(g, b) > 50)
    if first_page:
        head = int(grey.shape[0] * RED_HEAD_SHARE)
        grey[:head][red[:head]] = 0
        red[:head] = False
    grey[red] = 255
    return grey


def recognise(image: np.ndarray, dpi: float) -> list[OcrLine]:
    """Lines of one page image (greyscale or RGB), in reading order, boxes in points (1/72 in)."""
    import numpy as np

    result = _engine()(image)
    if result.boxes is None:
        return []
    quads = [np.asarray(box, dtype=float) * (72.0 / dpi) for box in result.boxes]
    quads = _deskewed(quads)
    pieces = [
        _piece(quad, text, float(score))
        for quad, text, score in zip(quads, result.txts, result.scores, strict=True)
        if text.strip()
    ]
    return reading_order(pieces)


def _deskewed(quads: list[np.ndarray]) -> list[np.ndarray]:
    """Boxes turned upright: a scan skewed by a degree drifts a line's height across the page,
    which would split rows. The skew is the median slope of the long boxes' top edges."""
    import numpy as np

    slopes = [
        math.atan2(q[1, 1] - q[0, 1], q[1, 0] - q[0, 0])
        for q in quads
        if q[1, 0] - q[0, 0] > 5 * abs(q[3, 1] - q[0, 1])
    ]
    if not slopes:
        return quads
    angle = -statistics.median(slopes)
    turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return [q @ turn.T for q in quads]


def _piece(quad: np.ndarray, text: str, score: float) -> OcrLine:
    xs, ys = quad[:, 0], quad[:, 1]
    text = _brackets(_CJK_SPACE.sub("", text.strip()))
    return OcrLine(text, xs.min(), ys.min(), xs.max(), ys.max(), score)


# The recogniser sometimes reads a space between a Chinese character and a digit or Latin letter
# (`龙城区 2019 年`) where the print has none; within one box such a space is never a field gap.
_CJK_SPACE = re.compile(rf"(?<=[{CJK}]) (?=[0-9A-Za-z])|(?<=[0-9A-Za-z]) (?=[{CJK}])")


_PAIRS = {"〔": "〕", "[": "]", "［": "］", "(": ")", "（": "）", "【": "】"}
_YEAR_IN_BRACKETS = re.compile(r"([〔\[［(（【])(\d{4})([〕\]］)）】])")


def _brackets(text: str) -> str:
    """A year bracket closed with the wrong half (`〔2021]`: the recogniser often reads 〕 as ]) is
    closed with the half that matches its opening, so the 文号 is read as printed."""
    return _YEAR_IN_BRACKETS.sub(lambda m: m[1] + m[2] + _PAIRS[m[1]], text)


def reading_order(pieces: list[OcrLine]) -> list[OcrLine]:
    """Pieces grouped into rows (vertical overlap), rows read top to bottom; a run of rows split by
    one common gutter is a two-column block, read left column first, then the right."""
    rows = _rows(pieces)
    out: list[OcrLine] = []
    k = 0
    while k < len(rows):
        gutter = _gutter(rows[k])
        width = 2 * max(p.char_width for p in rows[k])
        end = k
        while end + 1 < len(rows) and _same_gutter(gutter, _gutter(rows[end + 1]), width):
            end += 1
        if gutter is not None and end - k >= 2:
            block = rows[k : end + 1]
            out += [_merge([p for p in row if p.x1 <= gutter]) for row in block]
            out += [_merge([p for p in row if p.x0 >= gutter]) for row in block]
            k = end + 1
            continue
        out.append(_merge(rows[k]))
        k += 1
    return [line for line in out if line.text]


def _rows(pieces: list[OcrLine]) -> list[list[OcrLine]]:
    rows: list[list[OcrLine]] = []
    for piece in sorted(pieces, key=lambda p: ((p.y0 + p.y1) / 2, p.x0)):
        if rows:
            ref = rows[-1]
            top, bottom = min(p.y0 for p in ref), max(p.y1 for p in ref)
            overlap = min(bottom, piece.y1) - max(top, piece.y0)
            if overlap > 0.5 * min(bottom - top, piece.y1 - piece.y0):
                ref.append(piece)
                continue
        rows.append([piece])
    return [sorted(row, key=lambda p: p.x0) for row in rows]


def _gutter(row: list[OcrLine]) -> float | None:
    """The middle of the gap in a row of exactly two pieces when the gap is wide (more than three
    characters): the mark of a two-column layout."""
    if len(row) != 2:
        return None
    left, right = row
    if right.x0 - left.x1 < 3 * max(left.char_width, right.char_width):
        return None
    return (left.x1 + right.x0) / 2


def _same_gutter(a: float | None, b: float | None, width: float) -> bool:
    return a is not None and b is not None and abs(a - b) < width


def _merge(row: list[OcrLine]) -> OcrLine:
    """One line from the pieces of a row, left to right; a wide gap (a table cell, a spaced date)
    becomes one space."""
    if not row:
        return OcrLine("", 0, 0, 0, 0, 1.0)
    text = row[0].text
    for prev, piece in zip(row, row[1:], strict=False):
        gap = piece.x0 - prev.x1
        text += (" " if gap > max(prev.char_width, piece.char_width) else "") + piece.text
    chars = sum(len(p.text) for p in row)
    confidence = sum(p.confidence * len(p.text) for p in row) / max(chars, 1)
    return OcrLine(
        text,
        min(p.x0 for p in row),
        min(p.y0 for p in row),
        max(p.x1 for p in row),
        max(p.y1 for p in row),
        confidence,
    )


def paragraphs(lines: list[OcrLine]) -> list[str]:
    """A page's lines joined into paragraphs. A line continues the one before when that one runs
    to the right margin and this one starts at the left margin in the same type size; so a centred
    red head, the 文号, the title lines, an indented first line and the right-aligned signature
    and date each start their own paragraph."""
    if not lines:
        return []
    lefts = sorted(line.x0 for line in lines)
    rights = sorted(line.x1 for line in lines)
    left, right = lefts[len(lefts) // 10], rights[int(len(rights) * 0.9)]
    out: list[str] = []
    prev: OcrLine | None = None
    for line in lines:
        width = statistics.median([line.char_width, prev.char_width]) if prev else 0.0
        if (
            prev is not None
            and prev.x1 >= right - 2 * width
            and line.x0 <= left + width
            and abs((line.y1 - line.y0) - (prev.y1 - prev.y0)) < 0.3 * (prev.y1 - prev.y0)
        ):
            out[-1] += line.text
        else:
            out.append(line.text)
        prev = line
    text = _PINYIN_LITTER.sub("", "\n".join(out))
    return _GLUED_LABEL.sub(" ", _GLUED_TIME.sub(r"\1 \2", text)).split("\n")


# Converter pinyin after a character (`領(lǐng)域`), as OCR reads it: tone marks are often lost, and
# a line may start with it. The text parsers drop the toned form (normalize.py); this drops the
# toneless one too, where only pinyin letters stand in the brackets right after a CJK character.
# The recogniser reads a line of fields as one box and drops the spaces between them
# (`时间：2022-03-1408:34 来源：访问量：`); the two gaps that carry meaning are put back: between a
# date and a time, and before a `label：` that follows another field's colon.
_GLUED_TIME = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})(\d{1,2}:\d{2})")
_GLUED_LABEL = re.compile(rf"(?<=[：:])(?=[{CJK}]{{2,4}}[：:])")
_PINYIN_LITTER = re.compile(rf"(?<=[{CJK}])\n?[(（][a-zü\u00e0-\u01dc]{{2,6}}[)）]")
