"""`policylib export`: the 现行有效规范性文件目录 and the status changes of a period, as XLSX or CSV."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from library import exports

from . import pass_lib

DATE = click.DateTime(formats=["%Y-%m-%d"])
OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


def _write(table: exports.Table, out: Path) -> None:
    fmt = out.suffix.lower().lstrip(".")
    data = exports.to_xlsx(table) if fmt == "xlsx" else exports.to_csv(table)
    out.write_bytes(data)
    click.echo(f"{table.title}：{len(table.rows)} 行 → {out}")


@click.group()
def export() -> None:
    """导出目录与变更清单。Export lists (the file suffix picks XLSX or CSV)."""


@export.command("catalogue")
@click.option("-o", "--output", "out", type=OUT, required=True, help="目标文件 .xlsx 或 .csv")
@pass_lib
def catalogue(lazy, out: Path) -> None:
    """现行有效规范性文件目录。"""
    _check_suffix(out)
    with lazy.get().db.session() as session:
        table = exports.catalogue(session)
    _write(table, out)


@export.command("changes")
@click.option("--from", "start", type=DATE, required=True, help="起始日期 YYYY-MM-DD")
@click.option("--to", "end", type=DATE, help="截止日期 YYYY-MM-DD (default: today)")
@click.option("-o", "--output", "out", type=OUT, required=True, help="目标文件 .xlsx 或 .csv")
@pass_lib
def changes(lazy, start, end, out: Path) -> None:
    """某一期间内状态发生变化的文件。"""
    _check_suffix(out)
    with lazy.get().db.session() as session:
        table = exports.status_changes(session, start.date(), end.date() if end else date.today())
    _write(table, out)


def _check_suffix(out: Path) -> None:
    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise click.BadParameter("文件名须以 .xlsx 或 .csv 结尾", param_hint="--output")
