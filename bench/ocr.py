"""OCR of scans: pages per minute on the ingest pool, peak memory, character error rate and the
文号/date fields, on scanned versions of the sample PDFs (tests/scans.py makes them).

Inputs: each seed PDF as a clean scan (200 dpi image-only PDF), a degraded one (150 dpi, 1°
skew, grey noise, JPEG q60) and its first page as a PNG, and the red-head notice with a seal over
its date: the sets the test suite reads.
They are parsed by the ingest worker pool (2 workers, the production limits, no cache; the pages
of each scan are the pool's jobs), then ingested twice into a fresh home to show that the second
run does no OCR. Last, the searchable PDF of each file is made again from the OCR cache, in this
process, to time it and weigh it against the original.

CER: Levenshtein distance / reference length, both sides NFKC-folded with whitespace removed;
the reference is the text layer of the seed PDF the scan was made from.

    .venv/bin/python bench/ocr.py [--seeds 001,003] [--no-degraded]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
import unicodedata
from pathlib import Path

from _common import write_results
from rapidfuzz.distance import Levenshtein

from library.core import Library
from library.ingest import OcrJob, ingest_paths, parse_in_workers
from library.ocr_cache import OcrDirCache
from parsers import parse_file
from parsers.scan import OcrOptions
from tests import scans

FIELDS = (
    "title",
    "doc_number",
    "issuer",
    "signed_date",
    "published_date",
    "effective_date",
    "kind",
)


def fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def cer(hyp: str, ref: str) -> float:
    return Levenshtein.distance(fold(hyp), fold(ref)) / max(len(fold(ref)), 1)


class TreeRss:
    """Peak resident memory of this process and all its children, summed, sampled every 0.2 s."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _pids(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
        tree, todo = [], [os.getpid()]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo += [c for c, p in parents.items() if p == pid]
        return tree

    def _rss(self, pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, sum(self._rss(p) for p in self._pids()))

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def make_inputs(folder: Path, seeds: list[Path], degraded: bool) -> dict[Path, tuple[Path, int]]:
    """scan file -> (seed PDF it was made from, pages); the red head maps to itself."""
    made: dict[Path, tuple[Path, int]] = {}
    for pdf in seeds:
        pages = len(scans.page_images(pdf, 36))
        (out := folder / f"{pdf.stem}.scan.pdf").write_bytes(scans.clean_scan(pdf))
        made[out] = (pdf, pages)
        if degraded:
            (out := folder / f"{pdf.stem}.degraded.pdf").write_bytes(scans.degraded_scan(pdf))
            made[out] = (pdf, pages)
        (out := folder / f"{pdf.stem}.photo.png").write_bytes(scans.photo_png(pdf))
        made[out] = (pdf, 1)
    (out := folder / "redhead.scan.pdf").write_bytes(scans.redhead_scan())
    made[out] = (out, 1)
    return made


def expected(seed: Path) -> dict:
    if seed.name == "redhead.scan.pdf":
        r = scans.REDHEAD
        return {"doc_number": r["number"], "issuer": r["issuer"], "signed_date": "2021-03-15"}
    parsed = parse_file(seed)
    return {f: str(v) if (v := getattr(parsed, f)) is not None else None for f in FIELDS} | {
        "text": parsed.text
    }


