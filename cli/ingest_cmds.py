"""`policylib ingest`: load files and folders into the library."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from tqdm import tqdm

from . import pass_lib
from .output import emit_json

if TYPE_CHECKING:
    from library.ingest import FileOutcome

LABELS = {
    "added": "新增",
    "updated": "更新",
    "unchanged": "未变",
    "duplicate": "重复",
    "failed": "失败",
}


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="stdout: one JSON object with every file.")
@click.option("--no-index", is_flag=True, help="Store only; rebuild the index later.")
@pass_lib
def ingest(lazy, paths: tuple[Path, ...], as_json: bool, no_index: bool) -> None:
    """导入文件或文件夹（递归）。Ingest files or folders: docx, pdf, html, txt, md, doc, and scans
    (image-only PDF pages, png/jpg/tif) read by OCR."""
    from library.ingest import ingest_paths

    missing = [str(p) for p in paths if not p.exists()]
    for m in missing:
        click.echo(f"找不到路径 / path not found: {m}", err=True)
    lib = lazy.get()
    bar = tqdm(desc="导入", unit="件", disable=not sys.stderr.isatty(), file=sys.stderr)

    def progress(outcome: FileOutcome) -> None:
        bar.update(1)
        if outcome.outcome == "failed" and not as_json:
            tqdm.write(f"失败 {outcome.path}: {outcome.error}", file=sys.stderr)

    pages = OcrPages(tqdm(desc="OCR", unit="页", disable=not sys.stderr.isatty(), file=sys.stderr))

    report = ingest_paths(
        lib,
        [p for p in paths if p.exists()],
        index=not no_index,
        progress=progress,
        ocr_progress=pages,
    )
    bar.close()
    pages.bar.close()
    if as_json:
        emit_json(report.to_dict())
    else:
        for f in report.files:
            if f.outcome != "failed":
                click.echo(f"{LABELS[f.outcome]}\t#{f.document_id}\t{f.path}")
        for item in report.skipped:
            click.echo(f"跳过\t{item.path}：{item.reason}", err=True)
        summary = "，".join(f"{LABELS[k]} {v}" for k, v in report.counts.items())
        click.echo(f"完成：{summary}")
    sys.exit(exit_code(report.counts, len(report.files), bool(missing)))


class OcrPages:
    """One bar for every scan being read: the workers read pages of several scans at once, so a
    bar per file would jump between them. Its total grows as each scan says how many pages it has.
    """

    def __init__(self, bar: tqdm) -> None:
        self.bar = bar
        self.totals: dict[str, int] = {}

    def __call__(self, path: str, done: int, total: int) -> None:
        self.totals[path] = total
        self.bar.total = sum(self.totals.values())
        self.bar.set_description(f"OCR {len(self.totals)} 个扫描件")
        self.bar.update(1)


def exit_code(counts: dict[str, int], total: int, missing: bool) -> int:
    """0 all stored; 2 some files failed but the rest went in; 1 nothing usable was given."""
    if missing or total == 0 or counts["failed"] == total:
        return 1
    return 2 if counts["failed"] else 0
