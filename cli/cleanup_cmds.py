"""`policylib cleanup`: preview, apply and undo the legal office's cleanup result sheet."""

from __future__ import annotations

from pathlib import Path

import click

from library.cleanup import (
    OUTCOME_LABELS,
    CleanupError,
    apply_sheet,
    batch_dict,
    list_batches,
    preview_file,
    undo_batch,
)
from library.status_labels import status_label

from . import pass_lib
from ._actor import cli_actor
from .output import emit_json, fail

SHEET = click.Path(exists=True, dir_okay=False, path_type=Path)


def _parse_picks(picks: tuple[str, ...]) -> dict[int, int]:
    out = {}
    for p in picks:
        row, sep, doc = p.partition("=")
        if not sep or not row.strip().isdigit() or not doc.strip().isdigit():
            fail(f"--pick 应写作 行号=文件编号，例如 --pick 12=345（收到 {p!r}）")
        out[int(row)] = int(doc)
    return out


def _print_rows(rows: list[dict]) -> None:
    for r in rows:
        target = f"#{r['document_id']}" if r["document_id"] else "—"
        change = (
            f"{status_label(r['old_status']) or '—'} → {r['new_status_label']}"
            if r["match"] == "matched"
            else ""
        )
        cands = ", ".join(f"#{c['document_id']}" for c in r["candidates"])
        extra = f" 候选：{cands}" if cands else ""
        msg = f" {r['message']}" if r["message"] else ""
        click.echo(
            f"第{r['row']}行\t{OUTCOME_LABELS[r['match']]}\t{target}\t{change}"
            f"\t{r['title'] or r['doc_number']}{extra}{msg}"
        )


@click.group()
def cleanup() -> None:
    """清理结果表：预览、执行、撤销。Cleanup result sheets (XLSX or CSV)."""


@cleanup.command("preview")
@click.argument("file", type=SHEET)
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def preview(lazy, file: Path, as_json: bool) -> None:
    """逐行显示匹配结果及将作的变更，不作任何修改。"""
    try:
        result = preview_file(lazy.get(), file.read_bytes()).as_dict()
    except CleanupError as exc:
        fail(str(exc))
    if as_json:
        emit_json(result)
        return
    _print_rows(result["rows"])
    click.echo("  ".join(f"{OUTCOME_LABELS[k]} {v}" for k, v in result["counts"].items()))


@cleanup.command("apply")
@click.argument("file", type=SHEET)
@click.option("--basis", help="依据：清理决定名称及文号 (default: the sheet's file name).")
@click.option(
    "--pick",
    "picks",
    multiple=True,
    metavar="ROW=DOCID",
    help="为“待选择”的行指定文件，可重复。Ambiguous rows without a pick are skipped.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def apply(lazy, file: Path, basis: str | None, picks: tuple[str, ...], as_json: bool) -> None:
    """作为一个批次执行（一个事务）。"""
    try:
        result = apply_sheet(
            lazy.get(),
            file.read_bytes(),
            actor=cli_actor(),
            filename=file.name,
            basis=basis,
            picks=_parse_picks(picks),
        )
    except CleanupError as exc:
        fail(str(exc))
    if as_json:
        emit_json(result.as_dict())
        return
    skipped = "，".join(f"{OUTCOME_LABELS[k]} {v}" for k, v in result.skipped.items())
    click.echo(f"批次 #{result.batch_id}：变更 {result.changed} 件；未执行：{skipped or '无'}")
    click.echo(f"撤销：policylib cleanup undo {result.batch_id}")


@cleanup.command("undo")
@click.argument("batch_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def undo(lazy, batch_id: int, as_json: bool) -> None:
    """整批撤销，恢复到执行前的状态。"""
    try:
        reverted = undo_batch(lazy.get(), batch_id, actor=cli_actor())
    except CleanupError as exc:
        fail(str(exc))
    if as_json:
        emit_json({"batch": batch_id, "reverted": reverted})
        return
    click.echo(f"批次 #{batch_id} 已撤销，恢复 {reverted} 项变更")


@cleanup.command("batches")
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def batches(lazy, as_json: bool) -> None:
    """已执行的清理批次。"""
    with lazy.get().db.session() as session:
        rows = [batch_dict(b) for b in list_batches(session)]
    if as_json:
        emit_json(rows)
        return
    for b in rows:
        undone = f"（{b['undone_by']} 已撤销）" if b["undone_at"] else ""
        click.echo(
            f"#{b['id']}\t{b['at'][:19]}\t{b['actor']}\t{b['filename']}\t"
            f"{b['row_count']} 行，变更 {b['changed_count']} 件{undone}"
        )
