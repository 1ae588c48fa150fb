"""Cleanup sheet preview speed: a 300-row sheet against the lawref corpus (3,424 documents).

The target is a 300-row preview in under 2 s (read the sheet, match every row by 文号 and by
title, plan the changes). Rows are built from real corpus titles in every shape a clerk produces:
exact titles, 文号 with other brackets, 二〇一九-style years, traditional characters, 《》 and
spaces, titles shared by several versions (ambiguous), and titles the library does not have.
Apply (one transaction, index refresh included) and undo of the same sheet are timed too.

Run: .venv/bin/python bench/cleanup_preview.py
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import date

from _common import require_lawref, write_results

from library.cleanup import apply_sheet, preview_file, undo_batch
from library.core import Library
from library.models import Document
from parsers.docnumber import normalize_doc_number

CN_DIGITS = str.maketrans("0123456789", "〇一二三四五六七八九")
TO_TRAD = str.maketrans("关于规范发展条例实施办法区县国务院", "關於規範發展條例實施辦法區縣國務院")
ROWS = 300
RUNS = 5


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def load_library(lib: Library, corpus) -> list[tuple[int, str, str | None]]:
    """Every corpus entry as a document row (no text: matching never reads it); every 7th gets a 文号."""
    out = []
    with (corpus / "metadata.csv").open(encoding="utf-8") as fh, lib.db.session() as s:
        for i, row in enumerate(csv.DictReader(fh), start=1):
            number = f"测府发〔{2000 + i % 24}〕{i}号" if i % 7 == 0 else None
            doc = Document(
                title=row["title"],
                doc_number=number,
                doc_number_norm=normalize_doc_number(number) if number else None,
                issuer=row["level"],
                published_date=_date(row["publish_date"]),
                effective_date=_date(row["effective_date"]),
                status="expired" if row["expired"] == "1" else "valid",
                content_hash=hashlib.sha256(row["path"].encode()).hexdigest(),
                source_file=row["path"],
            )
            s.add(doc)
            s.flush()
            out.append((doc.id, doc.title, number))
    return out


def build_sheet(docs: list[tuple[int, str, str | None]]) -> bytes:
    rng = random.Random(20240601)
    counts = Counter(title for _, title, _ in docs)
    unique = [d for d in docs if counts[d[1]] == 1 and d[1]]
    repeated = sorted({t for t, n in counts.items() if n > 1 and t})
    numbered = [d for d in unique if d[2]]
    results = ["继续有效", "废止", "宣布失效", "失效", "修改"]
    rows: list[list[str]] = []
    picks = rng.sample(unique, 170)
    for _, title, _ in picks[:100]:  # exact titles
        rows.append([title, ""])
    for _, title, _ in picks[100:170]:  # the same titles as people retype them
        variant = title.translate(TO_TRAD) if rng.random() < 0.5 else title
        variant = variant.replace("2019", "2019".translate(CN_DIGITS))
        rows.append([f"《{variant}》 " if rng.random() < 0.5 else variant.replace("法", " 法"), ""])
    for _, title, number in rng.sample(numbered, 40):  # by 文号, other bracket styles
        rows.append([title, number.replace("〔", "[").replace("〕", "]")])
    for title in rng.sample(repeated, min(40, len(repeated))):  # several versions: ambiguous
        rows.append([title, ""])
    while len(rows) < ROWS:  # not in the library
        rows.append([f"关于第{len(rows)}批试点工作的通知", f"无府发〔2011〕{len(rows)}号"])
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["序号", "文件名称", "文号", "清理结果", "备注"])
    for n, (title, number) in enumerate(rows, start=1):
        writer.writerow([n, title, number, rng.choice(results), ""])
    return buf.getvalue().encode("gb18030")


def main() -> None:
    corpus = require_lawref()
    with tempfile.TemporaryDirectory() as home:
        lib = Library.open(home)
        t0 = time.perf_counter()
        docs = load_library(lib, corpus)
        load_s = time.perf_counter() - t0
        sheet = build_sheet(docs)
        timings = []
        preview = None
        for _ in range(RUNS):
            t0 = time.perf_counter()
            preview = preview_file(lib, sheet)
            timings.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        result = apply_sheet(lib, sheet, actor="bench", filename="bench.csv", basis="基准测试")
        apply_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        undone = undo_batch(lib, result.batch_id, actor="bench")
        undo_s = time.perf_counter() - t0
        lib.close()
    write_results(
        "cleanup_preview",
        {
            "documents": len(docs),
            "rows": len(preview.rows),
            "outcomes": preview.counts,
            "preview_s_first": round(timings[0], 3),
            "preview_s_median": round(statistics.median(timings), 3),
            "preview_s_max": round(max(timings), 3),
            "target_s": 2.0,
            "apply_s": round(apply_s, 3),
            "applied_changes": result.changed,
            "undo_s": round(undo_s, 3),
            "undone_changes": undone,
            "library_load_s": round(load_s, 2),
        },
    )


if __name__ == "__main__":
    main()