def searchable_cost(files: list[Path], cache_dir: Path) -> dict:
    """Seconds to parse each file from the OCR cache with and without making its searchable
    PDF: the difference is what the PDF costs; and its size against the original's."""
    cache = OcrDirCache(cache_dir)
    parse_file(files[0], ocr=OcrOptions(cache=cache, searchable=True))  # imports, font
    plain = made = 0.0
    sizes = [0, 0]
    for path in files:
        t0 = time.process_time()
        parse_file(path, ocr=OcrOptions(cache=cache))
        t1 = time.process_time()
        doc = parse_file(path, ocr=OcrOptions(cache=cache, searchable=True))
        plain, made = plain + t1 - t0, made + time.process_time() - t1
        sizes[0] += path.stat().st_size
        sizes[1] += len(doc.searchable_pdf or b"")
    return {
        "cpu_s_total": round(made - plain, 2),
        "originals_mb": round(sizes[0] / 1024**2, 1),
        "searchable_mb": round(sizes[1] / 1024**2, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="", help="comma-separated seed prefixes, e.g. 001,003")
    ap.add_argument("--no-degraded", action="store_true")
    args = ap.parse_args()
    wanted = [s for s in args.seeds.split(",") if s]
    seeds = [p for p in scans.SEED_PDFS if not wanted or p.name[:3] in wanted]
    tmp = Path(tempfile.mkdtemp(prefix="ocr-bench-"))
    try:
        folder = tmp / "scans"
        folder.mkdir()
        made = make_inputs(folder, seeds, not args.no_degraded)
        load_before = os.getloadavg()
        job = OcrJob(True, 500, 600.0, str(tmp / "nocache"))
        shutil.rmtree(tmp / "nocache", ignore_errors=True)
        started, cpu0 = time.perf_counter(), os.times()
        with TreeRss() as rss:
            parsed = dict(parse_in_workers(sorted(made), 50 * 1024**2, 2, job))
        wall = time.perf_counter() - started
        cpu1 = os.times()
        user = cpu1.children_user - cpu0.children_user
        cpu = user + cpu1.children_system - cpu0.children_system
        pages = sum(made[p][1] for p in made)
        files = []
        for path, result in sorted(parsed.items()):
            seed, n = made[path]
            want = expected(seed)
            row = {"file": path.name, "pages": n}
            if isinstance(result, str):
                row["error"] = result
                files.append(row)
                continue
            got = {f: str(v) if (v := getattr(result, f)) is not None else None for f in FIELDS}
            keys = [k for k in want if k != "text"]
            if path.suffix == ".png":  # one page: only the fields on page 1
                keys = [k for k in keys if k in ("title", "doc_number", "kind")]
            row["fields_wrong"] = {k: [got[k], want[k]] for k in keys if got[k] != want[k]}
            row["doc_number"] = got["doc_number"]
            row["dates"] = [got[k] for k in ("signed_date", "published_date", "effective_date")]
            row["mean_confidence"] = result.ocr["mean_confidence"] if result.ocr else None
            row["warnings"] = [w for w in result.warnings if "OCR" in w]
            if path.suffix == ".png":  # against that page's own text layer, parsed alone
                page = parse_file(scans.text_pages(seed, [0], tmp / "page1.pdf"))
                row["cer"] = round(cer(result.text, page.text), 4)
            elif "text" in want:
                row["cer"] = round(cer(result.text, want["text"]), 4)
            files.append(row)
        home = tmp / "home"
        lib = Library.open(home)
        t0 = time.perf_counter()
        with TreeRss() as rss_ingest:
            first = ingest_paths(lib, [folder])
        t1 = time.perf_counter()
        copy = shutil.copytree(folder, tmp / "copy")
        second = ingest_paths(lib, [copy])
        t2 = time.perf_counter()
        cache = OcrDirCache(lib.settings.ocr_cache_dir).stats()
        searchable = searchable_cost(sorted(made), lib.settings.ocr_cache_dir)
        cers = [f["cer"] for f in files if "cer" in f]
        fields_checked = [f for f in files if "fields_wrong" in f]
        figures = {
            "files": len(made),
            "pages": pages,
            "wall_s": round(wall, 1),
            "pages_per_min": round(pages / wall * 60, 1),
            "cpu_s_per_page": round(cpu / pages, 2),
            "kernel_share_of_cpu": round(1 - user / cpu, 2),
            "pages_per_min_2_idle_cores_projected": round(120 / (cpu / pages), 1),
            "peak_rss_mb_parse_pool": round(rss.peak / 1024**2),
            "peak_rss_mb_whole_ingest": round(rss_ingest.peak / 1024**2),
            "ingest_first_s": round(t1 - t0, 1),
            "ingest_copy_again_s": round(t2 - t1, 1),
            "ingest_counts": [first.counts, second.counts],
            "ocr_cache": cache,
            "searchable_pdf": searchable,
            "cer_mean": round(sum(cers) / len(cers), 4) if cers else None,
            "cer_max": max(cers) if cers else None,
            "files_with_wrong_fields": sum(1 for f in fields_checked if f["fields_wrong"]),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "per_file": files,
        }
        for f in files:
            print(
                f"{f['file']:40} pages={f['pages']} cer={f.get('cer')} conf={f.get('mean_confidence')}"
                f" 文号={f.get('doc_number')} dates={f.get('dates')} wrong={f.get('fields_wrong', f.get('error'))}"
            )
        write_results("ocr", figures)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
